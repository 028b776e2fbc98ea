"""Random tiny Nemotron-H configs: transformers against nhc, host and cuda.

    python3 tools/golden/sweep_transformers.py --build build --seeds 0-199 \
        [--work DIR] [--no-cuda] [--dtype bfloat16|float16]
        [--compile-flag=--activation-dtype=model ...]

The golden cases (make_golden.py) fix 29 configs; this draws many more from
the space test/E2E/cuda_shape_sweep.py draws (layer kinds, head and state
shapes, chunk sizes, activations, biases, experts, groups, latent experts),
in float32, with make_golden.py's weights (reinit_model), and for each one
compares nhc-run's prompt logits, greedy ids and decode logits, on the host
and on the cuda backend through the CUDA test doubles (the GPU kernels
emulated on the host), with transformers' NemotronHForCausalLM on the same
prompt: prefill and decode logits within 1e-3 of the logit scale, greedy ids
equal. With --dtype bfloat16 or float16 the checkpoint is saved in that
dtype and transformers runs in it; the rule is then the golden bf16 rule
(docs/golden.md): rows within 3e-2 of scale, greedy ids equal up to the
first step whose reference top1-top2 margin is at most 6e-2 of scale, and
decode rows compared up to that step. Needs what make_golden.py needs (torch, transformers 5.23, numpy,
safetensors) and a build (nhc, nhc-run, the doubles); it is not part of CI
(docs/testing.md). Prints one line per seed; exit 1 if any differs (its
checkpoint is kept under --work).
"""
import argparse
import array
import json
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "E2E"))
import torch  # noqa: E402
from transformers import NemotronHConfig, NemotronHForCausalLM  # noqa: E402

import make_golden  # noqa: E402
from cuda_shape_sweep import LAYER_KINDS, draw_config, seeds  # noqa: E402

NEW_TOKENS = 4


COMPARE = os.path.join(HERE, "..", "..", "test", "nhc-run", "Inputs",
                       "compare-logits.py")


def write_logits(path, rows):
    """rows as an nhc-run logits dump (raw f32 and its JSON shape), for
    compare-logits.py."""
    with open(path, "wb") as f:
        for row in rows:
            f.write(array.array("f", row).tobytes())
    with open(path + ".json", "w") as f:
        json.dump({"shape": [len(rows), len(rows[0]) if rows else 0]}, f)


def compare(reference, other, tol):
    """(within `tol` of scale, compare-logits.py's line)."""
    out = subprocess.run([sys.executable, COMPARE, "--tol", str(tol), reference,
                          other], capture_output=True, text=True)
    return out.returncode == 0, out.stdout.strip()


def read_logits(path):
    """An nhc-run logits dump as rows."""
    with open(path + ".json") as f:
        rows, width = json.load(f)["shape"]
    values = array.array("f")
    with open(path, "rb") as f:
        values.frombytes(f.read())
    return [values[r * width:(r + 1) * width].tolist() for r in range(rows)]


def decode_rows_to_judge(reference, got_ids, ref_ids, margin_tol):
    """How many decode rows the golden rule compares, or None when the ids
    part where transformers' margin was wide (docs/golden.md: tokens agree
    up to the first step whose margin is at most margin_tol of scale; the
    rows after that step may differ)."""
    for step, (got, ref) in enumerate(zip(got_ids, ref_ids)):
        row = reference[step]
        top = sorted(row, reverse=True)[:2]
        scale = max(1.0, max(abs(v) for v in row))
        if top[0] - top[1] <= margin_tol * scale:
            return step + 1
        if got != ref:
            return None
    return len(ref_ids) if got_ids == ref_ids else None


