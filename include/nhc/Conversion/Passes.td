//===- Passes.td - nhc conversion passes -------------------*- tablegen -*-===//

#ifndef NHC_CONVERSION_PASSES_TD
#define NHC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNemotronToExecPass
    : Pass<"convert-nemotron-to-exec", "::mlir::ModuleOp"> {
  let summary = "Lower kernel-level nemotron ops to kernel and library calls over buffers";
  let description = [{
    Replaces `@forward` (kernel-level `nemotron` ops, after
    `nemotron-lower-to-kernels-pipeline`) by one step of `nemotron_exec`:

    - each op becomes one `nemotron_exec.call` of a kernel of the embedded
      kernel library (whose declaration is copied into the module, so the
      call is checked against the kernel's own signature) or one library op
      (`gemm`, `embedding`, `moe_experts`);
    - each checkpoint tensor it reads becomes a `nemotron_exec.weight`, each
      per-request state a named `nemotron_exec.state` (conv and SSM state of
      a Mamba layer, K and V cache of an attention layer);
    - each activation gets its own `nemotron_exec.buffer` (planned later by
      `nemotron-exec-plan-buffers`); an in-place update (`add`,
      `add_rms_norm` write their first operand) is followed by a
      `nemotron_exec.alias` that the planning pass resolves; where a kernel's
      signature fixes the layout it says so: `split` results are column
      ranges of their input, and q, k and v of an attention get buffers
      packed (`within`, `column`) into one buffer that the attention kernel
      reads with one row stride and three column offsets;
    - `nemotron_exec.tap`s mark where hidden states can be copied out;
    - `@head_last` and `@head_all` compute the logits of the last token of
      each request and of every token.

    The `targets` option is recorded as `nemotron_exec.targets`. With
    `kv-cache-dtype=bf16` the attention layers' K and V caches are `bf16`
    states and their attentions call `nhc_attention_bf16_kv` (the same
    computation, K and V rounded to bf16 as they are appended). With
    `ssm-state-dtype=bf16` the Mamba layers' SSM states are `bf16` and their
    scans call `nhc_ssd_chunk_scan_bf16_state` and `nhc_ssd_scan_bf16_state`
    (the same f32 recurrence, the state rounded to bf16 as it is stored).
    With `activation-dtype=model` a bf16 or f16 model's activations are
    rounded to that dtype where transformers stores them in it: after each
    op whose result has the model's element type, a call of
    `nhc_round_activations` rounds its rows in place. A linear's epilogue
    activation and the conv's activation move into that call (round,
    activate, round), as transformers activates the stored value. The
    scan's output is not rounded (transformers keeps it in f32 until the
    gated norm) and an `add_rms_norm` becomes `nhc_add`, rounding,
    `nhc_rms_norm`, rounding (the norm reads the rounded sum).
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Targets of the artifact (cpu, cuda:sm_90, ...)">,
    Option<"kvCacheDtype", "kv-cache-dtype", "::mlir::nhc::StateDtype",
           /*default=*/"::mlir::nhc::StateDtype::F32",
           "Element type of the attention layers' KV cache",
           "::mlir::nhc::kvCacheDtypeValues()">,
    Option<"ssmStateDtype", "ssm-state-dtype", "::mlir::nhc::StateDtype",
           /*default=*/"::mlir::nhc::StateDtype::F32",
           "Element type of the Mamba layers' SSM state",
           "::mlir::nhc::ssmStateDtypeValues()">,
    Option<"activationDtype", "activation-dtype",
           "::mlir::nhc::ActivationDtype",
           /*default=*/"::mlir::nhc::ActivationDtype::F32",
           "What a bf16/f16 model's activations are rounded to",
           "::mlir::nhc::activationDtypeValues()">
  ];
  let dependentDialects = [
    "::mlir::nemotron_exec::NemotronExecDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // NHC_CONVERSION_PASSES_TD
