//===- CompileModel.h - config to artifact ----------------------*- C++ -*-===//

#ifndef NHC_COMPILER_COMPILEMODEL_H
#define NHC_COMPILER_COMPILEMODEL_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"
#include "nhc/Compiler/CompileCache.h"
#include "nhc/Conversion/ActivationDtype.h"
#include "nhc/Conversion/StateDtype.h"
#include "nhc/Config/ModelConfig.h"

#include <string>
#include <vector>

namespace mlir::nhc {

enum class EmitKind {
  Artifact,
  Nemotron,
  Kernels,
  Exec,
  Manifest,
  LLVM,
  PTX,
  LaunchTable
};

struct CompileOptions {
  EmitKind emit = EmitKind::Artifact;
  /// CUDA chips to build PTX (and cubin, when ptxas is found) for.
  std::vector<std::string> cudaChips;
  /// The attention layers' KV cache element type (`--kv-cache-dtype`;
  /// docs/cli.md).
  StateDtype kvCacheDtype = StateDtype::F32;
  /// The Mamba layers' SSM state element type (`--ssm-state-dtype`;
  /// docs/cli.md).
  StateDtype ssmStateDtype = StateDtype::F32;
  /// What a bf16/f16 model's activations are rounded to
  /// (`--activation-dtype`; docs/cli.md).
  ActivationDtype activationDtype = ActivationDtype::F32;
  /// Where the kernel library's code is kept between compiles; none (the
  /// default here) compiles it every time. `nhc compile` uses
  /// CompileCache::fromEnvironment() unless given --no-cache.
  CompileCache cache;
};

/// Runs the whole compiler on `config` up to `options.emit` and returns the
/// bytes to write (IR text, JSON, or the binary artifact). Problems are
/// reported through the context's diagnostics.
FailureOr<std::string> compileModel(MLIRContext &context,
                                    const ModelConfig &config,
                                    const CompileOptions &options);

} // namespace mlir::nhc

#endif // NHC_COMPILER_COMPILEMODEL_H
