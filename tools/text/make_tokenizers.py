#!/usr/bin/env python3
"""Build the small test tokenizers nhc's C++ tokenizer is checked against.

Each one has the structure of the real Nemotron-H tokenizer.json (byte-level
BPE converted from Mistral's "tekken"): no normalizer; a pre-tokenizer
Sequence of Split(Regex(<tekken pattern>), behavior "Isolated") and
ByteLevel(add_prefix_space=false, use_regex=false); a BPE model with
byte_fallback false, fuse_unk false and no subword prefix/suffix; the ByteLevel
decoder; a post-processor that adds <s>.  They are trained with the Python
`tokenizers` library on the committed corpus
(runtime/text/tokenizer/test/data/corpus, the invalid-UTF-8 file excluded).

Outputs (committed; rerunning this script rewrites them byte-identically):
  test/golden/dense/model/tokenizer.json, tokenizer_config.json
      the bundled tiny model's tokenizer: 384 ids in all, <unk>=0 <s>=1
      </s>=2, the chat-template specials at 377..383.
  runtime/text/tokenizer/test/data/bpe2k/
      ~2000 ids, merges in the "a b" string form, extra added tokens that
      exercise lstrip / rstrip / single_word / normalized / non-special and a
      non-ASCII added token; chat_template as a list of {name, template}.
  runtime/text/tokenizer/test/data/bpe2k_ignore_merges/
      the same with "ignore_merges": true and some whole-word vocabulary
      entries that the merges cannot build (so the option changes ids).

Usage: tools/text/make_tokenizers.py [--root REPO_ROOT]
"""
import argparse
import hashlib
import json
import os
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models
from tokenizers import pre_tokenizers, processors, trainers

# The Split regex of the Nemotron-H / Mistral Nemo tokenizer.json (llama.cpp
# calls this pre-tokenizer "tekken").
NEMOTRON_H_SPLIT_REGEX = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|"
    r"\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

BASE_SPECIALS = ["<unk>", "<s>", "</s>"]
CHAT_SPECIALS = ["<SPECIAL_10>", "<SPECIAL_11>", "<SPECIAL_12>", "<think>",
                 "</think>", "<tool_call>", "</tool_call>"]

CORPUS_DIR = os.path.join("runtime", "text", "tokenizer", "test", "data", "corpus")


def corpus_texts(root):
    d = os.path.join(root, CORPUS_DIR)
    out = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".bin"):
            continue
        with open(os.path.join(d, name), "rb") as f:
            out.append(f.read().decode("utf-8"))
    return out


def build(root, model_vocab_size, post_processor):
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=False, byte_fallback=False))
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(NEMOTRON_H_SPLIT_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=model_vocab_size, min_frequency=1, show_progress=False,
        special_tokens=[AddedToken(t, special=True, normalized=False) for t in BASE_SPECIALS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    texts = corpus_texts(root)
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    if post_processor == "template":
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    else:
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                          special_tokens=[("<s>", 1)]),
        ])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in CHAT_SPECIALS])
    return tok


