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
import sys

import safetensors_file

SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]


def main():
    src, out = sys.argv[1:3]
    opts = {"--misplace": [], "--phantom": [], "--repeat-key": []}
    rest = sys.argv[3:]
    for i in range(0, len(rest), 2):
        opts[rest[i]].append(rest[i + 1])
    _, tensors = safetensors_file.read(src)
    parts = [{}, {}]
    where = {}
    for i, name in enumerate(sorted(tensors)):
        parts[i % 2][name] = tensors[name]
        where[name] = i % 2
    for i, shard in enumerate(SHARDS):
        safetensors_file.write(f"{out}/{shard}", parts[i])
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
