"""Writes a copy of a safetensors file with one tensor edited (tests only).

  edit-safetensors.py IN OUT --drop NAME
  edit-safetensors.py IN OUT --set-f32 NAME VALUE      (every element)
  edit-safetensors.py IN OUT --set-row NAME ROW VALUE  (f32; every element of row ROW)
  edit-safetensors.py IN OUT --copy-slice NAME I NEW   (slice I of the leading dim as NEW)
  edit-safetensors.py IN OUT --retype NAME DTYPE       (same element size)
  edit-safetensors.py IN OUT --repeat NAME COUNT       (shape [COUNT], data repeated)
  edit-safetensors.py IN OUT --rename-prefix OLD NEW   (every name starting with OLD)
  edit-safetensors.py IN OUT --add-zeros NAME DTYPE N  (a new tensor [N] of zero
      bytes, DTYPE any safetensors dtype: F4 and F6_* pack N to whole bytes)
  edit-safetensors.py IN OUT --widen-f64 PREFIX        (every F32 tensor whose
      name starts with PREFIX stored as F64, the same values)
  edit-safetensors.py IN OUT --unstack-experts PREFIX  (every stacked
      PREFIX...mixer.experts.{up,down}_proj[.weight] [E, out, in] split into
      ...experts.<e>.{up,down}_proj.weight [out, in], the per-expert layout)
"""
import re
import struct
import sys

import safetensors_file


def main():
    src, dst, op, name = sys.argv[1:5]
    args = sys.argv[5:]
    meta, tensors = safetensors_file.read(src)
    if op == "--rename-prefix":
        renamed = {(args[0] + key[len(name):] if key.startswith(name) else key):
                   value for key, value in tensors.items()}
        if renamed.keys() == tensors.keys() or len(renamed) != len(tensors):
            sys.exit(f"--rename-prefix {name!r}: nothing renamed, or a clash")
        tensors, name, op = renamed, None, None
    elif op == "--widen-f64":
        widened = 0
        for key, (dtype, shape, raw) in list(tensors.items()):
            if key.startswith(name) and dtype == "F32":
                values = struct.unpack(f"<{len(raw) // 4}f", raw)
                tensors[key] = ("F64", shape,
                                struct.pack(f"<{len(values)}d", *values))
                widened += 1
        if not widened:
            sys.exit(f"--widen-f64 {name!r}: no F32 tensor")
        name, op = None, None
    elif op == "--unstack-experts":
        stacked = re.compile(re.escape(name) +
                             r"(.*\.mixer\.experts)\.(up_proj|down_proj)(\.weight)?$")
        split = {}
        for key, (dtype, shape, raw) in tensors.items():
            match = stacked.match(key)
            if not match or len(shape) != 3:
                split[key] = (dtype, shape, raw)
                continue
            width = len(raw) // shape[0]
            for e in range(shape[0]):
                split[f"{name}{match.group(1)}.{e}.{match.group(2)}.weight"] = (
                    dtype, shape[1:], raw[e * width:(e + 1) * width])
        if len(split) == len(tensors):
            sys.exit(f"--unstack-experts {name!r}: no stacked experts")
        tensors, name, op = split, None, None
    elif op == "--add-zeros":
        if name in tensors:
            sys.exit(f"--add-zeros {name!r}: already in {src}")
    elif name not in tensors:
        sys.exit(f"no tensor {name!r} in {src}")
    else:
        dtype, shape, raw = tensors[name]
    if op is None:
        pass
    elif op == "--drop":
        del tensors[name]
    elif op == "--set-f32":
        assert dtype == "F32", dtype
        value = float(args[0])
        tensors[name] = (dtype, shape, struct.pack("<f", value) * (len(raw) // 4))
    elif op == "--set-row":
        assert dtype == "F32", dtype
        row, value = int(args[0]), float(args[1])
        width = 4 * (len(raw) // 4 // shape[0])
        raw = (raw[:row * width] + struct.pack("<f", value) * (width // 4) +
               raw[(row + 1) * width:])
        tensors[name] = (dtype, shape, raw)
    elif op == "--copy-slice":
        index, new = int(args[0]), args[1]
        width = len(raw) // shape[0]
        tensors[new] = (dtype, shape[1:], raw[index * width:(index + 1) * width])
    elif op == "--retype":
        tensors[name] = (args[0], shape, raw)
    elif op == "--add-zeros":
        bits = {"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "C64": 64}.get(args[0], 8)
        tensors[name] = (args[0], [int(args[1])], bytes(int(args[1]) * bits // 8))
    elif op == "--repeat":
        count = int(args[0])
        tensors[name] = (dtype, [count], raw * count)
    else:
        sys.exit(f"unknown operation {op}")
    safetensors_file.write(dst, tensors, meta)


if __name__ == "__main__":
    main()
