"""Truncates to half every compile cache entry (DIR/*.nhc) whose bytes hold
TEXT; prints how many it damaged."""
import pathlib
import sys

directory, text = pathlib.Path(sys.argv[1]), sys.argv[2].encode()
damaged = 0
for entry in sorted(directory.glob("*.nhc")):
    data = entry.read_bytes()
    if text in data:
        entry.write_bytes(data[: len(data) // 2])
        damaged += 1
print(f"damaged {damaged}")
