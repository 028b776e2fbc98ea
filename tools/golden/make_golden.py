#!/usr/bin/env python3
"""Generate the golden reference data under test/golden/ for nhc.

The reference is Hugging Face transformers' own ``NemotronHForCausalLM``
(``transformers.models.nemotron_h``), run on the CPU with its pure-PyTorch code
path (no ``mamba_ssm`` / ``causal_conv1d`` / hub kernels), one prompt at a time.

This script installs nothing.  Usage, from the repository root::

    pip install torch transformers==5.23.0 safetensors numpy
    python3 tools/golden/make_golden.py --out test/golden
    python3 tools/golden/make_golden.py --out test/golden --cases conv_nobias,tied_head
    python3 tools/golden/make_golden.py --out test/golden --cases extra

Without --cases it (re)writes the four original cases (dense, chunked, moe, fp8),
exactly as it always did.  With --cases NAME[,NAME...] it (re)writes only the named
extra cases (EXTRA_CASES below; "extra" = all of them), each a small model that
pins one HF feature or checkpoint variant.  Either way it writes one directory per
case, ``<out>/<case>/``, and touches nothing else under ``<out>``.  Every case
directory holds:

    model/                  a real HF checkpoint: config.json (save_pretrained),
                            generation_config.json, model.safetensors
                            (some extra cases rewrite model.safetensors / config.json
                            after save_pretrained, or add hf_quant_config.json)
    model-bf16/             (case ``dense`` only) the same weights cast to bf16
    reference.safetensors   prompt ids, logits, greedy continuations, ...
    manifest.json           what is where, config summary, tolerances, versions,
                            sha256 of every other file

Running the script twice with the same package versions on the same machine
produces bit-identical files.  The format, the init scheme, the FP8 recipe and
the tolerance rules are documented in docs/golden.md;
tools/golden/verify_golden.py checks the files with the standard library only.
"""

import argparse
import copy
import hashlib
import importlib.util
import inspect
import json
import math
import os
import platform
import shutil
import sys

CANONICAL_COMMAND = "python3 tools/golden/make_golden.py --out test/golden"
SCHEMA_VERSION = 1
MAX_NEW_TOKENS = 16
FP8_MAX = 448.0  # largest finite float8_e4m3fn value

# Tolerance constants (also written into every manifest; see docs/golden.md).
FP32_REL_TOL = 1e-3
BF16_REL_TOL = 3e-2
FP8_REL_TOL = 1e-3
# A prompt is only accepted when every greedy decode step of the reference has a
# top1-top2 logit margin above MARGIN_FACTOR * tol * max(1, max|logit|), so that an
# engine within tolerance cannot legitimately pick a different token.
MARGIN_FACTOR = 5.0
MAX_PROMPT_TRIES = 400


def die(msg):
    print(f"make_golden: error: {msg}", file=sys.stderr)
    sys.exit(1)


# The transformers release the committed data, docs/config.md's line numbers and
# assert_torch_mamba_path's checks are written against. 5.25 moved the Mamba-2
# mixer's conv and scan behind hub-replaceable modules, which the checks below
# cannot see through; another release needs those checks (and the data) redone.
HF_VERSION = "5.23.0"
INSTALL = f"pip install torch transformers=={HF_VERSION} safetensors numpy"


try:
    import numpy  # noqa: F401  (imported so that its version is recorded)
    import safetensors
    import torch
    import torch.nn.functional as F
    import transformers
    from safetensors import safe_open
    from safetensors.torch import save_file
    from transformers import GenerationConfig, NemotronHConfig, NemotronHForCausalLM
    import transformers.models.nemotron_h.modeling_nemotron_h as hf_nemotron_h
except ImportError as exc:  # pragma: no cover - environment problem
    die(f"{exc}; first run: {INSTALL}")


# ----------------------------------------------------------------------------
# Determinism and environment checks
# ----------------------------------------------------------------------------

def setup_determinism():
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set (only allowed once per process)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def assert_torch_mamba_path():
    """HF must run its reference PyTorch implementation of the Mamba-2 mixer."""
    if transformers.__version__ != HF_VERSION:
        die(f"transformers {transformers.__version__} is installed; the golden data "
            f"is pinned to {HF_VERSION} (docs/golden.md): {INSTALL}")
    names = [
        "causal_conv1d_fn",
        "causal_conv1d_update",
        "mamba2_split_conv1d_scan_combined",
        "mamba2_selective_state_update",
        "mamba2_chunk_scan",
    ]
    for name in names:
        fn = getattr(hf_nemotron_h, name)
        # transformers' use_kernel_func_from_hub_with_fallback wrapper keeps the resolved
        # implementation in its closure; is_new_implementation is False for the torch path.
        # (If a future wrapper layout hides it, the package check below still applies.)
        nonlocals = inspect.getclosurevars(fn).nonlocals
        if nonlocals.get("is_new_implementation", False):
            die(f"transformers resolved {name} to a kernel package; uninstall mamba_ssm/causal_conv1d")
    for pkg in ("mamba_ssm", "causal_conv1d"):
        if importlib.util.find_spec(pkg) is not None:
            die(f"package {pkg} is installed; the golden data must come from HF's torch path")


def versions():
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": numpy.__version__,
    }


# ----------------------------------------------------------------------------
# Configurations
# ----------------------------------------------------------------------------

COMMON = dict(
    mlp_hidden_act="relu2",
    mamba_hidden_act="silu",
    conv_kernel=4,
    layer_norm_epsilon=1e-5,
    max_position_embeddings=256,
    tie_word_embeddings=False,
    use_bias=False,
    use_conv_bias=True,
    mlp_bias=False,
    attention_bias=False,
    residual_in_fp32=False,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)


def dense_config(chunk_size):
    return dict(
        COMMON,
        vocab_size=384,
        hidden_size=64,
        hybrid_override_pattern="M-M*-M-",
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        intermediate_size=160,
        mamba_num_heads=16,
        mamba_head_dim=16,
        n_groups=2,
        ssm_state_size=16,
        chunk_size=chunk_size,
    )


def moe_config():
    return dict(
        COMMON,
        vocab_size=256,
        hidden_size=64,
        hybrid_override_pattern="ME*EM-E",
        num_attention_heads=8,
        num_key_value_heads=2,
        head_dim=16,
        intermediate_size=160,
        mamba_num_heads=16,
        mamba_head_dim=16,
        n_groups=4,
        ssm_state_size=32,
        chunk_size=16,
        n_routed_experts=16,
        num_experts_per_tok=3,
        n_group=4,
        topk_group=2,
        moe_intermediate_size=32,
        moe_shared_expert_intermediate_size=48,
        n_shared_experts=1,
        norm_topk_prob=True,
        routed_scaling_factor=2.5,
        moe_latent_size=None,
    )


# ----------------------------------------------------------------------------
# Deterministic re-initialisation ("numerically interesting" weights)
# ----------------------------------------------------------------------------

def tensor_generator(init_seed, name):
    digest = hashlib.sha256(f"{init_seed}:{name}".encode()).digest()
    seed = int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)
    return torch.Generator(device="cpu").manual_seed(seed)


def randn(shape, gen):
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float32)


INIT_SCHEME = [
    "Every parameter and buffer is overwritten after HF's own init; each tensor gets its own "
    "torch.Generator seeded with int.from_bytes(sha256(f'{init_seed}:{hf_module_name}')[:8], 'little') "
    "& (2**63-1), and N(0,1) draws (torch.randn, float32) are scaled as follows (fan_in = input features):",
    "embeddings.weight: N(0, 1)",
    "lm_head.weight: N(0, 1) * 2/sqrt(hidden)  (logit std ~2)",
    "every RMSNorm weight (layers.*.norm, mixer.norm (gated), norm_f): 1 + 0.1*N(0,1)",
    "input-side Linears (mixer.in_proj, q_proj, k_proj, v_proj, up_proj, shared_experts.up_proj): N(0,1)/sqrt(fan_in)",
    "mixer.in_proj rows of the dt part (the last mamba_num_heads rows): additionally * 0.5",
    "output-side Linears (mixer.out_proj, o_proj, down_proj, shared_experts.down_proj): 0.5*N(0,1)/sqrt(fan_in)",
    "mixer.conv1d.weight: 0.5*N(0,1); mixer.conv1d.bias: 0.1*N(0,1)",
    "mixer.A_log: log(1..mamba_num_heads) (HF's own value, A = -(1..heads))",
    "mixer.D: 1 + 0.1*N(0,1)",
    "mixer.dt_bias: softplus^-1(dt0), dt0 = exp(U(log 0.02, log 0.3)) with U = first uniform draw "
    "(torch.rand) of the tensor's generator; softplus^-1(y) = y + log(-expm1(-y))",
    "MoE gate.weight (router): N(0,1)/sqrt(hidden); gate.e_score_correction_bias: 0.1*N(0,1)",
    "MoE experts.up_proj [E, I, H]: N(0,1)/sqrt(H); experts.down_proj [E, H, I]: 0.25*N(0,1)/sqrt(I)",
]


LINEAR_BIASES = ("mixer.in_proj.bias", "mixer.out_proj.bias", "mixer.up_proj.bias", "mixer.down_proj.bias",
                 "shared_experts.up_proj.bias", "shared_experts.down_proj.bias",
                 "fc1_latent_proj.bias", "fc2_latent_proj.bias")


@torch.no_grad()
def reinit_model(model, init_seed):
    cfg = model.config
    hidden = cfg.hidden_size
    touched = set()
    tensors = list(model.named_parameters()) + list(model.named_buffers())
    for name, t in sorted(tensors, key=lambda kv: kv[0]):
        gen = tensor_generator(init_seed, name)
        leaf = name.split(".")[-1]
        shape = t.shape
        if name.endswith("embeddings.weight"):
            v = randn(shape, gen)
        elif name == "lm_head.weight":
            v = randn(shape, gen) * (2.0 / math.sqrt(hidden))
        elif name.endswith("norm.weight") or name.endswith("norm_f.weight"):
            v = 1.0 + 0.1 * randn(shape, gen)
        elif name.endswith("mixer.A_log"):
            v = torch.log(torch.arange(1, shape[0] + 1, dtype=torch.float32))
        elif name.endswith("mixer.D"):
            v = 1.0 + 0.1 * randn(shape, gen)
        elif name.endswith("mixer.dt_bias"):
            u = torch.rand(tuple(shape), generator=gen, dtype=torch.float32)
            dt0 = torch.exp(u * (math.log(0.3) - math.log(0.02)) + math.log(0.02))
            v = dt0 + torch.log(-torch.expm1(-dt0))
        elif name.endswith("conv1d.weight"):
            v = 0.5 * randn(shape, gen)
        elif name.endswith("conv1d.bias"):
            v = 0.1 * randn(shape, gen)
        elif name.endswith("mixer.in_proj.weight"):
            v = randn(shape, gen) / math.sqrt(shape[1])
            v[-cfg.mamba_num_heads:, :] *= 0.5
        elif name.endswith("gate.weight"):
            v = randn(shape, gen) / math.sqrt(shape[1])
        elif name.endswith("gate.e_score_correction_bias"):
            v = 0.1 * randn(shape, gen)
        elif name.endswith("experts.up_proj") and t.dim() == 3:
            v = randn(shape, gen) / math.sqrt(shape[2])
        elif name.endswith("experts.down_proj") and t.dim() == 3:
            v = 0.25 * randn(shape, gen) / math.sqrt(shape[2])
        elif leaf == "weight" and any(name.endswith(s) for s in ("q_proj.weight", "k_proj.weight", "v_proj.weight", "up_proj.weight",
                                                                   "fc1_latent_proj.weight")):
            v = randn(shape, gen) / math.sqrt(shape[1])
        elif leaf == "weight" and any(name.endswith(s) for s in ("out_proj.weight", "o_proj.weight", "down_proj.weight",
                                                                   "fc2_latent_proj.weight")):
            v = 0.5 * randn(shape, gen) / math.sqrt(shape[1])
        elif leaf == "bias" and any(name.endswith(s) for s in LINEAR_BIASES):
            # Only models with use_bias / mlp_bias (extra case proj_bias); no old case has these.
            v = 0.1 * randn(shape, gen)
        else:
            die(f"reinit: no rule for tensor {name} {tuple(shape)}")
        t.copy_(v.to(t.dtype))
        touched.add(name)
    assert len(touched) == len(tensors)


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------

def st_dtype(t):
    return {
        torch.float32: "F32",
        torch.bfloat16: "BF16",
        torch.float16: "F16",
        torch.int64: "I64",
        torch.int32: "I32",
        torch.float8_e4m3fn: "F8_E4M3",
    }[t.dtype]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def fnum(x, digits=6):
    """Stable, readable float for the manifest."""
    return float(f"{float(x):.{digits}g}")


