//===- Passes.td - nemotron_exec passes --------------------*- tablegen -*-===//

#ifndef NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_TD
#define NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NemotronExecPlanBuffersPass
    : Pass<"nemotron-exec-plan-buffers", "::mlir::ModuleOp"> {
  let summary = "Give the step's buffers as few storage slots as their lifetimes allow";
  let description = [{
    A buffer lives from the first to the last op of the step that names it
    (`@body` first, then the head schedules, which both follow `@body`).
    Buffers in order of first use take the first earlier buffer of the same
    row kind and row type whose life ended before theirs began, else a new
    one; the result is renamed `@b0`, `@b1`, ... in order of first use, so
    a 52-layer model needs a handful of buffers.

    First the placements the conversion asked for:
    - in-place updates: each `nemotron_exec.alias @b = @a` (the entry
      before it wrote `@b`'s values over `@a`'s) merges `@b` into `@a`,
      after checking that nothing reads `@a`'s old values after the alias
      (an error, at the alias's location, otherwise);
    - packing: a buffer declared `{within = @p, column = c}` (q, k and v,
      which the attention kernel reads through one buffer) moves into
      `@p`'s rows: its gemm operands and taps get column offset `+ c` and
      `@p`'s row stride (any other reader is an error).
    Column views of `split` results are the conversion's and are kept.
  }];
  let dependentDialects = ["::mlir::nemotron_exec::NemotronExecDialect"];
}

#endif // NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_TD
