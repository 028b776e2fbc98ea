//===- ScheduleBuilder.h - kernel-level IR to a step schedule ---*- C++ -*-===//
//
// Turns the decomposed `@forward` function (kernel-level nemotron ops) into
// the manifest's schedules, scratch buffers, state layout and weight table
// (docs/execution-model.md).
//
//===----------------------------------------------------------------------===//

#ifndef NHC_ARTIFACT_SCHEDULEBUILDER_H
#define NHC_ARTIFACT_SCHEDULEBUILDER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace mlir::nhc {

/// Argument kinds of a kernel, as the packed ABI sees them.
enum class KernelParamKind { MemRef, Index, F32 };

/// name -> parameter kinds, for the kernels the schedule may call.
using KernelSignatures = std::map<std::string, std::vector<KernelParamKind>>;

struct StepPlan {
  nlohmann::json weights = nlohmann::json::array();
  nlohmann::json state = nlohmann::json::object();
  nlohmann::json buffers = nlohmann::json::array();
  nlohmann::json schedules = nlohmann::json::object();
  /// Where the residual stream and mixer outputs can be copied out
  /// (docs/artifact-format.md, "Taps").
  nlohmann::json taps = nlohmann::json::array();
  std::vector<std::string> kernelsUsed;
};

/// Plans one step of `forward`. Emits a diagnostic on the offending op and
/// fails when an op has no kernel or a kernel call does not match
/// `signatures`.
FailureOr<StepPlan> buildStepPlan(func::FuncOp forward,
                                  const KernelSignatures &signatures);

const char *kernelParamKindName(KernelParamKind kind);

} // namespace mlir::nhc

#endif // NHC_ARTIFACT_SCHEDULEBUILDER_H
