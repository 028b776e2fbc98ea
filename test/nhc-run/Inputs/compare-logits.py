"""Compares raw f32 logits dumps of nhc-run (--dump-logits / --dump-prompt-logits).

    compare-logits.py [--differ] [--skip-ref-rows N] [--tol T] REF OTHER [OTHER ...]

Per row, max |other - ref| <= T * max(1, max |ref|) (T = 1e-5: fp32 noise), and the
row count must match; prints 'same: OTHER (worst W)' per file. With --differ,
every OTHER must instead differ from REF by more than 1e-3 of the logit scale
somewhere (prints 'differs: OTHER (worst W)'). --skip-ref-rows N compares
the OTHER files with REF's rows from N on (a continued request's prompt).
Exit 1 on any violation.
"""
import array
import json
import sys


def load(path):
    meta = json.load(open(path + ".json"))
    data = array.array("f")
    with open(path, "rb") as f:
        data.frombytes(f.read())
    vocab = meta["shape"][1]
    return [data[i:i + vocab] for i in range(0, len(data), vocab)]


def worst_rel(ref, other):
    worst = 0.0
    for r, o in zip(ref, other):
        scale = max(1.0, max(abs(v) for v in r))
        worst = max(worst, max(abs(a - b) for a, b in zip(r, o)) / scale)
    return worst


args = sys.argv[1:]
differ = bool(args) and args[0] == "--differ"
if differ:
    args = args[1:]
skip = 0
if args and args[0] == "--skip-ref-rows":
    skip, args = int(args[1]), args[2:]
tol = 1e-5
if args and args[0] == "--tol":
    tol, args = float(args[1]), args[2:]
ref = load(args[0])[skip:]
ok = True
for path in args[1:]:
    other = load(path)
    if len(other) != len(ref):
        print(f"rows differ: {path} has {len(other)}, reference {len(ref)}")
        ok = False
        continue
    w = worst_rel(ref, other)
    if differ:
        print(f"differs: {path} (worst {w:.2e})" if w > 1e-3 else f"same: {path}")
        ok = ok and w > 1e-3
    else:
        print(f"same: {path} (worst {w:.2e})" if w <= tol else f"DIFFERS: {path} (worst {w:.2e})")
        ok = ok and w <= tol
sys.exit(0 if ok else 1)
