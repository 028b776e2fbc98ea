"""Splits a safetensors file into two shards and an index (tests only).

  shard-safetensors.py IN OUTDIR [--misplace NAME] [--phantom NAME]
                                 [--repeat-key NAME]

Tensors alternate between model-00001-of-00002.safetensors and
model-00002-of-00002.safetensors (in name order); the index maps each to its
shard, except: --misplace NAME maps NAME to the other shard; --phantom NAME
maps NAME, which no shard holds, to the first; --repeat-key NAME writes
NAME's key twice in weight_map, first with the other shard (Python's json
keeps the last). Each option may be given more than once.
"""
import json
import struct
import sys

SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]


def read(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items()}


def write(path, tensors):
    header, blob = {}, b""
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape,
                       "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + blob)


def main():
    src, out = sys.argv[1:3]
    opts = {"--misplace": [], "--phantom": [], "--repeat-key": []}
    rest = sys.argv[3:]
    for i in range(0, len(rest), 2):
        opts[rest[i]].append(rest[i + 1])
    tensors = read(src)
    parts = [{}, {}]
    where = {}
    for i, name in enumerate(sorted(tensors)):
        parts[i % 2][name] = tensors[name]
        where[name] = i % 2
    for i, shard in enumerate(SHARDS):
        write(f"{out}/{shard}", parts[i])
    entries = []
    for name in sorted(where):
        shard = where[name]
        if name in opts["--repeat-key"]:
            entries.append((name, SHARDS[1 - shard]))
        if name in opts["--misplace"]:
            shard = 1 - shard
        entries.append((name, SHARDS[shard]))
    entries += [(name, SHARDS[0]) for name in opts["--phantom"]]
    body = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in entries)
    with open(f"{out}/model.safetensors.index.json", "w") as f:
        f.write('{"metadata": {}, "weight_map": {' + body + "}}")


if __name__ == "__main__":
    main()
