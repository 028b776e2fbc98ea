//===- Passes.h - nemotron dialect passes -----------------------*- C++ -*-===//

#ifndef NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_H
#define NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"

namespace mlir::nemotron {

#define GEN_PASS_DECL
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

/// Rewrites `rms_norm(add(a, b))` into `add_rms_norm(a, b)`.
void populateFuseResidualNormPatterns(RewritePatternSet &patterns);

/// Rewrites `activate(linear(x))` into a linear with that epilogue.
void populateFuseLinearEpiloguePatterns(RewritePatternSet &patterns);

/// Rewrites mixers into kernel-level ops.
void populateDecomposeLayersPatterns(RewritePatternSet &patterns);

/// Inserts `quantize_fp8` before every FP8 linear.
void populateQuantizeFP8LinearsPatterns(RewritePatternSet &patterns);

/// Folds `quantize_fp8` into the norm or linear that produces its input.
void populateFuseFP8QuantizePatterns(RewritePatternSet &patterns);

/// The model-level pipeline `nhc compile` runs before scheduling: fuse
/// residual adds into norms, decompose mixers, fuse epilogues, make FP8
/// activation quantization explicit and fuse it into producers. Registered as
/// `nemotron-lower-to-kernels-pipeline`.
void buildLowerToKernelsPipeline(OpPassManager &pm);
void registerNemotronPipelines();

#define GEN_PASS_REGISTRATION
#include "nhc/Dialect/Nemotron/Transforms/Passes.h.inc"

} // namespace mlir::nemotron

#endif // NHC_DIALECT_NEMOTRON_TRANSFORMS_PASSES_H
