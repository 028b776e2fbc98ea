#!/usr/bin/env python3
"""Check the golden reference data under a root directory (normally test/golden).

Standard library only (no numpy, no torch), so it runs anywhere the lit tests run.

Usage:  python3 tools/golden/verify_golden.py test/golden

For every case directory (a subdirectory holding manifest.json) it checks:
  * every file listed in manifest["files"] exists, has the stated size and sha256,
    and no unlisted file is present;
  * every *.safetensors file: 8-byte little-endian header length, a JSON object
    header without duplicate keys, known dtypes, integer shapes, data_offsets that are
    in bounds, contiguous (the first tensor starts at 0, each one starts where the
    previous one ends, the last one ends at the end of the file) and non-overlapping,
    and dtype size x number of elements == byte length;
  * every tensor listed in manifest["reference_tensors"] / ["checkpoint_tensors"]
    exists in its file with the stated dtype and shape, and, the other way round,
    every tensor of the reference file and of every */model.safetensors is listed
    (each model.safetensors must have a checkpoint_tensors entry);
  * every config.json / generation_config.json / hf_quant_config.json parses as JSON
    (Python's json accepts Infinity/NaN; transformers 5 writes inf as
    {"__float__": "Infinity"}, which is plain JSON).

It prints "golden <case>: OK (<n> tensors)" per good case and, for a bad one,
"golden <case>: FAIL: <file>: <tensor>: <problem>" lines on stderr; the exit status
is 1 when anything failed.
"""

import hashlib
import json
import os
import struct
import sys

DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "U16": 2,
    "I16": 2,
    "F16": 2,
    "BF16": 2,
    "U32": 4,
    "I32": 4,
    "F32": 4,
    "U64": 8,
    "I64": 8,
    "F64": 8,
}
MAX_HEADER = 100 * 1024 * 1024


class GoldenError(Exception):
    def __init__(self, file, tensor, msg):
        super().__init__(f"{file}: {tensor}: {msg}" if tensor else f"{file}: {msg}")


