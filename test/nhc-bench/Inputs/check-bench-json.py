"""Checks the schema of an nhc-bench JSON report (not its numbers' size).

    check-bench-json.py REPORT.json [REQUESTED_GEMM_PRECISION]
"""
import json
import math
import sys

report = json.load(open(sys.argv[1]))


def positive(value, what):
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        sys.exit(f"{what}: expected a positive number, found {value!r}")


if report.get("format") != "nhc-bench" or report.get("version") != 1:
    sys.exit("format/version: expected nhc-bench version 1")
cuda = report.get("backend") == "cuda"
if report.get("backend") not in ("host", "cuda"):
    sys.exit(f"backend: {report.get('backend')!r}")
positive(report["cold_start_s"], "cold_start_s")
if not isinstance(report.get("smoke"), bool):
    sys.exit(f"smoke: expected true or false, found {report.get('smoke')!r}")
environment = report.get("environment")
if not isinstance(environment, dict) or any(
        not k.startswith("NHC_") or not isinstance(v, str)
        for k, v in environment.items()):
    sys.exit(f"environment: expected the run's NHC_* variables, found {environment!r}")
precision = report["gemm_precision"]
requested = sys.argv[2] if len(sys.argv) > 2 else "f32"
if cuda:
    # The device's limits; BF16 gemm weights run in bf16 whatever was asked.
    for key in ("memory_bytes_per_s", "f32_gemm_flops_per_s"):
        positive(report["device"][key], "device." + key)
    if not report["device"].get("name") or report["device"].get("sm", 0) < 50:
        sys.exit(f"device: {report['device']}")
    # Prefill runs against the peak of the device's products together: each
    # arithmetic's cuBLASLt rate, weighted by the parameters it multiplies
    # (gemm_mix), so between the slowest and the fastest of them.
    limits = {r["limit"] for r in report["results"] if r["phase"] == "prefill"}
    if limits != {"device.gemm_flops_per_s"}:
        sys.exit(f"results[prefill].limit: {limits}")
    prefill_limit = "device.gemm_flops_per_s"
    device = report["device"]
    mix = device["gemm_mix"]
    if not mix or set(mix) - {"f32", "bf16", "e4m3"} or abs(sum(mix.values()) - 1) > 1e-9:
        sys.exit(f"device.gemm_mix: {mix}")
    if precision["in_effect"] == "bf16" and "bf16" not in mix:
        sys.exit(f"device.gemm_mix: {mix} with bf16 in effect")
    peaks = [device[f"{name}_gemm_flops_per_s"] for name in mix]
    for name in mix:
        positive(device[f"{name}_gemm_flops_per_s"], f"device.{name}_gemm_flops_per_s")
    peak = device["gemm_flops_per_s"]
    positive(peak, prefill_limit)
    if not min(peaks) * (1 - 1e-9) <= peak <= max(peaks) * (1 + 1e-9):
        sys.exit(f"device.gemm_flops_per_s {peak} outside {peaks}")
    decode_limit = "device.memory_bytes_per_s"
else:
    for key in ("dram_read_bytes_per_s", "sgemm_flops_per_s", "threads"):
        positive(report["machine"][key], "machine." + key)
    positive(precision["gemv_max_rows"], "gemm_precision.gemv_max_rows")
    if precision["requested"] != requested or precision["in_effect"] not in ("f32", requested):
        sys.exit(f"gemm_precision: {precision} (requested {requested})")
    # Prefill is judged against the peak of the arithmetic in effect.
    prefill_limit = {"f32": "sgemm_flops_per_s", "bf16": "bf16_gemm_flops_per_s"}[precision["in_effect"]]
    positive(report["machine"][prefill_limit], "machine." + prefill_limit)
    decode_limit = "dram_read_bytes_per_s"
for key in ("hidden_size", "vocab_size", "matmul_params_per_token", "weight_bytes_as_read"):
    positive(report["model"][key], "model." + key)