def register_in_golden_manifest(case_dir, rels):
    """Lists the tokenizer files in the golden case's manifest.json "files"
    table (bytes, sha256), written as tools/golden/make_golden.py writes it,
    so tools/golden/verify_golden.py checks them like the rest."""
    path = os.path.join(case_dir, "manifest.json")
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    for rel in rels:
        with open(os.path.join(case_dir, rel), "rb") as f:
            data = f.read()
        manifest["files"][rel] = {"bytes": len(data),
                                  "sha256": hashlib.sha256(data).hexdigest()}
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True,
                           allow_nan=False) + "\n")


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def config_for(tok_json, chat_template=None, bos_as_dict=False):
    decoder = {}
    for t in tok_json["added_tokens"]:
        decoder[str(t["id"])] = {k: t[k] for k in
                                 ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
    bos = {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False,
           "rstrip": False, "single_word": False} if bos_as_dict else "<s>"
    cfg = {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "bos_token": bos,
        "clean_up_tokenization_spaces": False,
        "eos_token": "</s>",
        "model_max_length": 8192,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": "<unk>",
    }
    if chat_template is not None:
        cfg["chat_template"] = chat_template
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..")))
    args = ap.parse_args()
    root = args.root

    # 1. The tiny model's tokenizer: 377 model ids + 7 added specials = 384.
    tiny = build(root, 377, "template")
    tj = json.loads(tiny.to_str())
    assert tiny.get_vocab_size(with_added_tokens=True) == 384, tiny.get_vocab_size(True)
    assert [tiny.token_to_id(t) for t in BASE_SPECIALS] == [0, 1, 2]
    out = os.path.join(root, "test", "golden", "dense", "model")
    write_json(os.path.join(out, "tokenizer.json"), tj)
    # Its chat template: the published Nemotron Nano v2 one (a test fixture
    # of the chat-template tests), so nhc-run --chat and nhc-serve's chat
    # endpoint run the real template on the tiny model.
    template_path = os.path.join(root, "runtime", "text", "chat_template",
                                 "test", "data", "templates",
                                 "nvidia-nemotron-nano-v2.jinja")
    with open(template_path, encoding="utf-8") as f:
        tiny_template = f.read()
    write_json(os.path.join(out, "tokenizer_config.json"),
               config_for(tj, tiny_template))
    register_in_golden_manifest(os.path.join(root, "test", "golden", "dense"),
                                ["model/tokenizer.json",
                                 "model/tokenizer_config.json"])

    # 2. ~2000 ids, merges as "a b" strings, more kinds of added tokens.
    big = build(root, 1990, "sequence")
    big.add_tokens([
        AddedToken("[MASK]", special=False, lstrip=True, normalized=False),
        AddedToken("<|rs|>", special=False, rstrip=True, normalized=False),
        AddedToken("dog", special=False, single_word=True, normalized=False),
        AddedToken("<|norm|>", special=False, normalized=True),
        AddedToken("数据", special=False, normalized=False),
        AddedToken("<|both|>", special=True, lstrip=True, rstrip=True, normalized=False),
    ])
    bj = json.loads(big.to_str())
    bj["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in bj["model"]["merges"]]
    chat = [
        {"name": "default", "template": "{% for m in messages %}<SPECIAL_11>{{ m['role'] }}\n{{ m['content'] }}\n{% endfor %}"},
        {"name": "tool_use", "template": "{{ tools }}"},
    ]
    d = os.path.join(root, "runtime", "text", "tokenizer", "test", "data", "bpe2k")
    write_json(os.path.join(d, "tokenizer.json"), bj)
    write_json(os.path.join(d, "tokenizer_config.json"), config_for(bj, chat, bos_as_dict=True))

    # 3. ignore_merges: true, with whole words the merges do not build.
    ij = json.loads(big.to_str())
    ij["model"]["ignore_merges"] = True
    vocab = ij["model"]["vocab"]
    # tokenizers numbers added tokens that are not in the model vocabulary
    # from len(vocab) on when it loads a file, whatever ids the file gives.
    next_id = len(vocab)
    bl = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    for word in [" Fußgängerübergänge", " quick", " Съешь", "世界", " technologist", "123", "Hello"]:
        pieces = bl.pre_tokenize_str(word)
        form = "".join(p for p, _ in pieces)
        if form not in vocab:
            vocab[form] = next_id
            next_id += 1
    # The added tokens follow the model vocabulary: renumber them after it.
    for t in ij["added_tokens"]:
        if t["content"] not in vocab:
            t["id"] = next_id
            next_id += 1
    tmp = Tokenizer.from_str(json.dumps(ij))
    for t in ij["added_tokens"]:
        assert tmp.token_to_id(t["content"]) == t["id"], t
    d = os.path.join(root, "runtime", "text", "tokenizer", "test", "data", "bpe2k_ignore_merges")
    write_json(os.path.join(d, "tokenizer.json"), ij)
    write_json(os.path.join(d, "tokenizer_config.json"), config_for(ij, "{{ bos_token }}{{ messages[0]['content'] }}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
