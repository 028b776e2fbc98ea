//===- NemotronExecDialect.td - execution-level dialect ----*- tablegen -*-===//
//
// Part of nhc. `nemotron_exec` is the level between kernel-level `nemotron`
// ops and the artifact: one step of the model as calls of the kernel
// library's functions and of runtime library ops over named buffers.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_DIALECT_NEMOTRONEXEC_NEMOTRONEXECDIALECT_TD
#define NHC_DIALECT_NEMOTRONEXEC_NEMOTRONEXECDIALECT_TD

include "mlir/IR/OpBase.td"

def NemotronExec_Dialect : Dialect {
  let name = "nemotron_exec";
  let cppNamespace = "::mlir::nemotron_exec";
  let summary = "One step of a Nemotron-H model as kernel and library calls over buffers.";
  let description = [{
    `convert-nemotron-to-exec` lowers the kernel-level `nemotron` ops of
    `@forward` to this dialect; `nemotron-exec-plan-buffers` assigns its
    buffers; `nhc-translate --nemotron-to-manifest` writes the artifact's
    manifest from it (docs/artifact-format.md).

    The module declares what a step touches, each as a symbol:
    `nemotron_exec.weight` (a checkpoint tensor with its dtype and shape),
    `nemotron_exec.state` (a named per-request state tensor: conv and SSM
    state, KV caches) and `nemotron_exec.buffer` (scratch rows per token or
    per request). `nemotron_exec.schedule` regions (`@body`, `@head_last`,
    `@head_all`) list what runs, in order: `nemotron_exec.call` of a kernel
    (a private `func.func` declaration copied from the kernel library, whose
    signature the call must match; the manifest translation checks it against
    the library's), and the library ops `gemm`, `embedding` and
    `moe_experts` that the runtime implements. Operands are references to the
    declared symbols, `nemotron_exec.dim` sizes of the step and
    `arith.constant`s.

    The module attribute `nemotron_exec.targets` lists the artifact's
    targets, each `"cpu"` or `"cuda:sm_NN"`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let useDefaultAttributePrinterParser = 1;
  // `nemotron_exec.targets` on a module must list target names.
  let hasOperationAttrVerify = 1;
}

class NemotronExec_Op<string mnemonic, list<Trait> traits = []>
    : Op<NemotronExec_Dialect, mnemonic, traits>;

#endif // NHC_DIALECT_NEMOTRONEXEC_NEMOTRONEXECDIALECT_TD
