"""Compares an nhc-run --dump-hidden-states file with a golden tensor.

    compare-hidden.py REFERENCE.safetensors TENSOR DUMP

TENSOR is F32 [n_layers + 1, len, hidden] (test/golden's
prompt.0.hidden_states: transformers' output_hidden_states). Per row (block,
token): max |nhc - ref| <= 1e-3 * max(1, max |ref|), the golden fp32 rule.
Prints 'block K: worst W' per block and exits 1 on any violation.
"""
import array
import json
import struct
import sys


def tensor(path, name):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        meta = header[name]
        begin, end = meta["data_offsets"]
        f.seek(8 + n + begin)
        data = array.array("f")
        data.frombytes(f.read(end - begin))
    return meta["shape"], data


shape, ref = tensor(sys.argv[1], sys.argv[2])
meta = json.load(open(sys.argv[3] + ".json"))
got = array.array("f")
got.frombytes(open(sys.argv[3], "rb").read())
if meta["shape"] != shape:
    print(f"shape {meta['shape']} differs from the reference's {shape}")
    sys.exit(1)
blocks, tokens, hidden = shape
ok = True
for b in range(blocks):
    worst = 0.0
    for t in range(tokens):
        base = (b * tokens + t) * hidden
        r, g = ref[base:base + hidden], got[base:base + hidden]
        scale = max(1.0, max(abs(v) for v in r))
        worst = max(worst, max(abs(x - y) for x, y in zip(r, g)) / scale)
    ok = ok and worst <= 1e-3
    print(f"block {b}: worst {worst:.1e}" + ("" if worst <= 1e-3 else " EXCEEDS 1e-3"))
sys.exit(0 if ok else 1)