def _no_dup_object(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def read_safetensors_header(path, rel):
    """Return {name: {"dtype", "shape", "data_offsets"}} after full structural checks."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise GoldenError(rel, None, f"file is {size} bytes, too short for the 8-byte header length")
        (n,) = struct.unpack("<Q", head)
        if n > MAX_HEADER or 8 + n > size:
            raise GoldenError(rel, None, f"header length {n} does not fit in the file ({size} bytes)")
        raw = f.read(n)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GoldenError(rel, None, f"header is not UTF-8: {exc}")
    if not text.startswith("{"):
        raise GoldenError(rel, None, "header does not start with '{'")
    try:
        header = json.loads(text, object_pairs_hook=_no_dup_object)
    except ValueError as exc:
        raise GoldenError(rel, None, f"header is not valid JSON: {exc}")
    if not isinstance(header, dict):
        raise GoldenError(rel, None, "header is not a JSON object")
    data_size = size - 8 - n
    meta = header.pop("__metadata__", None)
    if meta is not None:
        if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            raise GoldenError(rel, "__metadata__", "must be an object of string to string")
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise GoldenError(rel, name, "entry is not an object")
        dtype = info.get("dtype")
        shape = info.get("shape")
        offs = info.get("data_offsets")
        if dtype not in DTYPE_SIZES:
            raise GoldenError(rel, name, f"unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise GoldenError(rel, name, f"bad shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
            raise GoldenError(rel, name, f"bad data_offsets {offs!r}")
        begin, end = offs
        if not 0 <= begin <= end:
            raise GoldenError(rel, name, f"data_offsets {offs} are not ordered")
        if end > data_size:
            raise GoldenError(rel, name, f"data_offsets {offs} exceed the data section ({data_size} bytes)")
        count = 1
        for d in shape:
            count *= d
        want = count * DTYPE_SIZES[dtype]
        if end - begin != want:
            raise GoldenError(rel, name, f"{dtype} {shape} needs {want} bytes but data_offsets {offs} span {end - begin}")
        spans.append((begin, end, name))
    spans.sort()
    pos = 0
    for begin, end, name in spans:
        if begin < pos:
            raise GoldenError(rel, name, f"data_offsets [{begin}, {end}] overlap the previous tensor (ends at {pos})")
        if begin > pos:
            raise GoldenError(rel, name, f"hole in the data section: bytes [{pos}, {begin}) belong to no tensor")
        pos = end
    if pos != data_size:
        raise GoldenError(rel, None, f"data section is {data_size} bytes but the tensors cover {pos}")
    return header


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_listed(headers, rel, listing, errors, section):
    header = headers.get(rel)
    if header is None:
        errors.append(GoldenError(rel, None, "tensors listed in manifest.json not checked: the file failed the checks above"))
        return
    if not isinstance(listing, dict):
        errors.append(GoldenError(rel, None, f"manifest.json {section} entry is not an object"))
        return
    for name in sorted(set(header) - set(listing)):
        errors.append(GoldenError(rel, name, f"tensor is in the file but not listed in manifest.json {section}"))
    for name, want in listing.items():
        got = header.get(name)
        if got is None:
            errors.append(GoldenError(rel, name, "listed in manifest.json but missing from the file"))
            continue
        if got["dtype"] != want.get("dtype"):
            errors.append(GoldenError(rel, name, f"dtype {got['dtype']} != manifest {want.get('dtype')}"))
        if got["shape"] != want.get("shape"):
            errors.append(GoldenError(rel, name, f"shape {got['shape']} != manifest {want.get('shape')}"))


def verify_case(case_dir, case):
    errors = []
    mpath = os.path.join(case_dir, "manifest.json")
    try:
        with open(mpath, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as exc:
        return [GoldenError("manifest.json", None, f"cannot parse: {exc}")], 0
    if manifest.get("case") != case:
        errors.append(GoldenError("manifest.json", None, f"case {manifest.get('case')!r} != directory name {case!r}"))
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return errors + [GoldenError("manifest.json", None, "no 'files' table")], 0

    present = set()
    for root, _dirs, names in os.walk(case_dir):
        for fn in names:
            rel = os.path.relpath(os.path.join(root, fn), case_dir).replace(os.sep, "/")
            if rel != "manifest.json":
                present.add(rel)
    for rel in sorted(present - set(files)):
        errors.append(GoldenError(rel, None, "file is not listed in manifest.json"))

    headers = {}
    ntensors = 0
    for rel in sorted(files):
        path = os.path.join(case_dir, *rel.split("/"))
        info = files[rel]
        if not os.path.isfile(path):
            errors.append(GoldenError(rel, None, "listed in manifest.json but missing"))
            continue
        if rel.endswith(".safetensors"):
            try:
                headers[rel] = read_safetensors_header(path, rel)
                ntensors += len(headers[rel])
            except GoldenError as exc:
                errors.append(exc)
        elif rel.endswith(".json"):
            try:
                with open(path, encoding="utf-8") as f:
                    json.load(f)
            except (OSError, ValueError) as exc:
                errors.append(GoldenError(rel, None, f"does not parse as JSON: {exc}"))
        size = os.path.getsize(path)
        if size != info.get("bytes"):
            errors.append(GoldenError(rel, None, f"size {size} != manifest {info.get('bytes')}"))
        digest = sha256_file(path)
        if digest != info.get("sha256"):
            errors.append(GoldenError(rel, None, f"sha256 {digest} != manifest {info.get('sha256')}"))

    ref = manifest.get("paths", {}).get("reference", "reference.safetensors")
    check_listed(headers, ref, manifest.get("reference_tensors", {}), errors, "reference_tensors")
    listings = manifest.get("checkpoint_tensors", {})
    for rel in sorted(files):
        if rel.split("/")[-1] == "model.safetensors" and rel not in listings:
            errors.append(GoldenError(rel, None, "checkpoint has no manifest.json checkpoint_tensors entry"))
    for rel, listing in sorted(listings.items()):
        check_listed(headers, rel, listing, errors, "checkpoint_tensors")
    for d in manifest.get("paths", {}).get("model_dirs", []):
        if f"{d}/config.json" not in files:
            errors.append(GoldenError(f"{d}/config.json", None, "model directory has no config.json"))
    return errors, ntensors


def main(argv):
    if len(argv) != 2:
        print("usage: verify_golden.py <golden-root>", file=sys.stderr)
        return 2
    root = argv[1]
    if not os.path.isdir(root):
        print(f"golden: FAIL: {root} is not a directory", file=sys.stderr)
        return 1
    cases = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "manifest.json")))
    if not cases:
        print(f"golden: FAIL: no case directories (with manifest.json) under {root}", file=sys.stderr)
        return 1
    failed = False
    for case in cases:
        errors, ntensors = verify_case(os.path.join(root, case), case)
        if errors:
            failed = True
            for e in errors:
                print(f"golden {case}: FAIL: {e}", file=sys.stderr)
        else:
            print(f"golden {case}: OK ({ntensors} tensors)", flush=True)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