def load_hf(model_dir, dtype):
    kwargs = dict(dtype=dtype, attn_implementation="eager")
    model = NemotronHForCausalLM.from_pretrained(model_dir, **kwargs)
    if any(getattr(m, "num_experts", None) is not None for m in model.modules()):
        model.set_experts_implementation("eager")
    model.eval()
    # generate() must never stop early: clear eos in the in-memory generation config
    # (the saved generation_config.json keeps the checkpoint's own ids).
    model.generation_config.eos_token_id = None
    return model


def checkpoint_tensors(path):
    out = {}
    with safe_open(path, "pt") as f:
        for k in f.keys():
            sl = f.get_slice(k)
            out[k] = {"dtype": sl.get_dtype(), "shape": list(sl.get_shape())}
    return dict(sorted(out.items()))


def make_prompt(case_key, index, length, vocab, attempt):
    gen = tensor_generator(f"prompt:{case_key}:{index}:{length}", str(attempt))
    # Avoid the special ids 0 (pad), 1 (bos), 2 (eos).
    return torch.randint(3, vocab, (length,), generator=gen, dtype=torch.int64)


def top2_margin(logits):
    top = torch.topk(logits.float(), 2, dim=-1).values
    return top[..., 0] - top[..., 1]


def logit_scale(logits):
    return torch.clamp(logits.float().abs().amax(dim=-1), min=1.0)


class DtClampCounter:
    """Counts SSM time steps that hit HF's prefill clamp dt >= time_step_min.

    HF's torch prefill path clamps softplus(dt + dt_bias) to [time_step_min, inf)
    while its decode path does not clamp at all; the golden data must never hit the
    clamp so that both behaviours agree (checked), except in the dt_clamp case, which
    hits it on purpose in prefill (clamped) and decode (not) steps alike."""

    def __init__(self, model):
        self.hits = 0
        self.prefill_hits = 0  # in steps of several tokens (HF's chunked form, clamped)
        self.total = 0
        self.min_dt = float("inf")
        self.handles = []
        for layer in model.model.layers:
            mixer = layer.mixer
            if isinstance(mixer, hf_nemotron_h.NemotronHMamba2Mixer):
                self.handles.append(mixer.in_proj.register_forward_hook(self._hook(mixer)))

    def _hook(self, mixer):
        def hook(_mod, _inp, out):
            dt = out[..., -mixer.num_heads:].float()
            dt = F.softplus(dt + mixer.dt_bias.float())
            below = int((dt < mixer.time_step_limit[0]).sum())
            self.hits += below
            if dt.shape[1] > 1:
                self.prefill_hits += below
            self.total += dt.numel()
            self.min_dt = min(self.min_dt, float(dt.min()))
        return hook

    def close(self):
        for h in self.handles:
            h.remove()


@torch.no_grad()
def run_prompt(model, ids, want_hidden=False):
    """Prefill logits (no cache), greedy generation with cache, decode logits."""
    x = ids.view(1, -1)
    res = {}
    out = model(x, use_cache=False, output_hidden_states=want_hidden)
    res["prefill_logits"] = out.logits[0].float().contiguous()
    if want_hidden:
        res["hidden_states"] = torch.stack([h[0].float() for h in out.hidden_states]).contiguous()
        outs = []
        handles = [layer.register_forward_hook(lambda _m, _i, o: outs.append(o[0].float().clone()))
                   for layer in model.model.layers]
        model(x, use_cache=False)
        for h in handles:
            h.remove()
        res["layer_outputs"] = torch.stack(outs).contiguous()
    gc = GenerationConfig(
        do_sample=False,
        num_beams=1,
        max_new_tokens=MAX_NEW_TOKENS,
        min_new_tokens=0,
        use_cache=True,
        output_logits=True,
        return_dict_in_generate=True,
        eos_token_id=None,
        bos_token_id=None,
        pad_token_id=0,
    )
    g = model.generate(x, attention_mask=torch.ones_like(x), generation_config=gc)
    seq = g.sequences[0]
    if seq.numel() != ids.numel() + MAX_NEW_TOKENS:
        die(f"generate returned {seq.numel() - ids.numel()} new tokens, expected {MAX_NEW_TOKENS}")
    if not torch.equal(seq[: ids.numel()], ids):
        die("generate changed the prompt")
    res["generated_ids"] = seq[ids.numel():].to(torch.int64).contiguous()
    res["decode_logits"] = torch.stack([lg[0].float() for lg in g.logits]).contiguous()
    if not torch.equal(res["decode_logits"].argmax(-1), res["generated_ids"]):
        die("greedy token != argmax of its decode logits")
    # Consistency diagnostics (recorded, not asserted tightly).
    full = torch.cat([ids, res["generated_ids"][:-1]]).view(1, -1)
    full_logits = model(full, use_cache=False).logits[0].float()
    tf = full_logits[ids.numel() - 1:]
    res["diag"] = {
        "decode0_vs_prefill_last_max_abs": fnum((res["decode_logits"][0] - res["prefill_logits"][-1]).abs().max()),
        "decode_vs_nocache_forward_max_abs": fnum((res["decode_logits"] - tf).abs().max()),
        "min_decode_margin_rel": fnum((top2_margin(res["decode_logits"]) / logit_scale(res["decode_logits"])).min()),
        "min_prefill_margin_rel": fnum((top2_margin(res["prefill_logits"]) / logit_scale(res["prefill_logits"])).min()),
        "max_abs_logit": fnum(res["prefill_logits"].abs().max().item() if res["prefill_logits"].numel() else 0.0),
    }
    return res


def margins_ok(res, rel_tol):
    m = top2_margin(res["decode_logits"])
    need = MARGIN_FACTOR * rel_tol * logit_scale(res["decode_logits"])
    return bool((m > need).all())


def search_prompt(model, case_key, index, length, vocab, rel_tol):
    for attempt in range(MAX_PROMPT_TRIES):
        ids = make_prompt(case_key, index, length, vocab, attempt)
        res = run_prompt(model, ids)
        if margins_ok(res, rel_tol):
            return ids, attempt
    die(f"{case_key}: no prompt of length {length} with safe greedy margins in {MAX_PROMPT_TRIES} tries")


# ----------------------------------------------------------------------------
# FP8 (modelopt, per-tensor static) fake quantization
# ----------------------------------------------------------------------------

def e4m3_quantize(x):
    """clamp to [-448, 448], then round-to-nearest-even to float8_e4m3fn."""
    return torch.clamp(x, -FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)


def check_e4m3_rounding():
    # Midpoints must round to the even neighbour, subnormals included.
    x = torch.tensor([1.0625, 1.1875, -1.0625, 3 * 2.0 ** -10, 2.0 ** -10, 448.0, 500.0, -1e9])
    want = torch.tensor([1.0, 1.25, -1.0, 2.0 ** -8, 0.0, 448.0, 448.0, -448.0])
    got = e4m3_quantize(x).float()
    if not torch.equal(got, want):
        die(f"float8_e4m3fn conversion is not RNE/saturating as expected: {got.tolist()}")


class FP8FakeQuantLinear(torch.nn.Module):
    """y = (xq @ w^T) * (input_scale * weight_scale), all fp32, where
    xq = float(e4m3(clamp(x / input_scale, -448, 448))) and w = float(weight_fp8)."""

    def __init__(self, weight_fp8, weight_scale, input_scale):
        super().__init__()
        self.register_buffer("weight_fp8", weight_fp8)
        self.register_buffer("weight_scale", weight_scale)
        self.register_buffer("input_scale", input_scale)
        self.saturated = 0
        self.count = 0

    def forward(self, x):
        xs = x.float() / self.input_scale
        self.saturated += int((xs.abs() > FP8_MAX).sum())
        self.count += xs.numel()
        xq = e4m3_quantize(xs).float()
        w = self.weight_fp8.float()
        y = torch.matmul(xq, w.t()) * (self.input_scale * self.weight_scale)
        return y.to(x.dtype)


def quantized_module_names(model):
    names = []
    for i, layer in enumerate(model.model.layers):
        if layer.block_type == "linear_attention":
            names += [f"model.layers.{i}.mixer.in_proj", f"model.layers.{i}.mixer.out_proj"]
        elif layer.block_type == "mlp":
            names += [f"model.layers.{i}.mixer.up_proj", f"model.layers.{i}.mixer.down_proj"]
    return names


def to_ckpt_name(hf_name):
    return "backbone." + hf_name[len("model."):] if hf_name.startswith("model.") else hf_name


@torch.no_grad()
def calibrate_amax(model, module_names, prompts):
    amax = {n: torch.zeros((), dtype=torch.float32) for n in module_names}
    mods = dict(model.named_modules())
    handles = []
    for n in module_names:
        def pre(_m, inp, n=n):
            amax[n] = torch.maximum(amax[n], inp[0].detach().float().abs().max())
        handles.append(mods[n].register_forward_pre_hook(pre))
    for ids in prompts:
        model(ids.view(1, -1), use_cache=False)
    for h in handles:
        h.remove()
    return amax


@torch.no_grad()
def build_fp8(model_fp32, prompts, names=None, amax_in=None):
    if names is None:
        names = quantized_module_names(model_fp32)
    if amax_in is None:
        amax_in = calibrate_amax(model_fp32, names, prompts)
    model = copy.deepcopy(model_fp32)
    mods = dict(model.named_modules())
    quant = {}
    for n in names:
        lin = mods[n]
        w = lin.weight.detach().float()
        weight_scale = (w.abs().max() / FP8_MAX).to(torch.float32).reshape(())
        wq = e4m3_quantize(w / weight_scale)
        input_scale = (amax_in[n] / FP8_MAX).to(torch.float32).reshape(())
        fq = FP8FakeQuantLinear(wq, weight_scale, input_scale)
        parent_name, child = n.rsplit(".", 1)
        setattr(mods[parent_name], child, fq)
        quant[n] = fq
    return model, quant


FP8_EXCLUDE = ["lm_head", "*.mixer.q_proj", "*.mixer.k_proj", "*.mixer.v_proj", "*.mixer.o_proj", "*.mixer.conv1d"]
FP8_PRODUCER = {"name": "modelopt", "version": "0.0.0+nhc-make-golden"}


