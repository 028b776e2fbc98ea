#!/usr/bin/env python3
"""Compare nhc's C++ tokenizer (the nhc-tokenize CLI) with the Python
`tokenizers` library, id for id.

For every test tokenizer and every corpus file
(runtime/text/tokenizer/test/data/corpus, plus a few edge-case strings), with
and without special tokens:
  * nhc-tokenize --encode FILE --json  must give tokenizers' encode(...).ids
    (the file's bytes are decoded with errors="replace" for Python, which is
    what nhc does with invalid UTF-8);
  * nhc-tokenize --decode IDS          must give tokenizers' decode(ids),
    with and without skip_special_tokens.
Prints the first differing position on a mismatch; exit status 1 on any.

--regenerate rewrites the committed expected ids
(runtime/text/tokenizer/test/data/expected/*.json) that the GoogleTest
`ExpectedIds` checks without Python; it needs no nhc-tokenize.

Usage: check_tokenizer.py --nhc-tokenize PATH   |   check_tokenizer.py --regenerate
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join("runtime", "text", "tokenizer", "test", "data")
CORPUS = os.path.join(DATA, "corpus")
EXPECTED = os.path.join(DATA, "expected")
TOKENIZERS = {
    "tiny_model": os.path.join("test", "golden", "dense", "model"),
    "bpe2k": os.path.join(DATA, "bpe2k"),
    "bpe2k_ignore_merges": os.path.join(DATA, "bpe2k_ignore_merges"),
}
# Edge cases beyond the corpus files (checked live only).
EXTRA = {
    "empty": b"",
    "one_space": b" ",
    "only_newlines": b"\n\n\r\n",
    "nel_and_nbsp": "a\u0085b\u00a0\u00a0c \u0085 ".encode(),
    "special_at_edges": b"<s>",
    "special_glued": b"</s></s><s>x<SPECIAL_11><think></think>",
    "long_word": ("supercalifragilistic" * 40).encode(),
    "long_spaces": b" " * 3000 + b"x" + b"\t" * 700,
    "digits": b"1234567890" * 50,
    "invalid_only": b"\xff\xfe\xfd",
    "lone_surrogate_bytes": b"\xed\xb2\x80x",
    "added_token_edges": "[MASK]  [MASK]x <|rs|>  y dog dogs 数据数据 <|both|> <|norm|>".encode(),
}


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n if len(a) != len(b) else -1


def corpus_files():
    d = os.path.join(ROOT, CORPUS)
    return [(name, os.path.join(d, name)) for name in sorted(os.listdir(d))]


def load_py(name):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(os.path.join(ROOT, TOKENIZERS[name], "tokenizer.json"))


def regenerate():
    os.makedirs(os.path.join(ROOT, EXPECTED), exist_ok=True)
    for name in TOKENIZERS:
        tok = load_py(name)
        cases = []
        for fname, path in corpus_files():
            text = open(path, "rb").read().decode("utf-8", "replace")
            for special in (True, False):
                ids = tok.encode(text, add_special_tokens=special).ids
                cases.append({
                    "file": fname,
                    "add_special_tokens": special,
                    "ids": ids,
                    "decoded": tok.decode(ids, skip_special_tokens=False),
                    "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
                })
        out = {"tokenizer": TOKENIZERS[name].replace(os.sep, "/"), "cases": cases}
        with open(os.path.join(ROOT, EXPECTED, name + ".json"), "w", encoding="utf-8", newline="\n") as f:
            json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
    print("expected ids written to", os.path.join(ROOT, EXPECTED))
    return 0


def run(cmd):
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")))
    return r.stdout


def check(nhc):
    failures = 0
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        inputs = list(corpus_files())
        for key, data in EXTRA.items():
            p = os.path.join(tmp, key + ".txt")
            with open(p, "wb") as f:
                f.write(data)
            inputs.append(("extra:" + key, p))
        for name, rel in TOKENIZERS.items():
            tok = load_py(name)
            tdir = os.path.join(ROOT, rel)
            for fname, path in inputs:
                text = open(path, "rb").read().decode("utf-8", "replace")
                for special in (True, False):
                    where = "%s / %s / add_special_tokens=%s" % (name, fname, special)
                    want = tok.encode(text, add_special_tokens=special).ids
                    cmd = [nhc, tdir, "--encode", path, "--json"] + ([] if special else ["--no-special"])
                    got = json.loads(run(cmd))
                    checks += 1
                    i = first_diff(got, want)
                    if i >= 0:
                        failures += 1
                        print("MISMATCH encode %s: first difference at id #%d (lengths nhc %d, python %d)"
                              % (where, i, len(got), len(want)))
                        print("  nhc:    ", got[max(0, i - 3):i + 6])
                        print("  python: ", want[max(0, i - 3):i + 6])
                        print("  python tokens:", [tok.id_to_token(x) for x in want[max(0, i - 3):i + 6]])
                        continue
                    idfile = os.path.join(tmp, "ids.txt")
                    with open(idfile, "w") as f:
                        f.write(",".join(map(str, want)))
                    for skip in (False, True):
                        want_text = tok.decode(want, skip_special_tokens=skip)
                        cmd = [nhc, tdir, "--decode", "@" + idfile] + (["--no-special"] if skip else [])
                        got_text = run(cmd).decode("utf-8")
                        checks += 1
                        j = first_diff(got_text, want_text)
                        if j >= 0:
                            failures += 1
                            print("MISMATCH decode(skip_special_tokens=%s) %s: first difference at char %d"
                                  % (skip, where, j))
                            print("  nhc:    %r" % got_text[max(0, j - 20):j + 20])
                            print("  python: %r" % want_text[max(0, j - 20):j + 20])
    print("%d checks, %d mismatches (%d tokenizers, %d inputs)" % (checks, failures, len(TOKENIZERS), len(inputs)))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description="nhc tokenizer vs Python tokenizers")
    ap.add_argument("--nhc-tokenize", help="path of the nhc-tokenize binary")
    ap.add_argument("--regenerate", action="store_true", help="rewrite the committed expected ids")
    args = ap.parse_args()
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        print("check_tokenizer.py: the Python `tokenizers` package is missing in %s; "
              "run tools/scripts/setup.sh or set NHC_TEST_PYTHON" % sys.executable)
        return 1
    if args.regenerate:
        return regenerate()
    if not args.nhc_tokenize:
        ap.error("--nhc-tokenize is required (or --regenerate)")
    return check(args.nhc_tokenize)


if __name__ == "__main__":
    sys.exit(main())
