//===- StateDtype.h - element types of a model's state ----------*- C++ -*-===//
//
// The one list of state element types a compile can choose: `nhc compile
// --kv-cache-dtype` and `--ssm-state-dtype`, the
// `nemotron-lower-to-exec-pipeline` options and the
// `convert-nemotron-to-exec` options all take their values from here.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_CONVERSION_STATEDTYPE_H
#define NHC_CONVERSION_STATEDTYPE_H

#include "llvm/Support/CommandLine.h"

namespace mlir::nhc {

/// Element type of a state kept across steps: the attention layers' K and V
/// caches, the Mamba layers' SSM state (docs/cli.md). The arithmetic on it
/// is f32 either way.
enum class StateDtype {
  /// f32: as computed.
  F32,
  /// bf16: rounded to the nearest bf16 (ties to even) as stored, widened
  /// as read; half the bytes.
  BF16,
};

/// The command-line values of `--kv-cache-dtype`.
inline llvm::cl::ValuesClass kvCacheDtypeValues() {
  return llvm::cl::values(
      clEnumValN(StateDtype::F32, "f32", "K and V caches in f32 (default)"),
      clEnumValN(StateDtype::BF16, "bf16",
                 "K and V caches in bf16: half the bytes per cached "
                 "position, K and V rounded to bf16 as they are appended (as "
                 "a bf16 model's cache is in transformers)"));
}

/// The command-line values of `--ssm-state-dtype`.
inline llvm::cl::ValuesClass ssmStateDtypeValues() {
  return llvm::cl::values(
      clEnumValN(StateDtype::F32, "f32",
                 "Mamba layers' SSM state in f32 (default; as in "
                 "transformers and vLLM's default)"),
      clEnumValN(StateDtype::BF16, "bf16",
                 "SSM state in bf16: half the bytes a decode step reads and "
                 "writes per request, the state rounded to bf16 after every "
                 "step or chunk (an accuracy trade: vLLM's "
                 "--mamba-ssm-cache-dtype bfloat16)"));
}

} // namespace mlir::nhc

#endif // NHC_CONVERSION_STATEDTYPE_H
