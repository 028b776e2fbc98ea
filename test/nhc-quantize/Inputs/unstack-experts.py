"""Writes a copy of a checkpoint with stacked routed experts split per expert.

    unstack-experts.py IN.safetensors OUT.safetensors

`<layer>.mixer.experts.{up,down}_proj[.weight]` [E, out, in] becomes
`<layer>.mixer.experts.<e>.{up,down}_proj.weight` [out, in] for every e
(the per-expert layout transformers and modelopt also read); every other
tensor is copied. Tests only.
"""
import json
import re
import struct
import sys

STACKED = re.compile(r"^(.*\.mixer\.experts)\.(up_proj|down_proj)(\.weight)?$")


def main():
    src, dst = sys.argv[1:3]
    with open(src, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    meta = header.pop("__metadata__", None)
    tensors = []
    split = 0
    for key, info in header.items():
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        match = STACKED.match(key)
        if not match or len(info["shape"]) != 3:
            tensors.append((key, info["dtype"], info["shape"], raw))
            continue
        count, shape = info["shape"][0], info["shape"][1:]
        width = len(raw) // count
        for e in range(count):
            name = f"{match.group(1)}.{e}.{match.group(2)}.weight"
            tensors.append((name, info["dtype"], shape,
                            raw[e * width:(e + 1) * width]))
        split += 1
    if not split:
        sys.exit(f"{src}: no stacked experts")
    out_header = {} if meta is None else {"__metadata__": meta}
    blob = b""
    for key, dtype, shape, raw in tensors:
        out_header[key] = {"dtype": dtype, "shape": shape,
                           "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    encoded = json.dumps(out_header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + blob)


if __name__ == "__main__":
    main()
