"""Checks the schema of an nhc-bench JSON report (not its numbers' size).

    check-bench-json.py REPORT.json
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
for key in ("dram_read_bytes_per_s", "sgemm_flops_per_s", "threads"):
    positive(report["machine"][key], "machine." + key)
positive(report["cold_start_s"], "cold_start_s")
for key in ("hidden_size", "vocab_size", "matmul_params_per_token", "weight_bytes_as_read"):
    positive(report["model"][key], "model." + key)
positive(report["memory"]["peak_rss_bytes"], "memory.peak_rss_bytes")
phases = {r["phase"] for r in report["results"]}
if phases != {"prefill", "decode"}:
    sys.exit(f"results: expected prefill and decode rows, found {phases}")
for row in report["results"]:
    for key in ("seconds", "tokens_per_s", "fraction_of_limit"):
        positive(row[key], f"results[{row['phase']}].{key}")
    limit = {"prefill": "sgemm_flops_per_s", "decode": "dram_read_bytes_per_s"}
    if row["limit"] != limit[row["phase"]]:
        sys.exit(f"results[{row['phase']}].limit: {row['limit']}")
print("nhc-bench report OK:", len(report["results"]), "rows")
