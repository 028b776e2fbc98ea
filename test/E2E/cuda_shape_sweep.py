"""The cuda backend against the host on random tiny model shapes.

    python cuda_shape_sweep.py --nhc BIN/nhc --run BIN/nhc-run \
        --doubles DRIVER CUBLASLT KERNELS --work DIR [--seeds 0-23]

The golden cases fix a few shapes; the GPU kernels index by many more (state
rows split between blocks, 64-token chunks, 16-byte vector paths that need
N % 4 == 0, attention tiles of 64 positions, route groups). Each seed draws
a Nemotron-H config (hidden 32-128; 1-24 mamba heads of 4-100 rows with
state sizes 1-130, 1 to all groups, conv kernels 2-5, chunk sizes 1-256;
1-6 attention heads of 8-256 columns, GQA groups; 2-64 routed experts, top-k,
group limits, latent experts; every layer kind, activation and bias option),
writes random f32 weights (the manifest's tensors, scaled as
tools/golden/make_golden.py does), compiles it for sm_90 and runs one prompt
(1-300 tokens, whole or in chunks of 1, 7 or 64) plus 4 greedy tokens with
nhc-run on the host and on the cuda backend (the CUDA driver and cuBLASLt
doubles, the GPU kernels emulated on the host). Prompt and decode logits must
agree within 1e-3 of the logit scale (compare-logits.py) and the greedy ids
exactly. With --serve, the seeds whose vocabulary is 384 (the bundled
tokenizer's; about a third) also run through two nhc-serve processes, --backend host and
--backend cuda, with 4 slots and an 11-token step budget: 8 concurrent
clients' prompts of 1-80 ids share ragged steps with other requests'
decodes, and each client's 6 greedy ids must be the same on both. Python's
standard library only.
"""
import argparse
import array
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "..", "nhc-run", "Inputs", "compare-logits.py")
sys.path.insert(0, os.path.join(HERE, "..", "Serving"))
TOKENIZER_VOCAB = 384  # test/golden/dense/model's tokenizer
LAYER_KINDS = {"M": "linear_attention", "-": "mlp", "*": "full_attention",
               "E": "moe"}


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def draw_config(rng):
    c = {
        "architectures": ["NemotronHForCausalLM"], "model_type": "nemotron_h",
        "dtype": "float32", "bos_token_id": 1, "eos_token_id": 2,
        "pad_token_id": 0, "max_position_embeddings": 512, "expand": 2,
        "mamba_ssm_cache_dtype": "float32", "residual_in_fp32": False,
        "time_step_min": 0.001, "time_step_max": 0.1,
        "time_step_limit": [0.0, {"__float__": "Infinity"}],
    }
    c["vocab_size"] = rng.choice([97, 384, 1000])
    c["hidden_size"] = rng.choice([32, 48, 64, 96, 100, 128])
    c["mamba_num_heads"] = rng.choice([1, 2, 3, 4, 8, 16, 24])
    c["mamba_head_dim"] = rng.choice([4, 8, 12, 16, 24, 32, 48, 64, 80, 100])
    c["n_groups"] = rng.choice(divisors(c["mamba_num_heads"]))
    c["ssm_state_size"] = rng.choice([1, 2, 8, 16, 24, 32, 64, 128, 130])
    c["conv_kernel"] = rng.choice([1, 2, 3, 4, 5])
    c["chunk_size"] = rng.choice([1, 8, 16, 33, 64, 128, 256])
    c["num_attention_heads"] = rng.choice([1, 2, 4, 6])
    c["num_key_value_heads"] = rng.choice(divisors(c["num_attention_heads"]))
    c["head_dim"] = rng.choice([8, 16, 20, 24, 32, 48, 64, 96, 128, 256])
    c["intermediate_size"] = rng.choice([16, 40, 160, 200])
    experts = rng.choice([2, 4, 8, 16, 64])
    c["n_routed_experts"] = experts
    c["num_experts_per_tok"] = rng.randint(1, min(experts, 6))
    c["n_group"] = rng.choice([g for g in divisors(experts) if experts // g >= 2])
    per_group = experts // c["n_group"]
    c["topk_group"] = rng.randint(
        math.ceil(c["num_experts_per_tok"] / per_group), c["n_group"])
    c["moe_intermediate_size"] = rng.choice([8, 24, 32])
    c["moe_shared_expert_intermediate_size"] = rng.choice([8, 16, 48])
    c["n_shared_experts"] = 1
    c["moe_latent_size"] = rng.choice([None, None, 12, 24])
    c["routed_scaling_factor"] = rng.choice([1.0, 2.5])
    c["norm_topk_prob"] = rng.choice([True, False])
    c["mlp_hidden_act"] = rng.choice(
        ["relu2", "relu2", "relu", "silu", "gelu", "gelu_pytorch_tanh",
         "gelu_10", "hardswish", "leaky_relu", "linear", "mish"])
    c["mamba_hidden_act"] = rng.choice(
        ["silu", "silu", "gelu", "sqrtsoftplus", "sigmoid", "laplace",
         "linear", "tanh", "relu"])
    for key in ("use_bias", "mlp_bias", "attention_bias", "mamba_proj_bias",
                "tie_word_embeddings"):
        c[key] = rng.random() < 0.2
    c["use_conv_bias"] = rng.random() < 0.8
    c["layer_norm_epsilon"] = rng.choice([1e-5, 1e-6])
    pattern = [rng.choice("M-*E") for _ in range(rng.randint(2, 6))]
    c["layers_block_type"] = [LAYER_KINDS[k] for k in pattern]
    return c


def draw_tensor(name, shape, rng):
    """make_golden.py's scales: activations of order one through the layers."""
    n = math.prod(shape)
    fan_in = shape[-1] if len(shape) >= 2 else 1
    if name.endswith("A_log"):
        return [math.log(rng.uniform(1, 16)) for _ in range(n)]
    if name.endswith("dt_bias"):
        return [math.log(math.expm1(rng.uniform(0.001, 0.1))) for _ in range(n)]
    if name.endswith(".D") or ("norm" in name and len(shape) == 1):
        return [1 + 0.1 * rng.gauss(0, 1) for _ in range(n)]
    if "conv1d.weight" in name:
        scale = 0.3
    elif name.endswith(".bias") or name.endswith("e_score_correction_bias"):
        scale = 0.1
    elif "embeddings" in name:
        scale = 1.0
    else:
        scale = 1 / math.sqrt(fan_in)
    return [scale * rng.gauss(0, 1) for _ in range(n)]


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, shape, values in tensors:
        size = 4 * len(values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _, _, values in tensors:
            f.write(array.array("f", values).tobytes())


def run(args, env=None):
    result = subprocess.run(args, capture_output=True, text=True, env=env,
                            timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args[:3])} ... exited "
                             f"{result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def check_seed(seed, cuda_env):
    rng = random.Random(seed)
    config = draw_config(rng)
    model = os.path.join(ARGS.work, f"seed{seed}")
    shutil.rmtree(model, ignore_errors=True)
    os.makedirs(model)
    with open(os.path.join(model, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    manifest = json.loads(run([ARGS.nhc, "compile", model, "--emit=manifest"]))
    write_safetensors(os.path.join(model, "model.safetensors"),
                      [(w["name"], w["shape"],
                        draw_tensor(w["name"], w["shape"], rng))
                       for w in manifest["weights"]])
    artifact = os.path.join(model, "model.nhc")
    run([ARGS.nhc, "compile", model, "--target=cuda:sm_90", "-o", artifact])
    length = rng.choice([1, 2, 5, 63, 64, 65, 129, 200, 300])
    ids = ",".join(str(rng.randrange(config["vocab_size"]))
                   for _ in range(length))
    chunk = rng.choice([None, None, 1, 7, 64])
    command = [ARGS.run, artifact, "--weights", model, "--prompt-ids", ids,
               "--max-new-tokens", "4"]
    if chunk:
        command += ["--prefill-chunk", str(chunk)]
    generated = {}
    for backend, env in (("host", None), ("cuda", cuda_env)):
        out = run(command + ["--backend", backend, "--dump-prompt-logits",
                             os.path.join(model, backend + ".P"),
                             "--dump-logits", os.path.join(model, backend + ".G")],
                  env=env)
        generated[backend] = [l for l in out.splitlines()
                              if l.startswith("generated")]
    what = (f"layers {config['layers_block_type']}, {length} prompt tokens, "
            f"prefill chunk {chunk} ({model}/config.json)")
    for dump in ("P", "G"):
        try:
            run([sys.executable, COMPARE, "--tol", "1e-3",
                 os.path.join(model, "host." + dump),
                 os.path.join(model, "cuda." + dump)])
        except AssertionError as e:
            raise AssertionError(f"{what}: {e}") from None
    if generated["host"] != generated["cuda"]:
        raise AssertionError(f"{what}: greedy ids {generated}")
    if ARGS.serve and config["vocab_size"] == TOKENIZER_VOCAB:
        prompts = [[rng.randrange(TOKENIZER_VOCAB)
                    for _ in range(rng.randint(1, 80))] for _ in range(8)]
        served = {backend: serve_all(artifact, model, backend, env, prompts)
                  for backend, env in (("host", None), ("cuda", cuda_env))}
        if served["host"] != served["cuda"]:
            raise AssertionError(f"{what}: nhc-serve's greedy ids, 8 clients "
                                 f"at once: {served}")
        shutil.rmtree(model)
        return "same, and served"
    shutil.rmtree(model)
    return "same"


def serve_all(artifact, model, backend, env, prompts):
    """Each prompt's 6 greedy ids from one nhc-serve, all clients at once."""
    from serve_fixture import Server
    server = Server(ARGS.serve, artifact, model, "--tokenizer",
                    ARGS.tokenizer, "--backend", backend, "--max-slots", "4",
                    "--step-tokens", "11", env=env)

    def complete(prompt):
        body = json.dumps({"model": "tiny", "prompt": prompt, "max_tokens": 6,
                           "temperature": 0, "ignore_eos": True,
                           "return_token_ids": True}).encode()
        request = urllib.request.Request(
            server.url + "/v1/completions", data=body,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.loads(response.read())["choices"][0]["token_ids"]
        except urllib.error.HTTPError as e:
            return f"HTTP {e.code}: {e.read().decode(errors='replace')}"

    try:
        with ThreadPoolExecutor(len(prompts)) as pool:
            served = list(pool.map(complete, prompts))
    except BaseException:
        try:
            server.stop()
        except RuntimeError:
            pass  # the first failure is the one to report
        raise
    code = server.stop()
    if code != 0:
        raise AssertionError(f"nhc-serve --backend {backend} exited {code}")
    return served


def seeds(text):
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in ("--nhc", "--run", "--work"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--serve", help="nhc-serve: ragged steps too")
    parser.add_argument("--tokenizer", help="its tokenizer (384 ids)")
    parser.add_argument("--doubles", nargs=3, required=True,
                        metavar=("DRIVER", "CUBLASLT", "KERNELS"))
    parser.add_argument("--seeds", type=seeds, default=seeds("0-23"))
    ARGS = parser.parse_args()
    if ARGS.serve and not ARGS.tokenizer:
        parser.error("--serve needs --tokenizer")
    driver, cublaslt, kernels = ARGS.doubles
    cuda_env = dict(os.environ, NHC_CUDA_DRIVER=driver, NHC_CUBLASLT=cublaslt,
                    NHC_FAKE_CUDA_KERNELS=kernels)
    failures = []
    for seed in ARGS.seeds:
        try:
            print(f"seed {seed}: {check_seed(seed, cuda_env)}", flush=True)
        except Exception as e:  # a crash or a timeout fails its seed alone
            detail = str(e) if isinstance(e, AssertionError) else repr(e)
            failures.append(detail)
            print(f"seed {seed}: FAILED {detail}", flush=True)
    print(f"{len(ARGS.seeds) - len(failures)} of {len(ARGS.seeds)} shapes "
          "agree")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
