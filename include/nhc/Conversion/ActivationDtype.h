//===- ActivationDtype.h - where a compile rounds activations --*- C++ -*-===//
//
// The one list of activation precisions a compile can choose: `nhc compile
// --activation-dtype`, the `nemotron-lower-to-exec-pipeline` option and the
// `convert-nemotron-to-exec` option take their values from here.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_CONVERSION_ACTIVATIONDTYPE_H
#define NHC_CONVERSION_ACTIVATIONDTYPE_H

#include "llvm/Support/CommandLine.h"

namespace mlir::nhc {

/// What a bf16 or f16 model's activations are kept in between kernels
/// (docs/cli.md, docs/golden.md). Buffers are f32 either way.
enum class ActivationDtype {
  /// f32: every activation as computed, the checkpoint's weights exact.
  F32,
  /// The model's dtype: each result transformers stores in the model's
  /// dtype (norms, residual adds, projections, conv, gated norm, attention,
  /// experts) is rounded to it (nhc_round_activations) before it is read.
  Model,
};

/// The command-line values of `--activation-dtype`.
inline llvm::cl::ValuesClass activationDtypeValues() {
  return llvm::cl::values(
      clEnumValN(ActivationDtype::F32, "f32",
                 "activations in f32 between kernels (default)"),
      clEnumValN(ActivationDtype::Model, "model",
                 "a bf16/f16 model's activations rounded to its dtype where "
                 "transformers keeps them in it (closer to transformers run "
                 "in that dtype; no effect on f32 models)"));
}

} // namespace mlir::nhc

#endif // NHC_CONVERSION_ACTIVATIONDTYPE_H
