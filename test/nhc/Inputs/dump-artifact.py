"""Prints an nhc artifact's header and section table, checking the checksum.

usage: dump-artifact.py FILE
Independent of nhc's own reader: it decodes the bytes as
docs/artifact-format.md specifies them.
"""
import struct
import sys

KINDS = {1: "manifest", 2: "host-shared-library", 3: "host-object", 4: "ptx", 5: "cubin",
         6: "launch-table"}


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


data = open(sys.argv[1], "rb").read()
magic, version, count, file_size, table, checksum = struct.unpack_from("<8sIIQQQ", data, 0)
print(f"magic {magic.rstrip(bytes(1)).decode()} version {version} sections {count}")
print(f"size {'ok' if file_size == len(data) else 'WRONG'}")
print(f"checksum {'ok' if checksum == fnv1a64(data[64:]) else 'WRONG'}")
for i in range(count):
    kind, flags, offset, size, name = struct.unpack_from("<IIQQ40s", data, table + 64 * i)
    name = name.rstrip(bytes(1)).decode()
    aligned = "aligned" if offset % 64 == 0 else "MISALIGNED"
    print(f"section {KINDS.get(kind, kind)} {name} {aligned} {'nonempty' if size else 'EMPTY'}")
    if kind == 2:
        is_elf = data[offset:offset + 4] == b"\x7fELF"
        print("  elf " + ("yes" if is_elf else "NO"))
    if kind == 6:
        import json
        table = json.loads(data[offset:offset + size])
        print(f"  {table['format']} {len(table['functions'])} functions")
    if kind == 4:
        text = data[offset:offset + size].decode()
        print("  " + next(line for line in text.splitlines() if line.startswith(".target")))
