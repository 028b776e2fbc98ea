"""Evaluates a launch table (docs/artifact-format.md, "Launch table") the way
a CUDA launcher would, for one kernel function called with given arguments,
and prints each launch's entry, grid, block, shared memory and arguments.

usage: eval-launch-table.py TABLE.json FUNCTION ARG...
An ARG is an integer (index), a float (f32), or a JSON list standing for a
memref argument's contents (read by "load")."""
import json
import struct
import sys


def f32_from_bits(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def to_signed64(v):
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def main():
    table = json.load(open(sys.argv[1]))
    assert table["format"] == "nhc-launch-table" and table["version"] == 1
    fn = next(f for f in table["functions"] if f["function"] == sys.argv[2])
    args = [json.loads(a) for a in sys.argv[3:]]
    if len(args) != len(fn["params"]):
        sys.exit(f"{fn['function']} takes {len(fn['params'])} arguments")
    values = []

    def ref(r):
        if "arg" in r:
            return args[r["arg"]]
        if "value" in r:
            return values[r["value"]]
        if "f32_bits" in r:
            return f32_from_bits(r["f32_bits"])
        return r["const"]

    for v in fn["values"]:
        ops = [ref(o) for o in v["operands"]]
        op = v["op"]
        if op == "addi": r = ops[0] + ops[1]
        elif op == "subi": r = ops[0] - ops[1]
        elif op == "muli": r = ops[0] * ops[1]
        elif op in ("divsi", "divui"): r = int(ops[0] / ops[1])
        elif op == "ceildivsi": r = -(-ops[0] // ops[1])
        elif op in ("remsi", "remui"): r = ops[0] - ops[1] * int(ops[0] / ops[1])
        elif op in ("minsi", "minui"): r = min(ops)
        elif op in ("maxsi", "maxui"): r = max(ops)
        elif op == "select": r = ops[1] if ops[0] else ops[2]
        elif op == "index_cast": r = ops[0]
        elif op == "sitofp": r = float(ops[0])
        elif op == "mulf": r = ops[0] * ops[1]
        elif op == "divf": r = ops[0] / ops[1]
        elif op == "load": r = ops[0][ops[1]]
        elif op == "cmpi":
            a, b = ops
            r = {"eq": a == b, "ne": a != b, "slt": a < b, "sle": a <= b,
                 "sgt": a > b, "sge": a >= b, "ult": a < b, "ule": a <= b,
                 "ugt": a > b, "uge": a >= b}[v["predicate"]]
        else:
            sys.exit(f"unknown op {op}")
        if v["type"] in ("index", "i64"):
            r = to_signed64(int(r))
        values.append(r)

    for launch in fn["launches"]:
        grid = [ref(d) for d in launch["grid"]]
        block = [ref(d) for d in launch["block"]]
        print(f"launch {launch['kernel']} entries "
              + " ".join(f"{chip}={name}" for chip, name in sorted(launch["entry"].items())))
        print(f"  grid {grid[0]} {grid[1]} {grid[2]} block {block[0]} {block[1]} {block[2]}"
              f" shared {ref(launch['dynamic_shared_memory'])}")
        shown = []
        for a in launch["args"]:
            value = ref(a["from"])
            shown.append(f"{a['kind']}:arg{a['from']['arg']}" if a["kind"] == "memref"
                         else f"{a['kind']}:{value}")
        print("  args " + " ".join(shown))


main()