def write_fp8_checkpoint(src_dir, dst_dir, quant):
    os.makedirs(dst_dir)
    tensors = {}
    with safe_open(os.path.join(src_dir, "model.safetensors"), "pt") as f:
        for k in f.keys():
            tensors[k] = f.get_tensor(k)
    for n, fq in quant.items():
        base = to_ckpt_name(n)
        if base + ".weight" not in tensors:
            die(f"fp8: {base}.weight not in the base checkpoint")
        tensors[base + ".weight"] = fq.weight_fp8.clone().contiguous()
        tensors[base + ".weight_scale"] = fq.weight_scale.clone().reshape(())
        tensors[base + ".input_scale"] = fq.input_scale.clone().reshape(())
    save_file(dict(sorted(tensors.items())), os.path.join(dst_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(src_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["quantization_config"] = {
        "quant_method": "modelopt",
        "quant_algo": "FP8",
        "kv_cache_quant_algo": None,
        "exclude_modules": FP8_EXCLUDE,
        "ignore": FP8_EXCLUDE,
        "config_groups": {
            "group_0": {
                "input_activations": {"dynamic": False, "num_bits": 8, "type": "float"},
                "weights": {"dynamic": False, "num_bits": 8, "type": "float"},
                "targets": ["Linear"],
            }
        },
        "producer": FP8_PRODUCER,
    }
    write_json(os.path.join(dst_dir, "config.json"), cfg)
    shutil.copyfile(os.path.join(src_dir, "generation_config.json"), os.path.join(dst_dir, "generation_config.json"))
    write_json(
        os.path.join(dst_dir, "hf_quant_config.json"),
        {
            "producer": FP8_PRODUCER,
            "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": None, "exclude_modules": FP8_EXCLUDE},
        },
    )
    # Read back: the stored bytes must be exactly what the reference used.
    with safe_open(os.path.join(dst_dir, "model.safetensors"), "pt") as f:
        for n, fq in quant.items():
            base = to_ckpt_name(n)
            w = f.get_tensor(base + ".weight")
            if w.dtype != torch.float8_e4m3fn or not torch.equal(w.view(torch.uint8), fq.weight_fp8.view(torch.uint8)):
                die(f"fp8 read-back mismatch for {base}.weight")
            for s in ("weight_scale", "input_scale"):
                t = f.get_tensor(f"{base}.{s}")
                if t.shape != torch.Size([]) or t.dtype != torch.float32 or not torch.equal(t, getattr(fq, s)):
                    die(f"fp8 read-back mismatch for {base}.{s}")


class FP8FakeQuantExperts(torch.nn.Module):
    """transformers' NemotronHExperts.forward with each expert's up and down projection an
    FP8FakeQuantLinear of its own (per-expert weight_scale and input_scale, modelopt's layout)."""

    def __init__(self, act_fn, up, down):
        super().__init__()
        self.act_fn = act_fn
        self.up = torch.nn.ModuleList(up)
        self.down = torch.nn.ModuleList(down)
        self.num_experts = len(up)

    def forward(self, hidden_states, top_k_index, top_k_weights):
        final = torch.zeros_like(hidden_states, dtype=top_k_weights.dtype)
        with torch.no_grad():
            mask = torch.nn.functional.one_hot(top_k_index, num_classes=self.num_experts + 1).permute(2, 1, 0)
            hit = torch.greater(mask.sum(dim=(-1, -2)), 0).nonzero().squeeze(-1)
        for e in hit:
            e = e.item()
            if e >= self.num_experts:
                continue
            top_k_pos, token_idx = torch.where(mask[e])
            if token_idx.numel() == 0:
                continue
            h = self.act_fn(self.up[e](hidden_states[token_idx]))
            y = self.down[e](h) * top_k_weights[token_idx, top_k_pos, None]
            final.index_add_(0, token_idx, y.to(final.dtype))
        return final.to(hidden_states.dtype)


@torch.no_grad()
def calibrate_expert_amax(model, prompts):
    """Per routed expert, max|x| at its up_proj input and at its down_proj input (the activation's
    output) over the tokens routed to it, from the unquantized model's no-cache prefills."""
    amax = {}
    saved = []
    for i, layer in enumerate(model.model.layers):
        experts = getattr(layer.mixer, "experts", None)
        if experts is None:
            continue
        E = experts.num_experts
        amax[i] = {"up": torch.zeros(E), "down": torch.zeros(E)}

        def recording(hidden_states, top_k_index, top_k_weights, experts=experts, rec=amax[i], orig=experts.forward):
            for e in range(experts.num_experts):
                tok = (top_k_index == e).any(-1).nonzero().squeeze(-1)
                if tok.numel() == 0:
                    continue
                x = hidden_states[tok].float()
                rec["up"][e] = torch.maximum(rec["up"][e], x.abs().max())
                h = experts.act_fn(torch.nn.functional.linear(x, experts.up_proj[e].float()))
                rec["down"][e] = torch.maximum(rec["down"][e], h.abs().max())
            return orig(hidden_states, top_k_index, top_k_weights)
        saved.append((experts, experts.forward))
        experts.forward = recording
    try:
        for ids in prompts:
            model(ids.view(1, -1), use_cache=False)
    finally:
        for experts, fwd in saved:
            experts.forward = fwd
    return amax


@torch.no_grad()
def build_fp8_moe(model_fp32, prompts):
    """build_fp8 plus the shared experts (plain Linears) and every routed expert. An expert that no
    calibration token reached takes the largest amax of its layer's experts (its own would be 0)."""
    names = quantized_module_names(model_fp32)
    for i, layer in enumerate(model_fp32.model.layers):
        if layer.block_type == "moe":
            names += [f"model.layers.{i}.mixer.shared_experts.up_proj", f"model.layers.{i}.mixer.shared_experts.down_proj"]
    amax_in = calibrate_amax(model_fp32, names, prompts)
    expert_amax = calibrate_expert_amax(model_fp32, prompts)
    model, quant = build_fp8(model_fp32, prompts, names=names, amax_in=amax_in)
    uncalibrated = []
    for i, rec in expert_amax.items():
        mixer = model.model.layers[i].mixer
        old = mixer.experts
        per = {"up": [], "down": []}
        for proj in ("up", "down"):
            stack = getattr(old, proj + "_proj").detach().float()
            fallback = rec[proj].max()
            for e in range(old.num_experts):
                a = rec[proj][e]
                if a == 0:
                    uncalibrated.append(f"backbone.layers.{i}.mixer.experts.{e}.{proj}_proj")
                    a = fallback
                w = stack[e]
                weight_scale = (w.abs().max() / FP8_MAX).to(torch.float32).reshape(())
                fq = FP8FakeQuantLinear(e4m3_quantize(w / weight_scale), weight_scale,
                                        (a / FP8_MAX).to(torch.float32).reshape(()))
                per[proj].append(fq)
                quant[f"model.layers.{i}.mixer.experts.{e}.{proj}_proj"] = fq
        mixer.experts = FP8FakeQuantExperts(old.act_fn, per["up"], per["down"])
    return model, quant, uncalibrated


# ----------------------------------------------------------------------------
# Router diagnostics for the MoE case
# ----------------------------------------------------------------------------

def route(gate, x, use_bias=True, use_groups=True):
    logits = F.linear(x.float(), gate.weight.float())
    scores = logits.sigmoid()
    choice = scores + (gate.e_score_correction_bias if use_bias else 0.0)
    if use_groups:
        gs = choice.view(-1, gate.num_group, gate.num_experts // gate.num_group).topk(2, dim=-1)[0].sum(-1)
        gidx = torch.topk(gs, k=gate.topk_group, dim=-1, sorted=False)[1]
        gmask = torch.zeros_like(gs).scatter_(1, gidx, 1)
        smask = gmask.unsqueeze(-1).expand(-1, gate.num_group, gate.num_experts // gate.num_group).reshape(-1, gate.num_experts)
        choice = choice.masked_fill(~smask.bool(), float("-inf"))
    idx = torch.topk(choice, k=gate.top_k, dim=-1, sorted=False)[1]
    return torch.sort(idx, dim=-1).values


@torch.no_grad()
def router_diagnostics(model, prompts):
    inputs = []
    gates = []
    handles = []
    for layer in model.model.layers:
        if layer.block_type == "moe":
            gate = layer.mixer.gate
            gates.append(gate)
            handles.append(gate.register_forward_pre_hook(lambda m, inp: inputs.append((m, inp[0].detach().reshape(-1, inp[0].shape[-1])))))
    for ids in prompts:
        model(ids.view(1, -1), use_cache=False)
    for h in handles:
        h.remove()
    tokens = bias_changes = group_changes = 0
    for gate, x in inputs:
        ref = route(gate, x)
        tokens += x.shape[0]
        bias_changes += int((route(gate, x, use_bias=False) != ref).any(-1).sum())
        group_changes += int((route(gate, x, use_groups=False) != ref).any(-1).sum())
    return {
        "routed_token_layer_pairs": tokens,
        "selections_changed_by_e_score_correction_bias": bias_changes,
        "selections_changed_by_group_limit": group_changes,
    }


# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------

DENSE_LENGTHS = [5, 11, 23]


def config_summary(cfg):
    pattern = cfg.hybrid_override_pattern
    s = {
        "pattern": pattern,
        "layers_block_type": list(cfg.layers_block_type),
        "num_layers": len(pattern),
        "hidden_size": cfg.hidden_size,
        "vocab_size": cfg.vocab_size,
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "residual_in_fp32": cfg.residual_in_fp32,
        "mamba": {
            "num_heads": cfg.mamba_num_heads,
            "head_dim": cfg.mamba_head_dim,
            "intermediate": cfg.mamba_num_heads * cfg.mamba_head_dim,
            "n_groups": cfg.n_groups,
            "ssm_state_size": cfg.ssm_state_size,
            "conv_kernel": cfg.conv_kernel,
            "conv_dim": cfg.mamba_num_heads * cfg.mamba_head_dim + 2 * cfg.n_groups * cfg.ssm_state_size,
            "in_proj_out": 2 * cfg.mamba_num_heads * cfg.mamba_head_dim + 2 * cfg.n_groups * cfg.ssm_state_size + cfg.mamba_num_heads,
            "chunk_size": cfg.chunk_size,
            "time_step_min": cfg.time_step_min,
            "effective_dt_clamp_in_hf_prefill": [cfg.time_step_min, "inf"],
            "config_time_step_limit": ["inf" if math.isinf(v) else v for v in cfg.time_step_limit],
        },
        "attention": {
            "num_heads": cfg.num_attention_heads,
            "num_kv_heads": cfg.num_key_value_heads,
            "head_dim": cfg.head_dim,
            "scaling": "head_dim**-0.5",
            "positional": "none (NoPE)",
        },
        "mlp": {"intermediate_size": cfg.intermediate_size, "act": cfg.mlp_hidden_act},
    }
    if "E" in pattern:
        s["moe"] = {
            "n_routed_experts": cfg.n_routed_experts,
            "num_experts_per_tok": cfg.num_experts_per_tok,
            "n_group": cfg.n_group,
            "topk_group": cfg.topk_group,
            "moe_intermediate_size": cfg.moe_intermediate_size,
            "moe_shared_expert_intermediate_size": cfg.moe_shared_expert_intermediate_size,
            "n_shared_experts": cfg.n_shared_experts,
            "norm_topk_prob": cfg.norm_topk_prob,
            "routed_scaling_factor": cfg.routed_scaling_factor,
            "moe_latent_size": cfg.moe_latent_size,
            "checkpoint_expert_weight_names": [
                "backbone.layers.{i}.mixer.experts.{e}.up_proj.weight  [moe_intermediate_size, hidden_size]",
                "backbone.layers.{i}.mixer.experts.{e}.down_proj.weight  [hidden_size, moe_intermediate_size]",
                "backbone.layers.{i}.mixer.shared_experts.up_proj.weight  [moe_shared_expert_intermediate_size, hidden_size]",
                "backbone.layers.{i}.mixer.shared_experts.down_proj.weight  [hidden_size, moe_shared_expert_intermediate_size]",
                "backbone.layers.{i}.mixer.gate.weight  [n_routed_experts, hidden_size] (router, fp32 math)",
                "backbone.layers.{i}.mixer.gate.e_score_correction_bias  [n_routed_experts] (always F32)",
            ],
            "expert_weight_layout_note": (
                "save_pretrained writes one tensor per expert (experts.{e}.up_proj.weight / down_proj.weight); "
                "in memory transformers stacks them into experts.up_proj [E, I, H] and experts.down_proj [E, H, I] "
                "via its nemotron_h weight-conversion mapping (MergeModulelist on load, split on save)."
            ),
        }
    return s


def tolerance_block():
    return {
        "fp32": {
            "rel_tol": FP32_REL_TOL,
            "logits": "per position t: max_v |engine[t,v] - ref[t,v]| <= rel_tol * max(1, max_v |ref[t,v]|)",
            "argmax": "engine argmax == ref argmax at every prefill position whose ref top1-top2 margin > 2*rel_tol*max(1, max|ref|)",
            "greedy": "generated_ids must be identical (every reference decode step has margin > "
                      f"{MARGIN_FACTOR}*rel_tol*max(1, max|logit|), enforced when the prompts were chosen)",
        },
        "bf16": {
            "rel_tol": BF16_REL_TOL,
            "logits": "same rule as fp32 with rel_tol = 3e-2, against the bf16.* reference tensors",
            "argmax": "argmax agreement only where the ref margin > 2*rel_tol*max(1, max|ref|)",
            "greedy": "compare decode logits teacher-forced on bf16.prompt.N.generated_ids; free-running greedy "
                      "tokens must agree up to the first step whose ref margin is <= 2*rel_tol*scale",
        },
        "fp8": {
            "rel_tol": FP8_REL_TOL,
            "logits": "same rule as fp32, for an engine that runs the non-quantized parts in fp32 and applies the "
                      "same quantization (x / input_scale, clamp +-448, e4m3 round-to-nearest-even, fp8 x fp8 products "
                      "accumulated in fp32, times input_scale*weight_scale); an activation that sits on an e4m3 "
                      "rounding midpoint may round differently after tiny upstream differences, see "
                      "checks.fp8.sensitivity_recip_vs_div_max_logit_err_rel (x * (1/input_scale) instead of "
                      "x / input_scale). An engine that runs the non-quantized parts in bf16 is judged with the bf16 "
                      "rel_tol (3e-2).",
            "argmax": "as fp32",
            "greedy": "identical (prompts chosen with the same margin rule as fp32)",
        },
    }


def reference_entry(t):
    return {"dtype": st_dtype(t), "shape": list(t.shape)}


TENSOR_NAMING = {
    "prompt.N.ids": "I64 [len]: prompt N token ids (each prompt is run alone, batch 1, no padding)",
    "prompt.N.prefill_logits": "F32 [len, vocab]: logits of one full forward over the prompt without cache; row t = "
                               "prediction after prompt[0..t]",
    "prompt.N.generated_ids": "I64 [16]: greedy continuation from generate(do_sample=False, max_new_tokens=16, "
                              "use_cache=True), eos disabled",
    "prompt.N.decode_logits": "F32 [16, vocab]: row k = logits that produced generated_ids[k] (generate's "
                              "output_logits, unprocessed); row 0 comes from the cached prefill's last position, row "
                              "k > 0 from the decode step fed generated_ids[k-1]",
    "prompt.0.hidden_states": "F32 [n_layers+1, len, hidden] (case dense only): HF output_hidden_states; [0] = "
                              "embeddings, [k] = residual stream entering layer k for 1 <= k < n_layers, "
                              "[n_layers] = norm_f(output of the last layer) (HF replaces the last entry by the "
                              "final-norm output)",
    "prompt.0.layer_outputs": "F32 [n_layers, len, hidden] (case dense only): residual stream after each block "
                              "(forward hooks); [k] = output of layer k, so hidden_states[k+1] == layer_outputs[k] "
                              "for k < n_layers-1 and layer_outputs[n_layers-1] is the input of norm_f",
    "bf16.prompt.N.*": "(case dense only) prefill_logits / generated_ids / decode_logits of the bf16 variant "
                       "(model-bf16/), computed by HF in bfloat16; logits are the bf16 lm_head output cast to F32; "
                       "the prompt ids are prompt.N.ids",
}


def case_dense_like(out_root, name, chunk_size, lengths, prompts_given, want_hidden, want_bf16, description,
                    init_seed="dense"):
    case_dir = os.path.join(out_root, name)
    model_dir = os.path.join(case_dir, "model")
    os.makedirs(case_dir)
    cfg = NemotronHConfig(**dense_config(chunk_size))
    torch.manual_seed(0)
    base = NemotronHForCausalLM(cfg)
    reinit_model(base, init_seed)
    base.save_pretrained(model_dir)
    model = load_hf(model_dir, torch.float32)
    check_same_weights(base, model)
    return finish_case(case_dir, name, description, model, cfg, lengths, prompts_given, want_hidden,
                       want_bf16=want_bf16, base=base, rel_tol=FP32_REL_TOL)


def check_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    if sa.keys() != sb.keys():
        die(f"reloaded checkpoint has different tensors: {sorted(set(sa) ^ set(sb))}")
    for k in sa:
        if sa[k].dtype != sb[k].dtype or not torch.equal(sa[k], sb[k]):
            die(f"reloaded checkpoint differs at {k}")


def finish_case(case_dir, name, description, model, cfg, lengths, prompts_given, want_hidden, want_bf16=False,
                base=None, rel_tol=FP32_REL_TOL, extra=None, prompt_attempts=None, dt_clamp_binds=False):
    tensors = {}
    entries = {}
    counter = DtClampCounter(model)
    prompts = []
    attempts = list(prompt_attempts or [])
    for i, length in enumerate(lengths):
        if prompts_given is not None and i < len(prompts_given):
            ids = prompts_given[i]
            if prompt_attempts is None:
                attempts.append(None)
        else:
            ids, att = search_prompt(model, name, i, length, cfg.vocab_size, rel_tol)
            attempts.append(att)
        prompts.append(ids)
    counter.hits = counter.prefill_hits = counter.total = 0
    counter.min_dt = float("inf")
    diags = []
    for i, ids in enumerate(prompts):
        res = run_prompt(model, ids, want_hidden=(want_hidden and i == 0))
        if not margins_ok(res, rel_tol):
            die(f"{name}: prompt {i} greedy margins too small for rel_tol={rel_tol}")
        p = f"prompt.{i}."
        tensors[p + "ids"] = ids.clone()
        entries[p + "ids"] = reference_entry(ids)
        for key in ("prefill_logits", "generated_ids", "decode_logits", "hidden_states", "layer_outputs"):
            if key in res:
                tensors[p + key] = res[key]
                entries[p + key] = reference_entry(res[key])
        d = dict(res["diag"])
        d["length"] = int(ids.numel())
        diags.append(d)
    dt_info = {"dt_clamp_hits": counter.hits, "dt_values_checked": counter.total, "min_dt": fnum(counter.min_dt)}
    counter.close()
    if dt_clamp_binds:
        decode_hits = counter.hits - counter.prefill_hits
        dt_info.update(prefill_hits_clamped=counter.prefill_hits, decode_hits_unclamped=decode_hits)
        if counter.prefill_hits == 0 or decode_hits == 0:
            die(f"{name}: the dt clamp must bind in prefill and decode steps: {dt_info}")
    elif counter.hits:
        die(f"{name}: {counter.hits} dt values hit HF's prefill clamp (time_step_min); change the init")

    if want_hidden:
        hs, lo = tensors["prompt.0.hidden_states"], tensors["prompt.0.layer_outputs"]
        if not torch.equal(hs[1:-1], lo[:-1]):
            die("hidden_states[1:-1] != layer_outputs[:-1]")
        if (model.model.norm_f(lo[-1]) - hs[-1]).abs().max() > 1e-6:
            die("hidden_states[-1] != norm_f(layer_outputs[-1])")

    variants = [{
        "name": "fp32",
        "dtype": "float32",
        "model_dir": "model",
        "tensor_prefix": "",
        "computed_with": "HF NemotronHForCausalLM.from_pretrained(model_dir, dtype=torch.float32, "
                         "attn_implementation='eager'), CPU, torch path, 1 thread",
    }]
    extra = dict(extra or {})
    if want_bf16:
        bf16_dir = os.path.join(case_dir, "model-bf16")
        b = copy.deepcopy(base).to(torch.bfloat16)
        b.save_pretrained(bf16_dir)
        mb = load_hf(bf16_dir, torch.bfloat16)
        check_same_weights(b, mb)
        same_greedy = []
        bf_vs_fp = 0.0
        for i, ids in enumerate(prompts):
            res = run_prompt(mb, ids)
            p = f"bf16.prompt.{i}."
            for key in ("prefill_logits", "generated_ids", "decode_logits"):
                tensors[p + key] = res[key]
                entries[p + key] = reference_entry(res[key])
            ref = tensors[f"prompt.{i}.prefill_logits"]
            rel = ((res["prefill_logits"] - ref).abs().amax(-1) / logit_scale(ref)).max()
            bf_vs_fp = max(bf_vs_fp, float(rel))
            g32 = tensors[f"prompt.{i}.generated_ids"]
            n = 0
            while n < MAX_NEW_TOKENS and int(res["generated_ids"][n]) == int(g32[n]):
                n += 1
            same_greedy.append(n)
        variants.append({
            "name": "bf16",
            "dtype": "bfloat16",
            "model_dir": "model-bf16",
            "tensor_prefix": "bf16.",
            "prompts": "same ids as prompt.N.ids",
            "computed_with": "the fp32 weights cast to bfloat16 (round-to-nearest-even, every tensor incl. A_log, "
                             "D, dt_bias, norms), saved with save_pretrained, reloaded with dtype=torch.bfloat16 "
                             "and run by HF in bfloat16 on the CPU (eager attention)",
        })
        extra["bf16_vs_fp32"] = {
            "max_prefill_logit_err_rel_to_scale": fnum(bf_vs_fp),
            "greedy_tokens_identical_to_fp32_prefix_len": same_greedy,
        }
    return {
        "case_dir": case_dir,
        "name": name,
        "description": description,
        "cfg": cfg,
        "prompts": prompts,
        "prompt_attempts": attempts,
        "tensors": tensors,
        "entries": entries,
        "diags": diags,
        "dt": dt_info,
        "variants": variants,
        "extra": extra,
        "model": model,
        "rel_tol": rel_tol,
    }


def write_case(info):
    case_dir = info["case_dir"]
    tensors = dict(sorted(info["tensors"].items()))
    save_file(tensors, os.path.join(case_dir, "reference.safetensors"),
              # A single metadata key: safetensors serialises metadata from a hash map, so
              # several keys come out in a random order and break bit-identical output.
              metadata={"format": "pt"})
    cfg = info["cfg"]
    files = {}
    checkpoints = {}
    for root, _dirs, fnames in sorted(os.walk(case_dir)):
        for fn in sorted(fnames):
            full = os.path.join(root, fn)
            rel = os.path.relpath(full, case_dir).replace(os.sep, "/")
            if rel == "manifest.json":
                continue
            files[rel] = {"bytes": os.path.getsize(full), "sha256": sha256_file(full)}
            if fn == "model.safetensors":
                checkpoints[rel] = checkpoint_tensors(full)
    files = dict(sorted(files.items()))
    prompts = []
    for i, ids in enumerate(info["prompts"]):
        prompts.append({
            "index": i,
            "length": int(ids.numel()),
            "ids": [int(v) for v in ids],
            "selection_attempt": info["prompt_attempts"][i],
            "generated_ids": [int(v) for v in info["tensors"][f"prompt.{i}.generated_ids"]],
            "diagnostics": info["diags"][i],
        })
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "case": info["name"],
        "description": info["description"],
        "generator": {
            "script": "tools/golden/make_golden.py",
            "command": info.get("command", CANONICAL_COMMAND),
            "install": "pip install torch transformers safetensors numpy",
            "device": "cpu",
            "torch_threads": 1,
            "deterministic_algorithms": True,
            "hf_class": "transformers.NemotronHForCausalLM",
            "attn_implementation": "eager",
            "experts_implementation": "eager",
            "mamba_path": "HF reference PyTorch implementation (mamba_ssm / causal_conv1d / hub kernels absent; asserted)",
        },
        "versions": versions(),
        "paths": {
            "reference": "reference.safetensors",
            "model_dirs": [v["model_dir"] for v in info["variants"]],
        },
        "config_summary": info["summary_patch"](config_summary(cfg)) if "summary_patch" in info else config_summary(cfg),
        "init_scheme": INIT_SCHEME + info.get("init_scheme_extra", []),
        "variants": info["variants"],
        "prompts": prompts,
        "generation": {
            "max_new_tokens": MAX_NEW_TOKENS,
            "do_sample": False,
            "num_beams": 1,
            "use_cache": True,
            "eos_token_id": None,
            "note": "eos is disabled during generation (exactly 16 greedy tokens, no early stop); the checkpoint's "
                    "own eos_token_id (2) is ignored. Each prompt is run alone (batch 1, no padding).",
        },
        "reference_tensors": dict(sorted(info["entries"].items())),
        "tensor_naming": TENSOR_NAMING,
        "checkpoint_tensors": checkpoints,
        "tolerance": tolerance_block(),
        "checks": dict({"dt_clamp": info["dt"]}, **info["extra"]),
        "files": files,
    }
    if info["name"] == "chunked":
        manifest["checks"]["chunk_boundaries_crossed_by_prompt"] = [
            (int(ids.numel()) - 1) // cfg.chunk_size for ids in info["prompts"]]
    write_json(os.path.join(case_dir, "manifest.json"), manifest)
    ntensors = sum(len(v) for v in checkpoints.values()) + len(tensors)
    return ntensors


# ----------------------------------------------------------------------------
# Extra cases (--cases NAME[,NAME...]): one HF feature or checkpoint variant each
# ----------------------------------------------------------------------------
#
# Each extra case is a small model (hidden 32, vocab 128, chunk_size 16) built with the same
# init scheme (init_seed = the case name), saved with save_pretrained, then (for some cases)
# rewritten on disk; HF loads that directory with from_pretrained(dtype=torch.float32) and
# the reference is what HF computes from it, with the same prompt search, margin rule and
# dt-clamp check as the original cases. --cases touches only <out>/<name>/ for the named cases.

LEGACY_CASES = ["dense", "chunked", "moe", "fp8"]
EXTRA_LENGTHS = [4, 21]  # 4 = conv_kernel; 21 > chunk_size 16 crosses one chunk boundary
EXTRA_COMMAND = "python3 tools/golden/make_golden.py --out test/golden --cases {name}"
EXTRA_INIT_SCHEME = [
    "extra cases: init_seed is the case name",
    "Linear biases (use_bias: mixer.in_proj.bias, mixer.out_proj.bias; mlp_bias: MLP up_proj.bias, "
    "down_proj.bias): 0.1*N(0,1)",
    "values stored in a narrower dtype than F32 (BF16) are the float32 init rounded to nearest even; the "
    "in-memory model used for the weight check holds exactly the stored values",
]
KEEP_F32_SUFFIXES = ("mixer.A_log", "mixer.D", "mixer.dt_bias", "norm.weight", "norm_f.weight")


def small_dense_config(**over):
    c = dict(
        COMMON,
        vocab_size=128,
        hidden_size=32,
        hybrid_override_pattern="M-*M-",
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        intermediate_size=32,
        mamba_num_heads=4,
        mamba_head_dim=8,
        n_groups=2,
        ssm_state_size=16,
        chunk_size=16,
    )
    c.update(over)
    return c


def small_moe_config(**over):
    c = small_dense_config(
        hybrid_override_pattern="ME*E",
        n_routed_experts=8,
        num_experts_per_tok=2,
        n_group=2,
        topk_group=1,
        moe_intermediate_size=8,
        moe_shared_expert_intermediate_size=16,
        n_shared_experts=1,
        norm_topk_prob=True,
        routed_scaling_factor=2.5,
        moe_latent_size=None,
    )
    c.update(over)
    return c


def read_safetensors(path):
    with safe_open(path, "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def write_safetensors(path, tensors):
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, path, metadata={"format": "pt"})


def load_hf_with_info(model_dir):
    """load_hf plus from_pretrained's loading report (missing / unexpected keys)."""
    model, li = NemotronHForCausalLM.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    if any(getattr(m, "num_experts", None) is not None for m in model.modules()):
        model.set_experts_implementation("eager")
    model.eval()
    model.generation_config.eos_token_id = None
    info = {k: sorted(str(x) for x in (li.get(k) or ())) for k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    info["error_msgs"] = [str(e) for e in (li.get("error_msgs") or [])]
    q = getattr(model, "hf_quantizer", None)
    info["hf_quantizer"] = None if q is None else type(q).__name__
    info["all_tied_weights_keys"] = {str(k): str(v) for k, v in sorted((getattr(model, "all_tied_weights_keys", None) or {}).items())}
    return model, info


@torch.no_grad()
def round_to_bf16_(model, pred):
    n = 0
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if pred(name):
            t.copy_(t.to(torch.bfloat16).to(t.dtype))
            n += 1
    return n


def cast_file_tensors(tensors, pred, dtype):
    out = {}
    for k, v in tensors.items():
        if pred(k):
            w = v.to(dtype)
            if not torch.equal(w.to(v.dtype), v):
                die(f"{k}: casting to {dtype} is not exact (the in-memory model must hold the stored values)")
            out[k] = w
        else:
            out[k] = v
    return out


def prefill_rel_err(model, info):
    worst = 0.0
    with torch.no_grad():
        for i, ids in enumerate(info["prompts"]):
            lg = model(ids.view(1, -1), use_cache=False).logits[0].float()
            ref = info["tensors"][f"prompt.{i}.prefill_logits"]
            worst = max(worst, float(((lg - ref).abs().amax(-1) / logit_scale(ref)).max()))
    return fnum(worst)


def act_sensitivity(info, mlp_alt=None, mamba_alt=None):
    """Max prefill logit error (relative to scale) when the MLP / Mamba activation is swapped."""
    from transformers.activations import ACT2FN
    model = info["model"]
    saved = []
    for m in model.modules():
        if mlp_alt is not None and isinstance(m, (hf_nemotron_h.NemotronHMLP, hf_nemotron_h.NemotronHExperts)):
            saved.append((m, "act_fn", m.act_fn))
            m.act_fn = ACT2FN[mlp_alt]
        if mamba_alt is not None and isinstance(m, hf_nemotron_h.NemotronHMamba2Mixer):
            saved.append((m, "activation", m.activation))
            m.activation = mamba_alt
    try:
        return prefill_rel_err(model, info)
    finally:
        for m, attr, v in saved:
            setattr(m, attr, v)


def stored_dtype_counts(listing):
    counts = {}
    for v in listing.values():
        counts[v["dtype"]] = counts.get(v["dtype"], 0) + 1
    return dict(sorted(counts.items()))


def extra_summary_patch(cfg, model_dir, moe_names=None, bias_dtype="F32"):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        cj = json.load(f)
    stored = checkpoint_tensors(os.path.join(model_dir, "model.safetensors"))

    def patch(s):
        s["config_dtype"] = cj.get("dtype")
        s["stored_dtypes"] = stored_dtype_counts(stored)
        s["mamba"]["hidden_act"] = cfg.mamba_hidden_act
        s["mamba"]["hidden_act_use"] = ("HF applies ACT2FN[mamba_hidden_act] to the conv1d output (all conv_dim "
                                        "channels: x, B, C) in causal_conv1d_fn (prefill) and causal_conv1d_update "
                                        "(decode); dt and the gate z do not pass through it")
        s["mamba"]["conv_bias"] = cfg.use_conv_bias
        s["mamba"]["in_out_proj_bias"] = cfg.use_bias
        s["mamba"]["config_mamba_proj_bias_ignored_by_hf"] = cj.get("mamba_proj_bias")
        s["mlp"]["bias"] = cfg.mlp_bias
        s["attention"]["config_attention_bias_ignored_by_hf"] = cfg.attention_bias
        s["attention"]["bias"] = False
        if "moe" in s:
            s["moe"]["act"] = cfg.mlp_hidden_act
            s["moe"]["act_use"] = ("ACT2FN[mlp_hidden_act] in both the routed experts (NemotronHExperts.act_fn) and "
                                   "the shared expert (NemotronHMLP.act_fn)")
            if moe_names is not None:
                s["moe"]["checkpoint_expert_weight_names"] = moe_names
                s["moe"]["expert_weight_layout_note"] = (
                    "routed experts are stored stacked, exactly as transformers holds them in memory; the nemotron_h "
                    "conversion mapping (MergeModulelist over experts.*.up_proj.weight) does not match these names, "
                    "so from_pretrained loads them directly into experts.up_proj / experts.down_proj (checked equal)")
            if bias_dtype != "F32":
                s["moe"]["checkpoint_expert_weight_names"] = [
                    n.replace("(always F32)", f"(stored {bias_dtype}; HF keeps the buffer in fp32: "
                              "_keep_in_fp32_modules_strict)") for n in s["moe"]["checkpoint_expert_weight_names"]]
        return s
    return patch


def build_extra_case(out, name, cfg_kwargs, description, prepare=None, rewrite=None, edit_config=None,
                     extra_json=None, after_load=None, post=None, summary_kwargs=None, computed_with=None,
                     finish_kwargs=None):
    case_dir = os.path.join(out, name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    model_dir = os.path.join(case_dir, "model")
    os.makedirs(case_dir)
    cfg = NemotronHConfig(**cfg_kwargs)
    torch.manual_seed(0)
    base = NemotronHForCausalLM(cfg)
    reinit_model(base, name)
    base.eval()
    extra = {}
    if prepare is not None:
        prepare(base, extra)
    base.save_pretrained(model_dir)
    st = os.path.join(model_dir, "model.safetensors")
    if rewrite is not None:
        write_safetensors(st, rewrite(read_safetensors(st), base, extra))
    if edit_config is not None:
        cpath = os.path.join(model_dir, "config.json")
        with open(cpath, encoding="utf-8") as f:
            cj = json.load(f)
        edit_config(cj)
        write_json(cpath, cj)
    for fn, obj in (extra_json or {}).items():
        write_json(os.path.join(model_dir, fn), obj)
    model, load_info = load_hf_with_info(model_dir)
    extra["hf_load"] = load_info
    if after_load is not None:
        after_load(base, model, extra)
    else:
        if load_info["missing_keys"] or load_info["mismatched_keys"]:
            die(f"{name}: from_pretrained reported {load_info}")
        check_same_weights(base, model)
        extra["hf_load"]["loaded_parameters_equal_stored_values"] = True
    info = finish_case(case_dir, name, description, model, cfg, EXTRA_LENGTHS, None, want_hidden=False,
                       rel_tol=FP32_REL_TOL, extra=extra, **(finish_kwargs or {}))
    info["command"] = EXTRA_COMMAND.format(name=name)
    info["init_scheme_extra"] = EXTRA_INIT_SCHEME
    info["summary_patch"] = extra_summary_patch(cfg, model_dir, **(summary_kwargs or {}))
    info["variants"][0]["computed_with"] = computed_with or (
        "HF NemotronHForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation='eager'), CPU, "
        "torch path, 1 thread; every stored tensor is upcast to float32 by from_pretrained, all math in float32")
    if "E" in cfg.hybrid_override_pattern:
        rd = router_diagnostics(model, info["prompts"])
        if rd["selections_changed_by_e_score_correction_bias"] == 0 or rd["selections_changed_by_group_limit"] == 0:
            die(f"{name}: routing diagnostics show an untested rule: {rd}")
        info["extra"]["router"] = rd
    if post is not None:
        post(info)
    return info


def same_weights_except(base, model, skip):
    sa, sb = base.state_dict(), model.state_dict()
    if sa.keys() != sb.keys():
        die(f"reloaded checkpoint has different tensors: {sorted(set(sa) ^ set(sb))}")
    for k in sa:
        if k in skip:
            continue
        if sa[k].dtype != sb[k].dtype or not torch.equal(sa[k], sb[k]):
            die(f"reloaded checkpoint differs at {k}")


# --- the cases ----------------------------------------------------------------

def x_conv_nobias(out):
    def rewrite(t, _base, extra):
        if any(k.endswith("conv1d.bias") for k in t):
            die("conv_nobias: save_pretrained wrote a conv1d.bias")
        return t
    return build_extra_case(
        out, "conv_nobias", small_dense_config(use_conv_bias=False),
        "use_conv_bias: false. Pattern M-*M-, fp32. The checkpoint has no mixer.conv1d.bias tensor; HF builds "
        "nn.Conv1d(bias=False) and passes conv1d.bias = None to causal_conv1d_fn / causal_conv1d_update, i.e. the "
        "depthwise causal conv adds nothing before the activation (silu).",
        rewrite=rewrite)


def conv_kernel_case(out, name, kernel):
    def rewrite(t, _base, extra):
        shapes = {tuple(v.shape) for k, v in t.items() if k.endswith("conv1d.weight")}
        if not shapes or any(shape[1:] != (1, kernel) for shape in shapes):
            die(f"{name}: save_pretrained wrote conv1d.weight shapes {sorted(shapes)}, not [C, 1, {kernel}]")
        return t
    return build_extra_case(
        out, name, small_dense_config(conv_kernel=kernel),
        f"conv_kernel {kernel} (every published config has 4). Pattern M-*M-, fp32. HF's depthwise causal conv "
        f"has {kernel} tap(s): prefill pads the sequence with {kernel - 1} zero(s) on the left, and its cache keeps "
        f"the last {kernel} inputs (the new one included), so a decode step reads the {kernel - 1} before it"
        + (": none, the conv is a per-channel scale plus bias (nhc keeps no conv state)." if kernel == 1 else "."),
        rewrite=rewrite)


def x_conv_k1(out):
    return conv_kernel_case(out, "conv_k1", 1)


def x_conv_k2(out):
    return conv_kernel_case(out, "conv_k2", 2)


def x_proj_bias(out):
    def after(base, model, extra):
        check_same_weights(base, model)
        biases = sorted(n for n, _ in model.named_parameters() if n.endswith(".bias"))
        if any(".q_proj." in n or ".k_proj." in n or ".v_proj." in n or ".o_proj." in n for n in biases):
            die("proj_bias: HF built attention biases")
        extra["hf_load"]["loaded_parameters_equal_stored_values"] = True
        extra["hf_bias_parameters"] = biases
    return build_extra_case(
        out, "proj_bias", small_dense_config(use_bias=True, mlp_bias=True, attention_bias=True),
        "use_bias: true and mlp_bias: true (attention_bias: true too, mamba_proj_bias stays false). Pattern M-*M-, "
        "fp32. HF gives biases to exactly: Mamba mixer.in_proj and mixer.out_proj (nn.Linear(..., bias=use_bias) in "
        "NemotronHMamba2Mixer.__init__) and MLP mixer.up_proj / mixer.down_proj (bias=mlp_bias in NemotronHMLP). "
        "Attention q/k/v/o_proj are built with bias=False whatever attention_bias says (NemotronHAttention.__init__), "
        "so the checkpoint has no attention biases and attention_bias is ignored; mamba_proj_bias is ignored too. "
        "conv1d keeps its bias (use_conv_bias true). The in_proj bias is added before the split into z / xBC / dt, "
        "so the dt part of the bias adds to dt before dt_bias and softplus.",
        after_load=after)


def _act_case(out, name, mlp_act, mamba_act, note, alts):
    def post(info):
        info["extra"]["activation_sensitivity"] = {
            f"{what} -> {alt}": act_sensitivity(info, **{("mlp_alt" if what == "mlp_hidden_act" else "mamba_alt"): alt})
            for what, alt in alts}
        info["extra"]["activation_sensitivity_note"] = (
            "max prefill logit error relative to max(1, max|logit|) if HF's activation is swapped as named; "
            f"values <= rel_tol ({FP32_REL_TOL}) mean this case cannot tell the two activations apart")
    return build_extra_case(
        out, name, small_dense_config(mlp_hidden_act=mlp_act, mamba_hidden_act=mamba_act),
        f"mlp_hidden_act: {mlp_act}, mamba_hidden_act: {mamba_act}. Pattern M-*M-, fp32. " + note, post=post)


ACT_NOTE_MAMBA = ("mamba_hidden_act is used by HF's torch path: NemotronHMamba2Mixer passes activation=mamba_hidden_act "
                  "to causal_conv1d_fn (prefill) and causal_conv1d_update (decode), which apply ACT2FN[activation] to "
                  "the conv1d output (x, B and C channels).")


def x_act_relu(out):
    return _act_case(out, "act_relu", "relu", "relu",
                     "MLP: down(relu(up(x))), relu = torch.nn.ReLU = max(x, 0) (ACT2FN['relu']). "
                     + ACT_NOTE_MAMBA + " Here that activation is relu too.",
                     [("mlp_hidden_act", "relu2"), ("mamba_hidden_act", "silu")])


def x_act_silu(out):
    return _act_case(out, "act_silu", "silu", "silu",
                     "MLP: down(silu(up(x))), silu(x) = x * sigmoid(x) (ACT2FN['silu'] = SiLUActivation = "
                     "torch.nn.functional.silu). The Mamba conv activation is the default silu.",
                     [("mlp_hidden_act", "relu2"), ("mlp_hidden_act", "gelu")])


def x_act_gelu(out):
    return _act_case(out, "act_gelu", "gelu", "gelu",
                     "MLP: down(gelu(up(x))), gelu = exact erf form x * 0.5 * (1 + erf(x / sqrt(2))) "
                     "(ACT2FN['gelu'] = GELUActivation = torch.nn.functional.gelu, approximate='none'). "
                     + ACT_NOTE_MAMBA + " Here that activation is gelu (erf) too.",
                     [("mlp_hidden_act", "gelu_pytorch_tanh"), ("mamba_hidden_act", "silu"),
                      ("mamba_hidden_act", "gelu_pytorch_tanh")])


def x_act_gelu_tanh(out):
    return _act_case(out, "act_gelu_tanh", "gelu_pytorch_tanh", "silu",
                     "MLP: down(g(up(x))), g = tanh approximation 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * "
                     "x^3))) (ACT2FN['gelu_pytorch_tanh'] = GELUTanh = torch.nn.functional.gelu(approximate='tanh')). "
                     "The Mamba conv activation is the default silu.",
                     [("mlp_hidden_act", "gelu"), ("mlp_hidden_act", "gelu_new")])


def x_act_mish(out):
    return _act_case(out, "act_mish", "mish", "tanh",
                     "MLP: down(mish(up(x))), mish(x) = x * tanh(softplus(x)) (ACT2FN['mish'] = MishActivation = "
                     "torch.nn.functional.mish; softplus with threshold 20). " + ACT_NOTE_MAMBA
                     + " Here that activation is tanh (ACT2FN['tanh'] = torch.nn.Tanh).",
                     [("mlp_hidden_act", "silu"), ("mamba_hidden_act", "silu")])


def x_act_hardswish(out):
    return _act_case(out, "act_hardswish", "hardswish", "sigmoid",
                     "MLP: down(hardswish(up(x))), hardswish(x) = x * relu6(x + 3) / 6 (ACT2FN['hardswish'] = "
                     "torch.nn.Hardswish). " + ACT_NOTE_MAMBA + " Here that activation is sigmoid "
                     "(ACT2FN['sigmoid'] = torch.nn.Sigmoid).",
                     [("mlp_hidden_act", "silu"), ("mamba_hidden_act", "silu")])


def x_act_leaky_relu(out):
    return _act_case(out, "act_leaky_relu", "leaky_relu", "laplace",
                     "MLP: down(leaky_relu(up(x))), slope 0.01 (ACT2FN['leaky_relu'] = torch.nn.LeakyReLU()). "
                     + ACT_NOTE_MAMBA + " Here that activation is laplace: 0.5 * (1 + erf((x - 0.707107) / "
                     "(0.282095 * sqrt(2)))) (ACT2FN['laplace'] = LaplaceActivation).",
                     [("mlp_hidden_act", "relu"), ("mamba_hidden_act", "silu")])


def x_act_gelu_10(out):
    return _act_case(out, "act_gelu_10", "gelu_10", "sqrtsoftplus",
                     "MLP: down(clip(gelu(up(x)), -10, 10)) (ACT2FN['gelu_10'] = ClippedGELUActivation(-10, 10), "
                     "gelu the exact erf form). " + ACT_NOTE_MAMBA + " Here that activation is sqrtsoftplus: "
                     "sqrt(softplus(x)) (ACT2FN['sqrtsoftplus'] = SqrtSoftplusActivation).",
                     [("mlp_hidden_act", "gelu_pytorch_tanh"), ("mamba_hidden_act", "silu")])


def x_act_linear(out):
    return _act_case(out, "act_linear", "linear", "linear",
                     "MLP: down(up(x)) (ACT2FN['linear'] = LinearActivation, the identity). " + ACT_NOTE_MAMBA
                     + " Here that activation is linear too: the conv output as it is.",
                     [("mlp_hidden_act", "relu"), ("mamba_hidden_act", "silu")])


MOE_NOTE = ("MoE: 8 routed experts, top-2, n_group 2 / topk_group 1, moe_intermediate_size 8, shared expert 16, "
            "norm_topk_prob, routed_scaling_factor 2.5, random e_score_correction_bias. ")


def x_moe_silu(out):
    return build_extra_case(
        out, "moe_silu", small_moe_config(mlp_hidden_act="silu"),
        "mlp_hidden_act: silu in an MoE model (pattern ME*E, fp32). " + MOE_NOTE + "HF uses ACT2FN[mlp_hidden_act] "
        "for both the routed experts (NemotronHExperts.act_fn: down_e(silu(up_e(x)))) and the shared expert "
        "(NemotronHMLP.act_fn, built with intermediate_size=moe_shared_expert_intermediate_size), so both are silu "
        "here. There are no latent projections (moe_latent_size null).",
        post=lambda info: info["extra"].__setitem__(
            "activation_sensitivity", {"mlp_hidden_act -> relu2": act_sensitivity(info, mlp_alt="relu2")}))


class _Lambda(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def latent_sensitivity(info):
    """Max prefill logit error (relative to scale) when the latent projections are skipped and the routed experts
    see the first moe_latent_size channels of the hidden state (their output zero-padded back)."""
    model = info["model"]
    saved = []
    for m in model.modules():
        if isinstance(m, hf_nemotron_h.NemotronHMoE):
            latent = m.fc1_latent_proj.out_features
            hidden = m.fc1_latent_proj.in_features
            saved.append((m, m.fc1_latent_proj, m.fc2_latent_proj))
            m.fc1_latent_proj = _Lambda(lambda x, n=latent: x[..., :n])
            m.fc2_latent_proj = _Lambda(lambda x, h=hidden: F.pad(x, (0, h - x.shape[-1])))
    try:
        return prefill_rel_err(model, info)
    finally:
        for m, fc1, fc2 in saved:
            m.fc1_latent_proj, m.fc2_latent_proj = fc1, fc2


def _latent_case(out, name, mlp_bias, note):
    def after(base, model, extra):
        check_same_weights(base, model)
        extra["hf_load"]["loaded_parameters_equal_stored_values"] = True
        extra["hf_latent_parameters"] = sorted(n for n, _ in model.named_parameters() if "_latent_proj." in n)
        if not extra["hf_latent_parameters"]:
            die(f"{name}: HF built no latent projections")
    return build_extra_case(
        out, name, small_moe_config(moe_latent_size=12, mlp_bias=mlp_bias),
        "moe_latent_size: 12 (hidden 32), the Nemotron-3 Super form of MoE, pattern ME*E, fp32. " + MOE_NOTE +
        "HF NemotronHMoE.forward: the router reads the hidden state x; the routed experts run in the latent width, "
        "fc2_latent_proj(experts(fc1_latent_proj(x))), experts.up_proj [E, I, latent] and experts.down_proj "
        "[E, latent, I]; the shared expert reads x (hidden width). " + note,
        after_load=after,
        post=lambda info: info["extra"].__setitem__("latent_sensitivity", {
            "skip fc1/fc2_latent_proj (experts see x[..., :latent], output zero-padded)": latent_sensitivity(info)}))


def x_moe_latent(out):
    return _latent_case(out, "moe_latent", False,
                        "mlp_bias false: fc1_latent_proj / fc2_latent_proj are nn.Linear(bias=False).")


def x_moe_latent_bias(out):
    return _latent_case(out, "moe_latent_bias", True,
                        "mlp_bias true: fc1_latent_proj, fc2_latent_proj and the shared expert's up_proj / down_proj "
                        "have biases (nn.Linear(bias=config.mlp_bias)); the routed experts never do.")


STACKED_EXPERT_NAMES = [
    "backbone.layers.{i}.mixer.experts.up_proj  [n_routed_experts, moe_intermediate_size, hidden_size] (stacked, no .weight)",
    "backbone.layers.{i}.mixer.experts.down_proj  [n_routed_experts, hidden_size, moe_intermediate_size] (stacked, no .weight)",
    "backbone.layers.{i}.mixer.shared_experts.up_proj.weight  [moe_shared_expert_intermediate_size, hidden_size]",
    "backbone.layers.{i}.mixer.shared_experts.down_proj.weight  [hidden_size, moe_shared_expert_intermediate_size]",
    "backbone.layers.{i}.mixer.gate.weight  [n_routed_experts, hidden_size] (router, fp32 math)",
    "backbone.layers.{i}.mixer.gate.e_score_correction_bias  [n_routed_experts] (always F32)",
]


def x_moe_stacked(out):
    import re

    def rewrite(t, _base, extra):
        out_t, groups = {}, {}
        for k, v in t.items():
            m = re.fullmatch(r"(backbone\.layers\.\d+\.mixer\.experts)\.(\d+)\.(up_proj|down_proj)\.weight", k)
            if m:
                groups.setdefault((m.group(1), m.group(3)), {})[int(m.group(2))] = v
            else:
                out_t[k] = v
        if not groups:
            die("moe_stacked: save_pretrained wrote no per-expert tensors")
        for (head, proj), per in sorted(groups.items()):
            if sorted(per) != list(range(len(per))):
                die(f"moe_stacked: experts of {head}.{proj} are not 0..E-1")
            out_t[f"{head}.{proj}"] = torch.stack([per[e] for e in range(len(per))])
        extra["stacked_tensors"] = sorted(f"{h}.{p}" for h, p in groups)
        return out_t
    return build_extra_case(
        out, "moe_stacked", small_moe_config(),
        "Routed experts stored stacked, the layout transformers uses in memory: backbone.layers.L.mixer.experts.up_proj "
        "[E, I, H] and ...experts.down_proj [E, H, I] (no .weight suffix, no per-expert tensors); expert e's up "
        "weight is up_proj[e] ([I, H], y = x @ up_proj[e]^T). Pattern ME*E, relu2, fp32. " + MOE_NOTE +
        "transformers 5.23 loads these names directly (the conversion mapping only merges experts.*.up_proj.weight); "
        "the loaded parameters were checked equal to the per-expert model they were stacked from.",
        rewrite=rewrite, summary_kwargs={"moe_names": STACKED_EXPERT_NAMES})


def x_router_bias_bf16(out):
    def is_bias(n):
        return n.endswith("gate.e_score_correction_bias")

    def prepare(base, extra):
        extra["_orig_bias"] = {n: b.detach().clone() for n, b in base.named_buffers() if is_bias(n)}
        round_to_bf16_(base, is_bias)

    def rewrite(t, _base, extra):
        return cast_file_tensors(t, is_bias, torch.bfloat16)

    def post(info):
        orig = info["extra"].pop("_orig_bias")
        model = info["model"]
        rounded = {n: b.detach().clone() for n, b in model.named_buffers() if is_bias(n)}
        for n, b in model.named_buffers():
            if b.dtype != torch.float32 and is_bias(n):
                die(f"router_bias_bf16: HF holds {n} as {b.dtype}")
        with torch.no_grad():
            for n, b in model.named_buffers():
                if is_bias(n):
                    b.copy_(orig[n])
            err = prefill_rel_err(model, info)
            for n, b in model.named_buffers():
                if is_bias(n):
                    b.copy_(rounded[n])
        info["extra"]["router_bias"] = {
            "stored_dtype": "BF16",
            "hf_buffer_dtype": "float32 (upcast on load; _keep_in_fp32_modules_strict = ['e_score_correction_bias'])",
            "max_prefill_logit_err_rel_if_unrounded_f32_bias_used": err,
        }
    return build_extra_case(
        out, "router_bias_bf16", small_moe_config(),
        "fp32 MoE model (pattern ME*E, relu2) whose gate.e_score_correction_bias tensors are stored BF16 in the file "
        "(as some fine-tuned Nemotron checkpoints are); every other tensor is F32. " + MOE_NOTE +
        "HF keeps that buffer in float32 (_keep_in_fp32_modules_strict) and upcasts the stored bf16 values "
        "exactly; the reference is HF's fp32 forward on those upcast values.",
        prepare=prepare, rewrite=rewrite, post=post, summary_kwargs={"bias_dtype": "BF16"})


def keep_f32(name):
    return name.endswith(KEEP_F32_SUFFIXES)


def x_mixed_dtype(out):
    def prepare(base, extra):
        keep = {n: p.detach().clone() for n, p in base.named_parameters() if keep_f32(n)}
        round_to_bf16_(base, lambda n: not keep_f32(n))
        extra["f32_values_not_bf16_representable"] = int(sum(
            int((v.to(torch.bfloat16).float() != v).sum()) for v in keep.values()))
        if extra["f32_values_not_bf16_representable"] == 0:
            die("mixed_dtype: the F32 tensors are all bf16-representable")

    def rewrite(t, _base, extra):
        return cast_file_tensors(t, lambda k: not keep_f32(k), torch.bfloat16)

    def edit(cj):
        cj["dtype"] = "bfloat16"
    return build_extra_case(
        out, "mixed_dtype", small_dense_config(),
        "Mixed-dtype file: config.json says \"dtype\": \"bfloat16\"; every tensor is stored BF16 except mixer.A_log, "
        "mixer.D, mixer.dt_bias and all RMSNorm weights (block norm, gated mixer.norm, norm_f), which are stored F32 "
        "with values that are not bf16-representable. Pattern M-*M-. Reference = HF loaded with dtype=torch.float32 "
        "(every tensor upcast exactly) and run in float32; rel_tol 1e-3 applies to an engine computing in fp32 "
        "from exactly these stored values.",
        prepare=prepare, rewrite=rewrite, edit_config=edit)


def x_cfg_bf16_file_f32(out):
    def edit(cj):
        cj["dtype"] = "bfloat16"
    return build_extra_case(
        out, "cfg_bf16_file_f32", small_dense_config(),
        "config.json says \"dtype\": \"bfloat16\" but every tensor is stored F32 (values not bf16-rounded). "
        "Pattern M-*M-. Reference = HF loaded with dtype=torch.float32 and run in float32 on the stored F32 values "
        "(the config dtype only chooses HF's default load dtype); rel_tol 1e-3 for an fp32 engine.",
        edit_config=edit)


KV_PRODUCER = {"name": "modelopt", "version": "0.0.0+nhc-make-golden"}


def x_kv_fp8_only(out):
    def rewrite(t, base, extra):
        # Realistic scales: amax of k_proj / v_proj outputs over two fixed calibration prompts, / 448.
        amax = {}
        handles = []
        for i, layer in enumerate(base.model.layers):
            if layer.block_type == "full_attention":
                for proj in ("k_proj", "v_proj"):
                    key = (i, proj)
                    amax[key] = torch.zeros((), dtype=torch.float32)

                    def hook(_m, _inp, o, key=key):
                        amax[key] = torch.maximum(amax[key], o.detach().float().abs().max())
                    handles.append(getattr(layer.mixer, proj).register_forward_hook(hook))
        with torch.no_grad():
            for j, n in enumerate((11, 21)):
                base(make_prompt("kv_fp8_only:calibration", j, n, base.config.vocab_size, 0).view(1, -1), use_cache=False)
        for h in handles:
            h.remove()
        added = []
        for (i, proj), a in sorted(amax.items()):
            name = f"backbone.layers.{i}.mixer.{proj[0]}_scale"
            t[name] = (a / FP8_MAX).to(torch.float32).reshape(())
            added.append(name)
        extra["kv_scales"] = {n: fnum(float(t[n])) for n in added}
        return t

    def edit(cj):
        cj["quantization_config"] = {"quant_method": "modelopt", "quant_algo": None, "kv_cache_quant_algo": "FP8"}

    def after(base, model, extra):
        li = extra["hf_load"]
        if li["missing_keys"] or li["mismatched_keys"] or li["hf_quantizer"] is not None:
            die(f"kv_fp8_only: unexpected load report {li}")
        check_same_weights(base, model)
        li["loaded_parameters_equal_stored_values"] = True
    return build_extra_case(
        out, "kv_fp8_only", small_dense_config(),
        "Unquantized fp32 model (pattern M-*M-) carrying modelopt FP8 KV-cache metadata only: config.json "
        "quantization_config = {quant_method: modelopt, quant_algo: null, kv_cache_quant_algo: FP8}, "
        "hf_quant_config.json = {producer, quantization: {quant_algo: null, kv_cache_quant_algo: FP8}}, and scalar F32 "
        "tensors backbone.layers.L.mixer.k_scale / v_scale for the attention layer (amax/448 of k_proj / v_proj "
        "outputs on two calibration prompts). transformers 5.23 has no modelopt quantizer: it warns 'Unknown "
        "quantization type ... we will skip the quantization', loads the weights as a plain fp32 model and drops the "
        "k_scale / v_scale tensors as unexpected keys (checks.hf_load). Reference = HF's fp32 forward (KV cache "
        "in fp32, not quantized).",
        rewrite=rewrite, edit_config=edit, after_load=after,
        extra_json={"hf_quant_config.json": {
            "producer": KV_PRODUCER, "quantization": {"quant_algo": None, "kv_cache_quant_algo": "FP8"}}})


def x_tied_head(out):
    def rewrite(t, base, extra):
        t["lm_head.weight"] = base.lm_head.weight.detach().clone()
        if torch.equal(t["lm_head.weight"], t["backbone.embeddings.weight"]):
            die("tied_head: lm_head.weight equals the embeddings")
        return t

    def after(base, model, extra):
        li = extra["hf_load"]
        if li["missing_keys"] or li["all_tied_weights_keys"]:
            die(f"tied_head: unexpected load report {li}")
        check_same_weights(base, model)
        if model.lm_head.weight is model.model.embeddings.weight or torch.equal(model.lm_head.weight,
                                                                                 model.model.embeddings.weight):
            die("tied_head: HF tied lm_head to the embeddings")
        extra["hf_lm_head_source"] = "lm_head.weight from the file (not tied; differs from backbone.embeddings.weight)"
        li["loaded_parameters_equal_stored_values"] = True
    return build_extra_case(
        out, "tied_head", small_dense_config(tie_word_embeddings=True),
        "tie_word_embeddings: true, and the file also holds an lm_head.weight that differs from "
        "backbone.embeddings.weight. Pattern M-*M-, fp32. transformers 5.23 does NOT tie: NemotronHForCausalLM "
        "declares _tied_weights_keys = {} so get_expanded_tied_weights_keys returns {} and from_pretrained loads "
        "lm_head.weight from the file as an independent parameter. The reference therefore uses the file's "
        "lm_head.weight (checked: loaded lm_head == file lm_head.weight != embeddings). (An engine that ties when "
        "tie_word_embeddings is true, as the flag suggests, would use the embeddings and fail this case.)",
        rewrite=rewrite, after_load=after)


def x_tied_nohead(out):
    def rewrite(t, _base, extra):
        del t["lm_head.weight"]
        return t

    def after(base, model, extra):
        li = extra["hf_load"]
        if li["missing_keys"] != ["lm_head.weight"] or li["all_tied_weights_keys"]:
            die(f"tied_nohead: unexpected load report {li}")
        same_weights_except(base, model, {"lm_head.weight"})
        hf_tied = model.lm_head.weight is model.model.embeddings.weight or torch.equal(
            model.lm_head.weight, model.model.embeddings.weight)
        if hf_tied:
            die("tied_nohead: HF tied lm_head itself; drop the explicit tie below")
        # HF left lm_head randomly initialised (missing key); the reference ties it as the config declares.
        model.lm_head.weight = model.model.embeddings.weight
        extra["hf_lm_head_source"] = (
            "none: from_pretrained reports lm_head.weight MISSING and leaves it randomly initialised (a new random "
            "N(0, initializer_range) draw on every load); the generator then sets model.lm_head.weight = "
            "model.model.embeddings.weight (the tie the config declares) before computing the reference")
        li["loaded_parameters_equal_stored_values"] = True
    return build_extra_case(
        out, "tied_nohead", small_dense_config(tie_word_embeddings=True),
        "tie_word_embeddings: true and no lm_head.weight in the file. Pattern M-*M-, fp32. transformers 5.23 does not "
        "tie for NemotronH (_tied_weights_keys = {}), so from_pretrained reports lm_head.weight as MISSING and "
        "initialises it randomly: HF alone gives no reproducible result for this directory. The reference is HF's "
        "fp32 forward with lm_head.weight set to backbone.embeddings.weight (logits = norm_f(h) @ E^T), the tie the "
        "config declares.",
        rewrite=rewrite, after_load=after,
        computed_with="HF NemotronHForCausalLM.from_pretrained(model_dir, dtype=torch.float32, "
                      "attn_implementation='eager') (lm_head.weight reported missing), then model.lm_head.weight = "
                      "model.model.embeddings.weight; CPU, torch path, 1 thread, float32")


def x_moe_fp8(out):
    """The legacy 'moe' case's weights as a modelopt FP8 checkpoint with FP8 routed experts (the layout of
    NVIDIA's Nemotron-3-Nano FP8 checkpoint): each expert's up_proj / down_proj has its own e4m3 weight,
    weight_scale and input_scale."""
    name = "moe_fp8"
    src = os.path.join(out, "moe", "model")
    if not os.path.isfile(os.path.join(src, "model.safetensors")):
        die(f"{name}: needs the 'moe' case under {out} (its weights are quantized)")
    case_dir = os.path.join(out, name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(case_dir)
    base = load_hf(src, torch.float32)
    cfg = base.config
    chosen = None
    for attempt in range(MAX_PROMPT_TRIES):
        prompts = [make_prompt(name, i, n, cfg.vocab_size, attempt) for i, n in enumerate(DENSE_LENGTHS)]
        qmodel, quant, uncalibrated = build_fp8_moe(base, prompts)
        if all(margins_ok(run_prompt(qmodel, ids), FP8_REL_TOL) for ids in prompts):
            chosen = (attempt, prompts, qmodel, quant, uncalibrated)
            break
    if chosen is None:
        die(f"{name}: no prompt set with safe greedy margins")
    attempt, prompts, qmodel, quant, uncalibrated = chosen
    write_fp8_checkpoint(src, os.path.join(case_dir, "model"), quant)
    for fq in quant.values():
        fq.saturated = fq.count = 0
    info = finish_case(
        case_dir, name,
        "FP8 (modelopt, per-tensor static e4m3) checkpoint of the 'moe' model (ME*EM-E, 16 routed experts, top-3) "
        "with the routed experts quantized too, one e4m3 weight, weight_scale and input_scale per expert and "
        "projection (backbone.layers.L.mixer.experts.E.up_proj.{weight,weight_scale,input_scale}), as in NVIDIA's "
        "Nemotron-3-Nano FP8 checkpoint; also mamba in_proj/out_proj, MLP up_proj/down_proj and the shared "
        "experts' up_proj/down_proj. Router, attention, conv1d, norms, embeddings and lm_head stay fp32. Reference "
        "logits from HF's fp32 forward with each quantized Linear, and each expert's two products, replaced by an "
        "exact fake-quant.",
        qmodel, cfg, DENSE_LENGTHS, prompts, want_hidden=False, rel_tol=FP8_REL_TOL,
        prompt_attempts=[attempt] * len(prompts))
    info["command"] = EXTRA_COMMAND.format(name=name)
    info["variants"][0]["computed_with"] = (
        "the fp32 'moe' HF model (eager attention and experts, CPU) with each quantized nn.Linear replaced by "
        "y = (xq @ float(Wq)^T) * (input_scale * weight_scale), xq = float(e4m3_rne(clamp(x / input_scale, -448, 448))), "
        "and NemotronHExperts.forward run with that product for each expert's up_proj and down_proj (the expert's "
        "own scales); all in fp32; Wq, weight_scale, input_scale are exactly the tensors stored in "
        "model/model.safetensors")
    sat = {to_ckpt_name(n): {"saturated": fq.saturated, "count": fq.count} for n, fq in quant.items()}
    info["extra"]["fp8"] = {
        "quantized_modules": [to_ckpt_name(n) for n in quant],
        "calibration": "input_scale = max over the case's 3 prompts (full no-cache prefill of the unquantized fp32 "
                       "model) of max|x| at the Linear's input / 448; for a routed expert, over the tokens routed "
                       "to it (its up_proj input, and the activation's output for down_proj); an expert no "
                       "calibration token reached takes its layer's largest expert amax",
        "uncalibrated_experts": uncalibrated,
        "activation_saturation_during_reference_runs": sat,
    }
    rd = router_diagnostics(qmodel, info["prompts"])
    info["extra"]["router"] = rd
    return info


def x_dt_clamp(out):
    """time_step_min above part of the model's dt: transformers 5.23 clamps dt to [time_step_min, inf) in its
    chunked form (prefill) and not in its one-token decode step; time_step_limit is set too, and ignored."""
    cfg = small_dense_config(time_step_min=0.05, time_step_limit=(0.02, 0.4))
    return build_extra_case(
        out, "dt_clamp", cfg,
        "Pattern M-*M-, fp32, time_step_min 0.05 (above about a third of the model's dt values) and "
        "time_step_limit [0.02, 0.4]. transformers 5.23 ignores time_step_limit; its chunked form (every prefill) "
        "clamps dt = softplus(dt + dt_bias) to [time_step_min, inf), its one-token decode step with a cache does "
        "not clamp at all. Both happen in these prompts (checks.dt_clamp counts the dt values below "
        "time_step_min in prefill steps, clamped, and in decode steps, not clamped).",
        finish_kwargs={"dt_clamp_binds": True})


EXTRA_CASES = {
    "conv_nobias": x_conv_nobias,
    "conv_k1": x_conv_k1,
    "conv_k2": x_conv_k2,
    "proj_bias": x_proj_bias,
    "act_relu": x_act_relu,
    "act_silu": x_act_silu,
    "act_gelu": x_act_gelu,
    "act_gelu_tanh": x_act_gelu_tanh,
    "act_mish": x_act_mish,
    "act_hardswish": x_act_hardswish,
    "act_leaky_relu": x_act_leaky_relu,
    "act_gelu_10": x_act_gelu_10,
    "act_linear": x_act_linear,
    "moe_silu": x_moe_silu,
    "moe_latent": x_moe_latent,
    "moe_latent_bias": x_moe_latent_bias,
    "tied_head": x_tied_head,
    "tied_nohead": x_tied_nohead,
    "moe_stacked": x_moe_stacked,
    "router_bias_bf16": x_router_bias_bf16,
    "mixed_dtype": x_mixed_dtype,
    "cfg_bf16_file_f32": x_cfg_bf16_file_f32,
    "kv_fp8_only": x_kv_fp8_only,
    "moe_fp8": x_moe_fp8,
    "dt_clamp": x_dt_clamp,
}


def parse_case_list(text):
    names = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part == "extra":
            names += list(EXTRA_CASES)
        elif part in LEGACY_CASES:
            die(f"--cases: {part!r} is one of the original cases {LEGACY_CASES}, which are generated together; "
                "run without --cases to rewrite them")
        elif part in EXTRA_CASES:
            names.append(part)
        else:
            die(f"--cases: unknown case {part!r}; known: {', '.join(EXTRA_CASES)} (or 'extra' for all)")
    if not names:
        die("--cases: no case named")
    return list(dict.fromkeys(names))


def run_extra_cases(out, names):
    os.makedirs(out, exist_ok=True)
    total = 0
    for name in names:
        info = EXTRA_CASES[name](out)
        n = write_case(info)
        size = 0
        for root, _d, fns in os.walk(info["case_dir"]):
            size += sum(os.path.getsize(os.path.join(root, f)) for f in fns)
        total += size
        print(f"make_golden: wrote {name} ({n} tensors, {size} bytes)", flush=True)
    print(f"make_golden: {len(names)} cases, {total} bytes under {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root, normally test/golden")
    ap.add_argument("--cases", metavar="NAME[,NAME...]", default=None,
                    help="(re)write only these extra cases (see EXTRA_CASES; 'extra' = all of them) and touch "
                         "nothing else under --out. Without --cases the four original cases "
                         f"({', '.join(LEGACY_CASES)}) are rewritten, exactly as before.")
    args = ap.parse_args()
    extra_names = parse_case_list(args.cases) if args.cases is not None else None

    setup_determinism()
    assert_torch_mamba_path()
    check_e4m3_rounding()
    tv = transformers.__version__
    if int(tv.split(".")[0]) < 5:
        die(f"transformers {tv} is too old; need 5.x with models/nemotron_h")

    out = args.out
    if extra_names is not None:
        run_extra_cases(out, extra_names)
        return
    os.makedirs(out, exist_ok=True)
    case_names = ["dense", "chunked", "moe", "fp8"]
    for c in case_names:
        p = os.path.join(out, c)
        if os.path.isdir(p):
            shutil.rmtree(p)

    results = []

    # (a) dense
    dense = case_dense_like(
        out, "dense", chunk_size=64, lengths=DENSE_LENGTHS, prompts_given=None, want_hidden=True, want_bf16=True,
        description="Dense hybrid M-M*-M- (Mamba-2, attention, relu2 MLP), fp32, chunk_size 64 > every prompt "
                    "(single-chunk prefill). Also a bf16 copy of the same weights (model-bf16/, bf16.* tensors) "
                    "and the per-layer residual stream of prompt 0.")
    results.append(dense)

    # (b) chunked: same weights, chunk_size 8 < prompts.
    chunked_lengths = DENSE_LENGTHS + [16]
    chunked = case_dense_like(
        out, "chunked", chunk_size=8, lengths=chunked_lengths, prompts_given=dense["prompts"], want_hidden=False,
        want_bf16=False,
        description="Same weights and prompts as 'dense' but chunk_size 8, so the SSD prefill crosses chunk "
                    "boundaries (prompt lengths 5, 11, 23 and 16 = exactly two full chunks).")
    if (max(chunked_lengths) - 1) // 8 < 2:
        die("chunked: the longest prompt must cross at least 2 chunk boundaries")
    worst = 0.0
    for i in range(len(DENSE_LENGTHS)):
        for key in ("prefill_logits", "decode_logits"):
            a, b = dense["tensors"][f"prompt.{i}.{key}"], chunked["tensors"][f"prompt.{i}.{key}"]
            worst = max(worst, float((a - b).abs().max()))
        if not torch.equal(dense["tensors"][f"prompt.{i}.generated_ids"], chunked["tensors"][f"prompt.{i}.generated_ids"]):
            die("chunked greedy continuation differs from dense")
    if worst > 1e-4:
        die(f"chunked vs dense logits differ by {worst}")
    chunked["extra"]["chunked_vs_dense_max_abs_logit_diff"] = fnum(worst)
    results.append(chunked)

    # (c) moe
    moe_dir = os.path.join(out, "moe")
    os.makedirs(moe_dir)
    mcfg = NemotronHConfig(**moe_config())
    torch.manual_seed(0)
    mbase = NemotronHForCausalLM(mcfg)
    reinit_model(mbase, "moe")
    mbase.save_pretrained(os.path.join(moe_dir, "model"))
    mmodel = load_hf(os.path.join(moe_dir, "model"), torch.float32)
    check_same_weights(mbase, mmodel)
    moe = finish_case(moe_dir, "moe", "MoE hybrid ME*EM-E: 16 routed experts, top-3, n_group 4 / topk_group 2, "
                      "shared expert, norm_topk_prob, routed_scaling_factor 2.5, random e_score_correction_bias; fp32, "
                      "chunk_size 16 (the 23-token prompt crosses one chunk boundary).",
                      mmodel, mcfg, DENSE_LENGTHS, None, want_hidden=False)
    rd = router_diagnostics(mmodel, moe["prompts"])
    if rd["selections_changed_by_e_score_correction_bias"] == 0 or rd["selections_changed_by_group_limit"] == 0:
        die(f"moe: routing diagnostics show an untested rule: {rd}")
    moe["extra"]["router"] = rd
    results.append(moe)

    # (d) fp8 from model (a)
    fp8_dir = os.path.join(out, "fp8")
    os.makedirs(fp8_dir)
    base_fp32 = dense["model"]
    chosen = None
    for attempt in range(MAX_PROMPT_TRIES):
        prompts = [make_prompt("fp8", i, n, dense["cfg"].vocab_size, attempt) for i, n in enumerate(DENSE_LENGTHS)]
        qmodel, quant = build_fp8(base_fp32, prompts)
        if all(margins_ok(run_prompt(qmodel, ids), FP8_REL_TOL) for ids in prompts):
            chosen = (attempt, prompts, qmodel, quant)
            break
    if chosen is None:
        die("fp8: no prompt set with safe greedy margins")
    attempt, prompts, qmodel, quant = chosen
    write_fp8_checkpoint(os.path.join(out, "dense", "model"), os.path.join(fp8_dir, "model"), quant)
    for fq in quant.values():
        fq.saturated = fq.count = 0
    fp8 = finish_case(fp8_dir, "fp8", "FP8 (modelopt, per-tensor static e4m3) checkpoint of the 'dense' model: "
                      "mamba in_proj/out_proj and MLP up_proj/down_proj quantized, everything else fp32. Reference "
                      "logits from HF's fp32 forward with those Linears replaced by an exact fake-quant.",
                      qmodel, dense["cfg"], DENSE_LENGTHS, prompts, want_hidden=False, rel_tol=FP8_REL_TOL,
                      prompt_attempts=[attempt] * len(prompts))
    fp8["variants"][0]["computed_with"] = (
        "the fp32 'dense' HF model (eager attention, CPU) with each quantized nn.Linear replaced by "
        "y = (xq @ float(Wq)^T) * (input_scale * weight_scale), xq = float(e4m3_rne(clamp(x / input_scale, -448, 448))), "
        "all in fp32; Wq, weight_scale, input_scale are exactly the tensors stored in model/model.safetensors")
    sat = {to_ckpt_name(n): {"saturated": fq.saturated, "count": fq.count} for n, fq in quant.items()}
    # Sensitivity: x * (1/input_scale) instead of x / input_scale.
    sens = 0.0
    orig = FP8FakeQuantLinear.forward

    def recip_forward(self, x):
        xq = e4m3_quantize(x.float() * (1.0 / self.input_scale)).float()
        return (torch.matmul(xq, self.weight_fp8.float().t()) * (self.input_scale * self.weight_scale)).to(x.dtype)

    FP8FakeQuantLinear.forward = recip_forward
    try:
        with torch.no_grad():
            for i, ids in enumerate(prompts):
                lg = qmodel(ids.view(1, -1), use_cache=False).logits[0].float()
                ref = fp8["tensors"][f"prompt.{i}.prefill_logits"]
                sens = max(sens, float(((lg - ref).abs().amax(-1) / logit_scale(ref)).max()))
    finally:
        FP8FakeQuantLinear.forward = orig
    unq = 0.0
    with torch.no_grad():
        for i, ids in enumerate(prompts):
            lg = base_fp32(ids.view(1, -1), use_cache=False).logits[0].float()
            ref = fp8["tensors"][f"prompt.{i}.prefill_logits"]
            unq = max(unq, float(((lg - ref).abs().amax(-1) / logit_scale(ref)).max()))
    fp8["extra"]["fp8"] = {
        "quantized_modules": [to_ckpt_name(n) for n in quant],
        "calibration": "input_scale = max over the case's 3 prompts (full no-cache prefill of the unquantized fp32 "
                       "model) of max|x| at the Linear's input, divided by 448",
        "activation_saturation_during_reference_runs": sat,
        "sensitivity_recip_vs_div_max_logit_err_rel": fnum(sens),
        "unquantized_vs_fp8_max_logit_err_rel": fnum(unq),
    }
    results.append(fp8)

    total = 0
    for info in results:
        n = write_case(info)
        total += n
        print(f"make_golden: wrote {info['name']} ({n} tensors)")
    size = 0
    for c in case_names:
        for root, _d, fns in os.walk(os.path.join(out, c)):
            size += sum(os.path.getsize(os.path.join(root, f)) for f in fns)
    print(f"make_golden: {len(results)} cases, {size} bytes under {out}")


if __name__ == "__main__":
    main()