# Zero for a model without Mamba layers, or without attention layers.
for key in ("state_fixed_bytes_per_request", "state_bytes_per_token"):
    if not report["model"][key] >= 0:
        sys.exit(f"model.{key}: {report['model'][key]} is negative")
model = report["model"]
if model["kv_cache_dtype"] not in ("F32", "BF16", "F16", "mixed", "none"):
    sys.exit(f"model.kv_cache_dtype: {model['kv_cache_dtype']!r} is not F32, BF16, F16, mixed or none")
if model["ssm_state_dtype"] not in ("F32", "BF16", "mixed", "none"):
    sys.exit(f"model.ssm_state_dtype: {model['ssm_state_dtype']!r} is not F32, BF16, mixed or none")
if (model["kv_cache_dtype"] == "none") != (model["state_bytes_per_token"] == 0):
    sys.exit(f"model.kv_cache_dtype {model['kv_cache_dtype']!r} with {model['state_bytes_per_token']} cache bytes per token")
if not 0 <= model["routed_expert_bytes"] < model["weight_bytes_as_read"]:
    sys.exit(f"model.routed_expert_bytes {model['routed_expert_bytes']} outside [0, weight bytes)")
if not 0 < model["routed_expert_share"] <= 1:
    sys.exit(f"model.routed_expert_share {model['routed_expert_share']} outside (0, 1]")
positive(report["memory"]["peak_rss_bytes"], "memory.peak_rss_bytes")


def check_profile(row):
    """--profile: time per operation (step_profile.h) of the timed steps, or
    (cuda decode: of_timed_steps false) of as many more steps run without
    graph replay, whose own time per step it then has."""
    profile, what = row["profile"], f"results[{row['phase']}].profile"
    steps = row.get("steps", 1)
    if not isinstance(profile.get("of_timed_steps"), bool):
        sys.exit(f"{what}: of_timed_steps must be true or false")
    if profile["of_timed_steps"]:
        step_s = row["seconds"] / steps
    else:
        step_s = profile["seconds_per_step"]
        positive(step_s, f"{what}.seconds_per_step")
    if profile["steps"] != steps or abs(profile["seconds_per_step"] - step_s) > 1e-9 * step_s:
        sys.exit(f"{what}: steps {profile['steps']}, {profile['seconds_per_step']} s per step; "
                 f"want {steps} and {step_s}")
    ops = profile["ops"]
    if sum(op["entries"] for op in ops) != profile["entries_per_step"] or \
            len({op["op"] for op in ops}) != len(ops):
        sys.exit(f"{what}: ops do not partition the {profile['entries_per_step']} entries")
    for op in ops:
        if op["entries"] < 1 or not op["seconds_per_step"] >= 0 or \
                abs(op["share"] - op["seconds_per_step"] / step_s) > 1e-9:
            sys.exit(f"{what}: {op}")
        if op["op"].startswith("gemm "):
            for key in ("bytes_per_step", "flops_per_step", "limit_seconds_per_step"):
                positive(op[key], f"{what}[{op['op']}].{key}")
            if op["seconds_per_step"] > 0 and abs(op["fraction_of_limit"] -
                    op["limit_seconds_per_step"] / op["seconds_per_step"]) > 1e-9 * op["fraction_of_limit"]:
                sys.exit(f"{what}[{op['op']}]: fraction {op['fraction_of_limit']}")
        elif "fraction_of_limit" in op:
            sys.exit(f"{what}[{op['op']}]: only gemms have a limit")
    if [op["seconds_per_step"] for op in ops] != sorted((op["seconds_per_step"] for op in ops), reverse=True):
        sys.exit(f"{what}: ops not slowest first")
    # The entries run inside the timed step (the first also holds its
    # validation; a decode step's timing also its token draw).
    covered = sum(op["share"] for op in ops)
    if abs(profile["covered_share"] - covered) > 1e-9 or not 0 < covered <= 1.01:
        sys.exit(f"{what}: covered_share {profile['covered_share']}, ops sum to {covered}")


phases = {r["phase"] for r in report["results"]}
if phases != {"prefill", "decode"}:
    sys.exit(f"results: expected prefill and decode rows, found {phases}")