def check(seed, args, backends):
    rng = random.Random(seed)
    config = draw_config(rng)
    model_dir = os.path.join(args.work, f"seed{seed}")
    shutil.rmtree(model_dir, ignore_errors=True)
    # make_golden.py's weights have no rule for attention biases (none of
    # its cases has them); the rest of the draw is transformers' config.
    hf_config = {k: v for k, v in config.items()
                 if k not in ("architectures", "model_type", "dtype",
                              "time_step_limit", "attention_bias")}
    model = NemotronHForCausalLM(NemotronHConfig(**hf_config)).float().eval()
    make_golden.reinit_model(model, seed)
    dtype = getattr(torch, args.dtype)
    model.to(dtype).save_pretrained(model_dir)
    model = make_golden.load_hf(model_dir, dtype)
    length = rng.choice([1, 3, 17, 64, 65, 130])
    ids = [rng.randrange(3, config["vocab_size"]) for _ in range(length)]
    # Greedy continuation by uncached forwards (generate() refuses models
    # without attention layers; its cached logits agree with these to about
    # 5e-7 of scale, docs/golden.md).
    with torch.no_grad():
        prefill = model(torch.tensor([ids]),
                        use_cache=False).logits[0].float().tolist()
        sequence, decode, ref_ids = list(ids), [], []
        for _ in range(NEW_TOKENS):
            last = model(torch.tensor([sequence]),
                         use_cache=False).logits[0, -1].float()
            decode.append(last.tolist())
            ref_ids.append(int(last.argmax()))
            sequence.append(ref_ids[-1])
    write_logits(os.path.join(model_dir, "ref.P"), prefill)
    write_logits(os.path.join(model_dir, "ref.G"), decode)
    artifact = os.path.join(model_dir, "model.nhc")
    subprocess.run([os.path.join(args.build, "bin", "nhc"), "compile", model_dir,
                    "--target=cuda:sm_90", "-o", artifact, *args.compile_flag],
                   check=True, capture_output=True)
    exact = args.dtype == "float32"
    tol = 1e-3 if exact else 3e-2
    report = []
    for backend, env in backends:
        prefix = os.path.join(model_dir, backend)
        out = subprocess.run(
            [os.path.join(args.build, "bin", "nhc-run"), artifact, "--weights",
             model_dir, "--prompt-ids", ",".join(map(str, ids)),
             "--max-new-tokens", str(NEW_TOKENS), "--backend", backend,
             "--dump-prompt-logits", prefix + ".P", "--dump-logits", prefix + ".G"],
            capture_output=True, text=True, env=env)
        if out.returncode != 0:
            return False, f"{backend}: nhc-run exited {out.returncode}: {out.stderr[-500:]}"
        got_ids = [int(t) for line in out.stdout.splitlines()
                   if line.startswith("generated:") for t in line.split()[1:]]
        judged = len(ref_ids) if exact else decode_rows_to_judge(
            decode, got_ids, ref_ids, 2 * tol)
        if judged is not None and judged < len(ref_ids):
            write_logits(prefix + ".G", read_logits(prefix + ".G")[:judged])
            write_logits(os.path.join(model_dir, "ref.G"), decode[:judged])
        results = [compare(os.path.join(model_dir, "ref." + dump),
                           prefix + "." + dump, tol)
                   for dump in ("P", "G")]
        report.append(f"{backend}: " + ", ".join(
            f"{what} {line.rpartition('(')[2].rstrip(')')}"
            for what, (_, line) in zip(("prefill", "decode"), results)))
        ids_ok = got_ids == ref_ids if exact else judged is not None
        if not all(ok for ok, _ in results) or not ids_ok:
            return False, (f"{report[-1]}; ids {got_ids} vs transformers' "
                           f"{ref_ids} ({model_dir})")
    shutil.rmtree(model_dir)
    kinds = {name: letter for letter, name in LAYER_KINDS.items()}
    pattern = "".join(kinds[k] for k in config["layers_block_type"])
    return True, f"{pattern}, {length} tokens: " + ", ".join(report)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--seeds", type=seeds, default=seeds("0-49"))
    parser.add_argument("--work", default="/tmp/nhc-sweep-transformers")
    parser.add_argument("--no-cuda", action="store_true")
    parser.add_argument("--dtype", default="float32",
                        choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--compile-flag", action="append", default=[],
                        help="one more `nhc compile` flag (repeatable)")
    args = parser.parse_args()
    make_golden.setup_determinism()
    build = os.path.abspath(args.build)
    args.build = build
    backends = [("host", None)]
    if not args.no_cuda:
        backends.append(("cuda", dict(
            os.environ,
            NHC_CUDA_DRIVER=f"{build}/runtime/test/libnhc_fake_cuda_driver.so",
            NHC_CUBLASLT=f"{build}/runtime/test/libnhc_fake_cublaslt.so",
            NHC_FAKE_CUDA_KERNELS=f"{build}/test/E2E/artifacts/nhc_gpu_emulation.so")))
    os.makedirs(args.work, exist_ok=True)
    failed = 0
    for seed in args.seeds:
        ok, message = check(seed, args, backends)
        failed += not ok
        print(f"seed {seed}: {'same' if ok else 'DIFFERS'}: {message}", flush=True)
    print(f"{len(args.seeds) - failed} of {len(args.seeds)} configs agree with transformers")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
