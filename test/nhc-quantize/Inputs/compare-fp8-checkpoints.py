"""Compares an FP8 checkpoint nhc quantize wrote with a reference one.

    compare-fp8-checkpoints.py OURS.safetensors REFERENCE.safetensors

The same tensor names, dtypes and shapes; e4m3 weights, weight scales and
every unquantized tensor byte-identical; input scales (max |x| of an
activation over the calibration prompts / 448, whose last bits depend on
the engine's summation order) within 1e-5 relative. Prints one line per
kind; exit 1 on any difference.
"""
import json
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items()}


ours, ref = load(sys.argv[1]), load(sys.argv[2])
failed = False
if set(ours) != set(ref):
    print("tensor names differ:", sorted(set(ours) ^ set(ref)))
    sys.exit(1)
counts = {"fp8 weights": 0, "weight scales": 0, "input scales": 0, "other": 0}
worst = 0.0
for name in sorted(ref):
    a, b = ours[name], ref[name]
    if a[:2] != b[:2]:
        print(f"{name}: {a[0]} {a[1]} != {b[0]} {b[1]}")
        failed = True
        continue
    if name.endswith(".input_scale"):
        x, y = struct.unpack("<f", a[2])[0], struct.unpack("<f", b[2])[0]
        rel = abs(x - y) / y
        worst = max(worst, rel)
        failed |= rel > 1e-5
        counts["input scales"] += 1
        continue
    kind = ("fp8 weights" if a[0] == "F8_E4M3" else
            "weight scales" if name.endswith(".weight_scale") else "other")
    counts[kind] += 1
    if a[2] != b[2]:
        print(f"{name}: bytes differ")
        failed = True
for kind, n in counts.items():
    print(f"{kind}: {n}")
print(f"input scales within {worst:.1e} relative")
sys.exit(1 if failed else 0)
