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

    In-place updates first: each `nemotron_exec.alias @b = @a` (the entry
    before it wrote `@b`'s values over `@a`'s) merges `@b` into `@a`, after
    checking that nothing reads `@a`'s old values after the alias (an
    error, at the alias's location, otherwise). Column views and q/k/v in
    one buffer, which kernel signatures fix, come from
    `convert-nemotron-to-exec` and are kept.
  }];
  let dependentDialects = ["::mlir::nemotron_exec::NemotronExecDialect"];
}

#endif // NHC_DIALECT_NEMOTRONEXEC_TRANSFORMS_PASSES_TD