for row in report["results"]:
    for key in ("seconds", "tokens_per_s", "fraction_of_limit"):
        positive(row[key], f"results[{row['phase']}].{key}")
    if row["phase"] == "prefill":
        for key in ("ttft_s", "first_use_seconds"):
            positive(row[key], f"results[prefill].{key}")
        if row["ttft_s"] != row["seconds"]:
            sys.exit(f"results[prefill]: ttft_s {row['ttft_s']} is not the step's seconds")
    limit = {"prefill": prefill_limit, "decode": decode_limit}
    if row["phase"] == "decode":
        # Routed experts at the share a batch touches (uniform routes).
        share = 1 - (1 - model["routed_expert_share"]) ** row["batch"]
        want = model["weight_bytes_as_read"] - model["routed_expert_bytes"] * (1 - share)
        if abs(row["routed_experts_read"] - share) > 1e-12 or \
                abs(row["weight_bytes_per_step"] - want) > 1e-9 * want or \
                not want <= row["bytes_per_step"]:
            sys.exit(f"results[decode B={row['batch']}]: weight bytes {row['weight_bytes_per_step']}, "
                     f"experts read {row['routed_experts_read']}, want {want} and {share}")
        # State per request: conv and SSM state read and written back, the
        # KV caches read at the timed steps' mean context plus the new row.
        mean_context = row["context"] - (row["steps"] + 1) // 2
        want_state = row["batch"] * (2 * model["state_fixed_bytes_per_request"] +
                                     model["state_bytes_per_token"] * (mean_context + 1))
        if abs(row["state_bytes_per_step"] - want_state) > 1e-9 * want_state or \
                abs(row["bytes_per_step"] - want - want_state) > 1e-9 * row["bytes_per_step"]:
            sys.exit(f"results[decode B={row['batch']}]: state bytes {row['state_bytes_per_step']}, "
                     f"bytes {row['bytes_per_step']}, want {want_state} and {want + want_state}")
        # The roofline: the longer of the bytes at the memory bandwidth and
        # the FLOPs at the peak of the arithmetic the gemms run in: the
        # prefill peak, but f32's on the host for a batch the GEMV kernels
        # take (at most gemv_max_rows requests), and the limit named after it.
        positive(row["flops_per_step"], "results[decode].flops_per_step")
        memory_bw = (report["device"] if cuda else report["machine"])[decode_limit.split(".")[-1]]
        compute_limit = prefill_limit
        if not cuda and row["batch"] <= precision["gemv_max_rows"]:
            compute_limit = "sgemm_flops_per_s"
        peak = (report["device"] if cuda else report["machine"])[compute_limit.split(".")[-1]]
        memory_s, compute_s = row["bytes_per_step"] / memory_bw, row["flops_per_step"] / peak
        if abs(row["memory_limit_s"] - memory_s) > 1e-9 * memory_s or \
                abs(row["compute_limit_s"] - compute_s) > 1e-9 * compute_s:
            sys.exit(f"results[decode B={row['batch']}]: limits {row['memory_limit_s']} s, "
                     f"{row['compute_limit_s']} s; want {memory_s} and {compute_s}")
        step_s = row["seconds"] / row["steps"]
        if abs(row["fraction_of_limit"] - max(memory_s, compute_s) / step_s) > 1e-9 * row["fraction_of_limit"]:
            sys.exit(f"results[decode B={row['batch']}]: fraction {row['fraction_of_limit']}")
        limit["decode"] = compute_limit if compute_s > memory_s else decode_limit
    if row["limit"] != limit[row["phase"]]:
        sys.exit(f"results[{row['phase']}].limit: {row['limit']}")
    if "profile" in row:
        check_profile(row)
# Cold start to first token: the cold start, then the first prompt's first run.
positive(report["first_token_s"], "first_token_s")
if report["first_token_s"] <= report["cold_start_s"]:
    sys.exit(f"first_token_s {report['first_token_s']} <= cold_start_s {report['cold_start_s']}")
print("nhc-bench report OK:", len(report["results"]), "rows")
