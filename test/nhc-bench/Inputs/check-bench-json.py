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
precision = report["gemm_precision"]
requested = sys.argv[2] if len(sys.argv) > 2 else "f32"
if cuda:
    # The device's limits; BF16 gemm weights run in bf16 whatever was asked.
    for key in ("memory_bytes_per_s", "f32_gemm_flops_per_s"):
        positive(report["device"][key], "device." + key)
    if not report["device"].get("name") or report["device"].get("sm", 0) < 50:
        sys.exit(f"device: {report['device']}")
    # Prefill runs against cuBLASLt's bf16 rate when BF16 (or e4m3, widened
    # to bf16) weights are multiplied, else its f32 rate.
    limits = {r["limit"] for r in report["results"] if r["phase"] == "prefill"}
    if len(limits) != 1:
        sys.exit(f"results[prefill].limit: {limits}")
    prefill_limit = limits.pop()
    allowed = (["device.bf16_gemm_flops_per_s"] if precision["in_effect"] == "bf16"
               else ["device.f32_gemm_flops_per_s", "device.bf16_gemm_flops_per_s"])
    if prefill_limit not in allowed:
        sys.exit(f"results[prefill].limit: {prefill_limit} (in effect {precision['in_effect']})")
    positive(report["device"][prefill_limit.split(".")[1]], prefill_limit)
    decode_limit = "device.memory_bytes_per_s"
else:
    for key in ("dram_read_bytes_per_s", "sgemm_flops_per_s", "threads"):
        positive(report["machine"][key], "machine." + key)
    if precision["requested"] != requested or precision["in_effect"] not in ("f32", requested):
        sys.exit(f"gemm_precision: {precision} (requested {requested})")
    # Prefill is judged against the peak of the arithmetic in effect.
    prefill_limit = {"f32": "sgemm_flops_per_s", "bf16": "bf16_gemm_flops_per_s"}[precision["in_effect"]]
    positive(report["machine"][prefill_limit], "machine." + prefill_limit)
    decode_limit = "dram_read_bytes_per_s"
for key in ("hidden_size", "vocab_size", "matmul_params_per_token", "weight_bytes_as_read"):
    positive(report["model"][key], "model." + key)
positive(report["memory"]["peak_rss_bytes"], "memory.peak_rss_bytes")
phases = {r["phase"] for r in report["results"]}
if phases != {"prefill", "decode"}:
    sys.exit(f"results: expected prefill and decode rows, found {phases}")
for row in report["results"]:
    for key in ("seconds", "tokens_per_s", "fraction_of_limit"):
        positive(row[key], f"results[{row['phase']}].{key}")
    limit = {"prefill": prefill_limit, "decode": decode_limit}
    if row["limit"] != limit[row["phase"]]:
        sys.exit(f"results[{row['phase']}].limit: {row['limit']}")
print("nhc-bench report OK:", len(report["results"]), "rows")
