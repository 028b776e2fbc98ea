"""Rewrites an nhc-bench report as if a GPU had measured it, for
issue-targets.test: backend cuda, a device, not smoke, and the given rows'
fractions of their limit.

    as-gpu-report.py IN.json OUT.json [PHASE:SHAPE=FRACTION ...] [NHC_X=V ...]

SHAPE is a decode row's batch or a prefill row's tokens; NHC_X=V goes into
the report's environment.
"""
import json
import sys

report = json.load(open(sys.argv[1]))
report["backend"] = "cuda"
report["smoke"] = False
report["device"] = {"name": "Test GPU", "sm": 90}
for row in report["results"]:
    row["limit"] = ("device.memory_bytes_per_s" if row["phase"] == "decode"
                    else "device.gemm_flops_per_s")
for setting in sys.argv[3:]:
    key, value = setting.split("=", 1)
    if key.startswith("NHC_"):
        report.setdefault("environment", {})[key] = value
        continue
    phase, size = key.split(":")
    field = "batch" if phase == "decode" else "tokens"
    rows = [r for r in report["results"]
            if r["phase"] == phase and r[field] == int(size)]
    if not rows:
        sys.exit(f"no {phase} row with {field} {size}")
    for row in rows:
        # "null": what nhc-bench's JSON holds for a NaN.
        row["fraction_of_limit"] = None if value == "null" else float(value)
json.dump(report, open(sys.argv[2], "w"))
