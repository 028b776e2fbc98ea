"""Says whether every f32 of a raw dump (nhc-run --dump-*) is a bf16 value:
`all N values are bf16`, else `K of N values are not bf16`."""
import array
import sys

values = array.array("I")
with open(sys.argv[1], "rb") as f:
    values.frombytes(f.read())
off = sum(1 for v in values if v & 0xFFFF)
if off:
    print(f"{off} of {len(values)} values are not bf16")
else:
    print(f"all {len(values)} values are bf16")
