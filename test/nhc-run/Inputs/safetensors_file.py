"""Reads and writes whole .safetensors files for the test scripts beside it."""
import json
import struct


def read(path):
    """(metadata or None, {name: (dtype, shape, bytes)}) in header order."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    meta = header.pop("__metadata__", None)
    tensors = {}
    for key, info in header.items():
        begin, end = info["data_offsets"]
        tensors[key] = (info["dtype"], info["shape"], data[begin:end])
    return meta, tensors


def write(path, tensors, meta=None):
    """`tensors` in their order, the header padded to 8 bytes."""
    header = {} if meta is None else {"__metadata__": meta}
    blob = b""
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape,
                       "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + blob)
