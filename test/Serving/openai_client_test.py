"""nhc-serve against the `openai` Python client, on the bundled tiny model.

    python openai_client_test.py --serve BIN/nhc-serve \
        --run BIN/nhc-run --artifact dense.nhc --weights test/golden/dense/model

What it checks (issue 13): completions and chat completions, streaming and
not, give the text nhc-run gives for the same prompt; 16 concurrent clients
each get exactly the greedy text they get alone; a client that disconnects
mid-stream frees its slot; a full server answers 503; malformed JSON, wrong
types, unknown models, oversized bodies and over-long prompts get 4xx with a
message while the server keeps serving. Since 2026-12-06 also: logprobs and
echo's prompt logprobs against nhc-run's dumped logits, logit_bias, the
penalties, min_p, stop_token_ids, min_tokens, include_stop_str_in_output,
several prompts and n choices.
"""
import argparse
import concurrent.futures
import functools
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

import jinja2
import jinja2.ext
import jinja2.sandbox
import openai
import tokenizers

from serve_fixture import Server

ARGS = None
PROMPTS = [
    "The quick brown fox",
    "Once upon a time",
    "def fibonacci(n):",
    "Привет, мир",
    "1 2 3 4 5",
    "Nemotron-H is a hybrid",
    "   leading spaces",
    "emoji 🙂 and more",
    "a",
    "The capital of France is",
    "SELECT * FROM",
    "\tTabs\tand\nnewlines",
    "Zebra",
    "x = [i for i in range(10)]",
    "Ünïcödé",
    "hello world hello world",
]


def nhc_run(*args):
    """The generated text of nhc-run (text mode), without the final newline."""
    out = subprocess.run([ARGS.run, ARGS.artifact, "--weights", ARGS.weights,
                          *args], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"nhc-run failed: {out.stderr}")
    assert out.stdout.endswith("\n"), out.stdout
    return out.stdout[:-1]


def dumped_logprobs(prompt_ids, steps, dump_flag):
    """log_softmax (in Python floats) of the logits nhc-run dumps with
    `dump_flag` (--dump-logits: each generated step's; --dump-prompt-logits:
    each prompt position's, row q predicting token q + 1) for greedy
    decoding of `prompt_ids`; and the dump's description."""
    tmp = tempfile.mkdtemp(prefix="nhc-serve-test-")
    try:
        path = os.path.join(tmp, "logits.bin")
        out = subprocess.run(
            [ARGS.run, ARGS.artifact, "--weights", ARGS.weights,
             "--prompt-ids", ",".join(map(str, prompt_ids)),
             "--max-new-tokens", str(steps), dump_flag, path],
            capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError(f"nhc-run failed: {out.stderr}")
        with open(path + ".json") as f:
            meta = json.load(f)
        with open(path, "rb") as f:
            data = f.read()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    count, vocab = meta["shape"]
    return [log_softmax(struct.unpack_from(f"<{vocab}f", data, r * vocab * 4))
            for r in range(count)], meta


def model_logprobs(prompt_ids, steps):
    """Each generated step's log_softmax over the vocabulary, and the ids
    nhc-run generated."""
    rows, meta = dumped_logprobs(prompt_ids, steps, "--dump-logits")
    return rows, meta["generated_ids"]


def prompt_logprobs_reference(prompt_ids):
    """Every prompt position's log_softmax: row q predicts token q + 1."""
    return dumped_logprobs(prompt_ids, 1, "--dump-prompt-logits")[0]


def log_softmax(row):
    top = max(row)
    log_sum = math.log(sum(math.exp(x - top) for x in row))
    return [x - top - log_sum for x in row]


def reference_prompt_ids(messages):
    """The ids transformers' apply_chat_template gives: the template rendered
    by jinja2 as transformers configures it, tokenized without adding
    special tokens (Python `tokenizers` and `jinja2`, not nhc)."""
    with open(os.path.join(ARGS.weights, "tokenizer_config.json")) as f:
        config = json.load(f)
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[jinja2.ext.loopcontrols])
    text = env.from_string(config["chat_template"]).render(
        messages=messages, tools=None, documents=None,
        add_generation_prompt=True, bos_token=config["bos_token"],
        eos_token=config["eos_token"])
    tokenizer = tokenizers.Tokenizer.from_file(
        os.path.join(ARGS.weights, "tokenizer.json"))
    return tokenizer.encode(text, add_special_tokens=False).ids


def reference_completion_ids(prompt):
    tokenizer = tokenizers.Tokenizer.from_file(
        os.path.join(ARGS.weights, "tokenizer.json"))
    return tokenizer.encode(prompt).ids


@functools.lru_cache(maxsize=None)
def hold_the_slot(server):
    """A client and a streamed request that runs for seconds on `server`,
    its first chunk read: the request holds a slot."""
    client = openai.OpenAI(base_url=server.base_url, api_key="x",
                           max_retries=0, timeout=60)
    stream = client.completions.create(
        model="tiny", prompt="long", max_tokens=50000, temperature=0,
        stream=True, extra_body={"ignore_eos": True})
    chunks = iter(stream)
    next(chunks)
    return client, stream, chunks


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def post_raw(server, path, body, content_type="application/json"):
    request = urllib.request.Request(server.url + path, data=body,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def raw_exchange(url, request, timeout=30):
    """Sends raw bytes, reads until the server closes; returns (seconds,
    status, the JSON error message or the body)."""
    host, port = url[len("http://"):].split(":")
    start = time.monotonic()
    data = b""
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    seconds = time.monotonic() - start
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else None
    try:
        body = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        pass
    return seconds, status, body


class ServingTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        # 4 slots for 16 clients: requests queue; a small step budget makes
        # prompt chunks and decodes share steps.
        cls.server = Server(ARGS.serve, ARGS.artifact, ARGS.weights,
                            "--max-slots", "4", "--step-tokens", "7")
        cls.client = openai.OpenAI(base_url=cls.server.base_url, api_key="x",
                                   max_retries=0, timeout=120)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, f"nhc-serve exited with {code} on SIGTERM"

    def complete(self, prompt, max_tokens=12, stream=False, **extra):
        """(text, finish_reason, usage, generated ids, prompt ids), the ids
        through vLLM's return_token_ids extension."""
        body = {"return_token_ids": True, **extra.pop("extra_body", {})}
        if not stream:
            r = self.client.completions.create(
                model="tiny", prompt=prompt, max_tokens=max_tokens,
                temperature=0, extra_body=body, **extra)
            c = r.choices[0]
            return (c.text, c.finish_reason, r.usage, c.token_ids,
                    r.prompt_token_ids)
        text, finish, usage, ids, prompt_ids = "", None, None, [], None
        for chunk in self.client.completions.create(
                model="tiny", prompt=prompt, max_tokens=max_tokens,
                temperature=0, stream=True, extra_body=body,
                stream_options={"include_usage": True}, **extra):
            if chunk.usage:
                usage = chunk.usage
            prompt_ids = getattr(chunk, "prompt_token_ids", None) or prompt_ids
            for choice in chunk.choices:
                text += choice.text
                ids += choice.token_ids
                finish = choice.finish_reason or finish
        return text, finish, usage, ids, prompt_ids

    def raw_http(self, request):
        """Sends raw bytes; returns the response's status code."""
        host, port = self.server.url[len("http://"):].split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(request)
            status = sock.recv(4096).split(b" ", 2)[1]
        return int(status)

    def test_health_models_metrics(self):
        status, body = self.server.get("/health")
        self.assertEqual(status, 200)
        models = self.client.models.list()
        self.assertEqual([m.id for m in models.data], ["tiny"])
        for sample in ("nhc_slots_total", "nhc_queue_depth",
                       "nhc_slots_in_use", "nhc_generation_tokens_total",
                       "nhc_step_duration_seconds_count"):
            self.server.metric(sample)
        self.assertEqual(self.server.metric("nhc_slots_total"), 4)

    def test_completion_matches_nhc_run(self):
        for prompt in PROMPTS[:4]:
            text, finish, usage, ids, prompt_ids = self.complete(prompt)
            self.assertEqual(prompt_ids, reference_completion_ids(prompt))
            self.assertEqual(len(ids), usage.completion_tokens)
            expected = nhc_run("--prompt", prompt, "--max-new-tokens", "12")
            self.assertEqual(text, expected, prompt)
            self.assertIn(finish, ("stop", "length"))
            self.assertEqual(usage.prompt_tokens,
                             len(reference_completion_ids(prompt)))
            self.assertEqual(usage.total_tokens,
                             usage.prompt_tokens + usage.completion_tokens)
            if finish == "length":
                self.assertEqual(usage.completion_tokens, 12)

    def test_streaming_equals_non_streaming(self):
        for prompt in PROMPTS[4:8]:
            whole = self.complete(prompt, max_tokens=20)
            streamed = self.complete(prompt, max_tokens=20, stream=True)
            self.assertEqual(streamed[0], whole[0], prompt)
            self.assertEqual(streamed[1], whole[1])
            self.assertEqual(streamed[2].completion_tokens,
                             whole[2].completion_tokens)
            self.assertEqual(streamed[3], whole[3])
            self.assertEqual(streamed[4], whole[4])

    def test_chat(self):
        messages = [{"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hello there"}]
        r = self.client.chat.completions.create(
            model="tiny", messages=messages, max_tokens=10, temperature=0,
            extra_body={"return_token_ids": True})
        text = r.choices[0].message.content
        self.assertEqual(r.choices[0].message.role, "assistant")
        self.assertEqual(r.prompt_token_ids, reference_prompt_ids(messages))
        expected = nhc_run("--chat", "Hello there", "--system", "Be brief.",
                           "--max-new-tokens", "10")
        self.assertEqual(text, expected)
        streamed, roles = "", []
        for chunk in self.client.chat.completions.create(
                model="tiny", messages=messages, max_tokens=10,
                temperature=0, stream=True):
            for choice in chunk.choices:
                if choice.delta.role:
                    roles.append(choice.delta.role)
                streamed += choice.delta.content or ""
        self.assertEqual(streamed, text)
        self.assertEqual(roles, ["assistant"])

    def test_stop_strings_and_seeded_sampling(self):
        text = self.complete(PROMPTS[0], max_tokens=30)[0]
        self.assertGreater(len(text), 4, "greedy text to cut")
        stop = text[2:4]
        cut, finish = self.complete(PROMPTS[0], max_tokens=30,
                                    stop=[stop])[:2]
        self.assertEqual(cut, text[:text.index(stop)])
        self.assertEqual(finish, "stop")
        sampled = [self.client.completions.create(
            model="tiny", prompt=PROMPTS[1], max_tokens=16, temperature=0.9,
            top_p=0.9, seed=1234).choices[0].text for _ in range(2)]
        self.assertEqual(sampled[0], sampled[1], "same seed, same text")
        # A nucleus below float's smallest normal keeps the top token: the
        # greedy text (it does not round to a top_p of 0, which is refused).
        greedy = self.complete(PROMPTS[1], max_tokens=16)[0]
        tiny = self.client.completions.create(
            model="tiny", prompt=PROMPTS[1], max_tokens=16, temperature=1.0,
            top_p=1e-300, seed=7).choices[0].text
        self.assertEqual(tiny, greedy)

    def test_logprobs_are_the_models_distribution(self):
        """Completions' `logprobs: N` and chat's `logprobs` with
        `top_logprobs: N`: each generated token's log probability under the
        model's logits (nhc-run's dumped logits, normalized here) and the N
        most likely tokens, named as the Python tokenizer decodes them; the
        same streamed and not; asking for them changes no token."""
        tok = tokenizers.Tokenizer.from_file(
            os.path.join(ARGS.weights, "tokenizer.json"))
        plain = self.complete(PROMPTS[9], max_tokens=6)
        r = self.client.completions.create(
            model="tiny", prompt=PROMPTS[9], max_tokens=6, temperature=0,
            logprobs=3, extra_body={"return_token_ids": True})
        c = r.choices[0]
        self.assertEqual(c.token_ids, plain[3])
        self.assertEqual(c.text, plain[0])
        rows, generated = model_logprobs(r.prompt_token_ids, 6)
        self.assertEqual(generated[:len(c.token_ids)], c.token_ids)
        lp = c.logprobs
        self.assertEqual(len(lp.tokens), len(c.token_ids))
        offset = 0
        for i, token_id in enumerate(c.token_ids):
            name = tok.decode([token_id], skip_special_tokens=False)
            self.assertEqual(lp.tokens[i], name)
            self.assertAlmostEqual(lp.token_logprobs[i], rows[i][token_id],
                                   places=4)
            self.assertEqual(lp.text_offset[i], offset)
            offset += len(name)
            best = sorted(range(len(rows[i])), key=lambda t: -rows[i][t])[:3]
            expected = {name: rows[i][token_id]}
            for t in best:
                expected.setdefault(
                    tok.decode([t], skip_special_tokens=False), rows[i][t])
            self.assertEqual(set(lp.top_logprobs[i]), set(expected))
            for key, value in expected.items():
                self.assertAlmostEqual(lp.top_logprobs[i][key], value, places=4)
        streamed = []
        for chunk in self.client.completions.create(
                model="tiny", prompt=PROMPTS[9], max_tokens=6, temperature=0,
                logprobs=3, stream=True):
            for choice in chunk.choices:
                if choice.logprobs:
                    streamed += list(zip(choice.logprobs.tokens,
                                         choice.logprobs.token_logprobs,
                                         choice.logprobs.text_offset))
        self.assertEqual(streamed, list(zip(lp.tokens, lp.token_logprobs,
                                            lp.text_offset)))
        # Chat: {"content": [{token, logprob, bytes, top_logprobs}]}.
        messages = [{"role": "user", "content": "Hello there"}]
        r = self.client.chat.completions.create(
            model="tiny", messages=messages, max_tokens=5, temperature=0,
            logprobs=True, top_logprobs=2,
            extra_body={"return_token_ids": True})
        c = r.choices[0]
        rows, _ = model_logprobs(r.prompt_token_ids, 5)
        self.assertEqual(len(c.logprobs.content), len(c.token_ids))
        for i, (entry, token_id) in enumerate(zip(c.logprobs.content,
                                                  c.token_ids)):
            self.assertEqual(entry.token,
                             tok.decode([token_id], skip_special_tokens=False))
            self.assertAlmostEqual(entry.logprob, rows[i][token_id], places=4)
            self.assertEqual(bytes(entry.bytes).decode("utf-8", "replace"),
                             entry.token)
            best = sorted(range(len(rows[i])), key=lambda t: -rows[i][t])[:2]
            self.assertEqual([e.token for e in entry.top_logprobs],
                             [tok.decode([t], skip_special_tokens=False)
                              for t in best])
        streamed = []
        for chunk in self.client.chat.completions.create(
                model="tiny", messages=messages, max_tokens=5, temperature=0,
                logprobs=True, top_logprobs=2, stream=True):
            for choice in chunk.choices:
                if choice.logprobs:
                    streamed += [(e.token, e.logprob)
                                 for e in choice.logprobs.content]
        self.assertEqual(streamed, [(e.token, e.logprob)
                                    for e in c.logprobs.content])

    def test_echo_gives_the_prompts_logprobs(self):
        """Completions' echo with logprobs, as lm-evaluation-harness asks for
        a loglikelihood: the prompt's text first, its tokens' logprobs (the
        first null) from the logits of the positions before them (nhc-run's
        --dump-prompt-logits, normalized here), then the generated token's;
        max_tokens 0 gives the prompt alone; streamed, the first chunk."""
        tok = tokenizers.Tokenizer.from_file(
            os.path.join(ARGS.weights, "tokenizer.json"))
        prompt = PROMPTS[5]
        r = self.client.completions.create(
            model="tiny", prompt=prompt, max_tokens=1, temperature=0,
            logprobs=1, echo=True, extra_body={"return_token_ids": True})
        c = r.choices[0]
        ids = r.prompt_token_ids
        self.assertTrue(c.text.startswith(prompt), c.text)
        lp = c.logprobs
        self.assertEqual(len(lp.tokens), len(ids) + len(c.token_ids))
        self.assertIsNone(lp.token_logprobs[0])
        self.assertIsNone(lp.top_logprobs[0])
        rows = prompt_logprobs_reference(ids)
        for q in range(1, len(ids)):
            self.assertEqual(lp.tokens[q],
                             tok.decode([ids[q]], skip_special_tokens=False))
            self.assertAlmostEqual(lp.token_logprobs[q], rows[q - 1][ids[q]],
                                   places=4)
            best = max(range(len(rows[q - 1])), key=lambda t: rows[q - 1][t])
            self.assertIn(tok.decode([best], skip_special_tokens=False),
                          lp.top_logprobs[q])
        # The generated token's entry follows, as without echo (up to the
        # rounding of another logits head: every position's, not the last).
        plain = self.client.completions.create(
            model="tiny", prompt=prompt, max_tokens=1, temperature=0,
            logprobs=1)
        self.assertEqual(len(lp.token_logprobs), len(ids) + 1)
        self.assertAlmostEqual(lp.token_logprobs[-1],
                               plain.choices[0].logprobs.token_logprobs[0],
                               places=5)
        self.assertEqual(c.text, prompt + plain.choices[0].text)
        # max_tokens 0: the prompt alone, with or without logprobs.
        only = self.client.completions.create(
            model="tiny", prompt=prompt, max_tokens=0, temperature=0,
            logprobs=1, echo=True)
        self.assertEqual(only.choices[0].text, prompt)
        self.assertEqual(only.choices[0].logprobs.token_logprobs,
                         lp.token_logprobs[:len(ids)])
        self.assertEqual(only.usage.completion_tokens, 0)
        # Answered without the engine, still checked as it checks ids.
        code, reply = post_raw(self.server, "/v1/completions", json.dumps(
            {"model": "tiny", "prompt": [1, 10 ** 6], "max_tokens": 0,
             "echo": True}).encode())
        self.assertEqual(code, 400, reply)
        self.assertEqual(json.loads(reply)["error"]["param"], "prompt")
        bare = self.client.completions.create(
            model="tiny", prompt=prompt, max_tokens=0, echo=True)
        self.assertEqual(bare.choices[0].text, prompt)
        self.assertIsNone(bare.choices[0].logprobs)
        self.assertEqual(bare.choices[0].finish_reason, "length")
        self.assertEqual(bare.usage.prompt_tokens, len(ids))
        text, finish = "", None
        for chunk in self.client.completions.create(
                model="tiny", prompt=prompt, max_tokens=0, echo=True,
                stream=True):
            for choice in chunk.choices:
                text += choice.text
                finish = choice.finish_reason or finish
        self.assertEqual((text, finish), (prompt, "length"))
        streamed_text, streamed = "", []
        for chunk in self.client.completions.create(
                model="tiny", prompt=prompt, max_tokens=1, temperature=0,
                logprobs=1, echo=True, stream=True):
            for choice in chunk.choices:
                streamed_text += choice.text
                if choice.logprobs:
                    streamed += choice.logprobs.token_logprobs
        self.assertEqual(streamed_text, c.text)
        self.assertEqual(streamed, lp.token_logprobs)

    def test_several_prompts_and_n_choices(self):
        """A list of prompts and `n` give a choice each (prompt by prompt, n
        apiece), each what it would be alone: the i-th of n sampled with the
        seed plus i; usage counts each prompt once; streamed, the chunks of
        each index make the same choices."""
        r = self.client.completions.create(
            model="tiny", prompt=PROMPTS[2:4], max_tokens=6, temperature=0,
            extra_body={"return_token_ids": True})
        self.assertEqual([c.index for c in r.choices], [0, 1])
        for c, prompt in zip(r.choices, PROMPTS[2:4]):
            alone = self.complete(prompt, max_tokens=6)
            self.assertEqual((c.text, c.token_ids), (alone[0], alone[3]))
            self.assertEqual(c.prompt_token_ids, alone[4])
        self.assertEqual(r.usage.prompt_tokens,
                         sum(len(c.prompt_token_ids) for c in r.choices))
        sampled = dict(model="tiny", prompt=PROMPTS[1], max_tokens=8,
                       temperature=1.0)
        shared = self.server.metric("nhc_prompt_tokens_shared_total")
        r = self.client.completions.create(n=3, seed=40, **sampled)
        texts = [c.text for c in r.choices]
        # The first choice prefilled the prompt, the other two forked it.
        self.assertEqual(
            self.server.metric("nhc_prompt_tokens_shared_total") - shared,
            2 * r.usage.prompt_tokens)
        self.assertEqual(len(set(texts)), 3, texts)
        for i, text in enumerate(texts):
            alone = self.client.completions.create(seed=40 + i, **sampled)
            self.assertEqual(text, alone.choices[0].text)
        self.assertEqual(r.usage.completion_tokens, 24)
        streamed = {}
        for chunk in self.client.completions.create(
                n=3, seed=40, stream=True, **sampled):
            for c in chunk.choices:
                streamed[c.index] = streamed.get(c.index, "") + c.text
        self.assertEqual([streamed[i] for i in range(3)], texts)
        # Chat: n choices of one prompt, streamed and not.
        messages = [{"role": "user", "content": "Hello there"}]
        r = self.client.chat.completions.create(
            model="tiny", messages=messages, max_tokens=6, temperature=1.0,
            seed=3, n=2)
        replies = [c.message.content for c in r.choices]
        streamed, roles = {}, {}
        for chunk in self.client.chat.completions.create(
                model="tiny", messages=messages, max_tokens=6,
                temperature=1.0, seed=3, n=2, stream=True):
            for c in chunk.choices:
                streamed[c.index] = (streamed.get(c.index, "")
                                     + (c.delta.content or ""))
                if c.delta.role:
                    roles[c.index] = roles.get(c.index, 0) + 1
        self.assertEqual([streamed[0], streamed[1]], replies)
        self.assertEqual(roles, {0: 1, 1: 1})
        # Bounds, and a bad prompt named by its place.
        for body, param, needle in (
                ({"prompt": "hi", "n": 129}, "n", "at most 128"),
                # More than the slots and the queue hold: never servable,
                # so 400, not 503.
                ({"prompt": "hi", "n": 100}, "n",
                 "more than this server holds"),
                ({"prompt": ["a"] * 100}, "prompt",
                 "more than this server holds"),
                ({"prompt": ["a"] * 65, "n": 2}, "n", "128 choices"),
                ({"prompt": ["a", 5]}, "prompt[1]", "must be a string"),
                ({"prompt": ["a", []]}, "prompt[1]", "an empty array"),
                ({"prompt": [[1, 2], [3, -1]]}, "prompt[1][1]",
                 "must be a token id"),
                ({"prompt": ["a", [1, 10 ** 6]]}, "prompt[1]",
                 "outside the vocabulary")):
            code, reply = post_raw(self.server, "/v1/completions", json.dumps(
                {"model": "tiny", "max_tokens": 2, **body}).encode())
            self.assertEqual(code, 400, (body, reply))
            error = json.loads(reply)["error"]
            self.assertEqual(error["param"], param, (body, reply))
            self.assertIn(needle, error["message"], (body, reply))

    def test_biases_penalties_and_stop_options(self):
        """logit_bias, frequency/presence/repetition penalties, min_p,
        stop_token_ids, min_tokens and include_stop_str_in_output, as vLLM
        serves them."""
        _, _, _, greedy, prompt_ids = self.complete(PROMPTS[15], max_tokens=12)
        self.assertEqual(len(greedy), 12, "a greedy run to compare with")
        # A +100 bias makes one token the argmax at every step.
        forced = greedy[0] + 1
        ids = self.complete(PROMPTS[15], max_tokens=4,
                            logit_bias={str(forced): 100})[3]
        self.assertEqual(ids, [forced] * 4)
        # Keys as Python's int() reads them: leading zeros too.
        ids = self.complete(PROMPTS[15], max_tokens=2,
                            logit_bias={"000" + str(forced): 100})[3]
        self.assertEqual(ids, [forced] * 2)
        # Penalties change a repetitive greedy run (and are seeded-free).
        self.assertGreater(len(greedy), len(set(greedy)), "repeats to penalize")
        penalized = self.complete(PROMPTS[15], max_tokens=12,
                                  frequency_penalty=2.0,
                                  presence_penalty=2.0)[3]
        self.assertNotEqual(penalized, greedy)
        self.assertGreater(len(set(penalized)), len(set(greedy)))
        repeated = self.complete(PROMPTS[15], max_tokens=12, extra_body={
            "repetition_penalty": 3.0, "return_token_ids": True})[3]
        self.assertNotEqual(repeated, greedy)
        # min_p 1 keeps the most likely token alone: the greedy ids.
        r = self.client.completions.create(
            model="tiny", prompt=PROMPTS[15], max_tokens=12, temperature=1.5,
            seed=5, extra_body={"min_p": 1.0, "return_token_ids": True})
        self.assertEqual(r.choices[0].token_ids, greedy)
        # A request's stop id ends it (counted, not shown).
        stop_id = greedy[2]
        text, finish, usage, ids, _ = self.complete(
            PROMPTS[15], max_tokens=12, extra_body={
                "stop_token_ids": [stop_id], "return_token_ids": True})
        self.assertEqual(ids, greedy[:greedy.index(stop_id) + 1])
        self.assertEqual(finish, "stop")
        # min_tokens holds it off: no stop id among the first tokens.
        ids = self.complete(PROMPTS[15], max_tokens=12, extra_body={
            "stop_token_ids": [greedy[0]], "min_tokens": 3,
            "return_token_ids": True})[3]
        self.assertGreaterEqual(len(ids), 3)
        self.assertNotIn(greedy[0], ids[:3])
        # include_stop_str_in_output keeps the stop string.
        text = self.complete(PROMPTS[0], max_tokens=30)[0]
        stop = text[2:4]
        cut = self.complete(PROMPTS[0], max_tokens=30, stop=[stop],
                            extra_body={"include_stop_str_in_output": True,
                                        "return_token_ids": True})[0]
        self.assertEqual(cut, text[:text.index(stop) + len(stop)])
        # Their bad values are 400 naming the field.
        completion = {"model": "tiny", "prompt": "hi", "max_tokens": 2}
        chat = {"model": "tiny", "max_tokens": 2,
                "messages": [{"role": "user", "content": "hi"}]}
        for path, body, param, needle in (
                ("/v1/completions", {"logit_bias": {"x": 1}}, "logit_bias",
                 "keys must be token ids"),
                ("/v1/completions", {"logit_bias": {"5": 500}},
                 'logit_bias["5"]', "[-100, 100]"),
                ("/v1/completions", {"logit_bias": {"999999": 1}},
                 "logit_bias", "outside the vocabulary"),
                ("/v1/completions", {"logprobs": 21}, "logprobs", "at most 20"),
                ("/v1/completions", {"logprobs": 2, "top_logprobs": 2},
                 "top_logprobs", "chat completions field"),
                ("/v1/chat/completions", {"top_logprobs": 2}, "top_logprobs",
                 '"logprobs": true'),
                ("/v1/chat/completions", {"logprobs": 3}, "logprobs",
                 "true or false"),
                ("/v1/completions", {"min_tokens": 3}, "min_tokens",
                 "more than max_tokens"),
                ("/v1/completions", {"stop_token_ids": [10 ** 6]},
                 "stop_token_ids", "outside the vocabulary"),
                ("/v1/completions", {"frequency_penalty": 2.5},
                 "frequency_penalty", "[-2.0, 2.0]"),
                ("/v1/completions", {"repetition_penalty": 0},
                 "repetition_penalty", "float32's normal range"),
                # Subnormal: it would divide a positive logit to +inf.
                ("/v1/completions", {"repetition_penalty": 1e-45},
                 "repetition_penalty", "float32's normal range"),
                ("/v1/completions", {"max_tokens": 2,
                                     "max_completion_tokens": 5},
                 "max_completion_tokens", "but max_tokens is 2"),
                ("/v1/completions", {"stream": True, "stream_options":
                                     {"include_usage": 1}},
                 "stream_options.include_usage", "true or false"),
                ("/v1/completions", {"min_p": 1.5}, "min_p", "[0.0, 1.0]"),
                # Objects keep their keys' order, found by a linear search:
                # their size is bounded, so is the parse.
                ("/v1/completions",
                 {"logit_bias": {str(i): 1 for i in range(5000)}}, None,
                 "an object with more than 4096 keys"),
                ("/v1/completions",
                 {"metadata": [{f"k{i}": 1 for i in range(4000)}] * 17},
                 None, "more than 65536 keys in all")):
            base = chat if path.endswith("chat/completions") else completion
            code, reply = post_raw(self.server, path, json.dumps(
                {**base, **body}).encode())
            self.assertEqual(code, 400, (body, reply))
            error = json.loads(reply)["error"]
            self.assertEqual(error["param"], param, (body, reply))
            self.assertIn(needle, error["message"], (body, reply))

    def test_continuous_usage_stats(self):
        """stream_options.continuous_usage_stats (vLLM's) puts the usage so
        far in every chunk; the last usage chunk keeps the total."""
        alone = self.complete(PROMPTS[3], max_tokens=8)
        seen = []
        for chunk in self.client.completions.create(
                model="tiny", prompt=PROMPTS[3], max_tokens=8, temperature=0,
                stream=True, stream_options={"include_usage": True,
                                             "continuous_usage_stats": True}):
            self.assertIsNotNone(chunk.usage, chunk)
            seen.append(chunk.usage.completion_tokens)
            self.assertEqual(chunk.usage.prompt_tokens,
                             alone[2].prompt_tokens)
        self.assertEqual(seen, sorted(seen))
        self.assertEqual(seen[-1], alone[2].completion_tokens)
        self.assertGreater(len(seen), 2)
        # With n = 2 each chunk counts its own choice's tokens (vLLM's).
        counts = {0: [], 1: []}
        for chunk in self.client.completions.create(
                model="tiny", prompt=PROMPTS[3], max_tokens=5, temperature=0,
                n=2, stream=True, stream_options={
                    "include_usage": True, "continuous_usage_stats": True}):
            for choice in chunk.choices:
                counts[choice.index].append(chunk.usage.completion_tokens)
        for index, seen in counts.items():
            self.assertEqual(seen, sorted(seen), index)
            self.assertEqual(seen[-1], 5, index)
        # Without include_usage it asks for nothing.
        for chunk in self.client.completions.create(
                model="tiny", prompt=PROMPTS[3], max_tokens=4, temperature=0,
                stream=True, stream_options={"continuous_usage_stats": True}):
            self.assertIsNone(chunk.usage, chunk)

    def test_16_concurrent_clients_match_alone(self):
        alone = {p: self.complete(p, max_tokens=16) for p in PROMPTS}

        def one(index):
            prompt = PROMPTS[index]
            return prompt, self.complete(prompt, max_tokens=16,
                                         stream=index % 2 == 0)

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, range(16)))
        for prompt, (text, finish, usage, ids, _) in results:
            self.assertEqual(ids, alone[prompt][3], prompt)
            self.assertEqual(text, alone[prompt][0], prompt)
            self.assertEqual(finish, alone[prompt][1], prompt)
            self.assertEqual(usage.completion_tokens,
                             alone[prompt][2].completion_tokens, prompt)

    def test_bad_requests_get_4xx_and_server_keeps_serving(self):
        cases = [
            (b"{not json", 400, "not valid JSON"),
            (b"[1, 2]", 400, "JSON object"),
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "max_tokens": "many"}).encode(), 400, "max_tokens"),
            (json.dumps({"model": "tiny", "prompt": 5}).encode(), 400,
             "prompt"),
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "temperature": -1}).encode(), 400, "temperature"),
            (json.dumps({"model": "tiny", "prompt": "hi", "n": 0}).encode(),
             400, "'n'"),
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "top_p": 0}).encode(), 400, "must be in (0.0, 1.0]"),
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "top_p": 1.0000001}).encode(), 400,
             "must be in (0.0, 1.0]"),
            (json.dumps({"model": "tiny", "prompt": [999999]}).encode(), 400,
             "vocabulary"),
            # Past 64 bits the literal reads as a float: the range is said.
            (b'{"model": "tiny", "prompt": "hi", '
             b'"seed": -9223372036854775809}', 400,
             "'seed' must be an integer in [-9223372036854775808, "
             "9223372036854775807]"),
            (json.dumps({"model": "nope", "prompt": "hi"}).encode(), 404,
             "nope"),
            (json.dumps({"model": "tiny", "prompt": "word " * 400}).encode(),
             400, "max_seq_len"),
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "max_tokens": 100000}).encode(), 400, "max_seq_len"),
            (b"{\"prompt\": \"" + b"a" * (5 << 20) + b"\"}", 413,
             "larger than"),
            (b"[" * 100000, 400, "levels deep"),
            (b"{\"prompt\": \"\xff\xfe\"}", 400, "not valid JSON"),
            # A NUL after the object (nlohmann stops at it) or in a string.
            (b"{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 2}\x00",
             400, "a NUL byte at byte 49"),
            (b"{\"prompt\": \"a\x00b\"}", 400, "a NUL byte at byte 13"),
            (b"{\"prompt\": \"hi\", \"temperature\": 1e400}", 400,
             "a number beyond double range ('1e400' at byte 32)"),
            # An empty stop string would match at once (vLLM refuses it).
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "stop": ""}).encode(), 400,
             "'stop' must not be empty"),
            (json.dumps({"model": "tiny", "prompt": "hi",
                         "stop": ["x", ""]}).encode(), 400,
             "'stop[1]' must not be empty"),
        ]
        for body, status, needle in cases:
            code, text = post_raw(self.server, "/v1/completions", body)
            self.assertEqual(code, status, (body[:80], text))
            error = json.loads(text)["error"]
            self.assertIn(needle, error["message"], body[:80])
        # Reserved template variables cannot be overridden.
        code, text = post_raw(self.server, "/v1/chat/completions",
                              json.dumps({"messages": [{"role": "user",
                                                        "content": "x"}],
                                          "chat_template_kwargs": {
                                              "messages": []}}).encode())
        self.assertEqual(code, 400)
        self.assertIn("'messages' is set by the request",
                      json.loads(text)["error"]["message"])
        # Unbounded bodies are refused before they are read.
        self.assertEqual(self.raw_http(
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            411)
        self.assertEqual(self.raw_http(
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd"),
            415)
        self.assertEqual(self.raw_http(
            b"GET /%0Afake_metric%201 HTTP/1.1\r\nHost: x\r\n\r\n"), 404)
        _, metrics = self.server.get("/metrics")
        self.assertNotIn("\nfake_metric", metrics)
        self.assertIn('route="other",code="404"', metrics)
        code, text = post_raw(self.server, "/v1/chat/completions",
                              json.dumps({"model": "tiny",
                                          "messages": [{"role": "pirate",
                                                        "content": "x"}]}
                                         ).encode())
        self.assertEqual(code, 400)
        self.assertIn("messages[0].role", json.loads(text)["error"]["message"])
        with self.assertRaises(openai.NotFoundError):
            self.client.completions.create(model="other", prompt="hi")
        with self.assertRaises(openai.BadRequestError):
            self.client.completions.create(model="tiny", prompt="hi",
                                           max_tokens=0)
        # Still serving.
        text = self.complete(PROMPTS[0])[0]
        self.assertEqual(text, nhc_run("--prompt", PROMPTS[0],
                                       "--max-new-tokens", "12"))


    def test_oversized_text_is_refused_naming_its_field(self):
        """Text that cannot fit max_seq_len is 400 before it is tokenized:
        a prompt is named as 'prompt'; a chat body as the chat request,
        since its tools and documents are rendered into the prompt too."""
        big = "a" * 40000
        code, text = post_raw(self.server, "/v1/completions", json.dumps(
            {"model": "tiny", "prompt": big}).encode())
        self.assertEqual(code, 400, text)
        error = json.loads(text)["error"]
        self.assertEqual(error["param"], "prompt")
        self.assertIn("'prompt' is 40000 bytes, far more than", error["message"])
        code, text = post_raw(self.server, "/v1/chat/completions", json.dumps(
            {"model": "tiny", "messages": [{"role": "user", "content": "hi"}],
             "tools": [{"type": "function", "function": {
                 "name": "f", "description": big}}]}).encode())
        self.assertEqual(code, 400, text)
        error = json.loads(text)["error"]
        self.assertIsNone(error["param"])
        self.assertRegex(error["message"],
                         r"^the chat request is \d+ bytes, far more than")

    def test_engine_refusals_name_their_parameter(self):
        """Requests the engine refuses (a token id outside the vocabulary,
        more tokens than max_seq_len leaves) are 400 naming the parameter:
        a chat request's prompt is its 'messages'."""
        cases = [
            ("/v1/completions", {"prompt": [1, 10 ** 6]}, "prompt",
             "is outside the vocabulary"),
            ("/v1/completions", {"prompt": "hi", "max_tokens": 10 ** 6},
             "max_tokens", "max_seq_len"),
            ("/v1/chat/completions",
             {"messages": [{"role": "user", "content": "word " * 400}]},
             "messages", "max_seq_len"),
        ]
        for path, body, param, needle in cases:
            code, text = post_raw(self.server, path, json.dumps(
                {"model": "tiny", **body}).encode())
            self.assertEqual(code, 400, (path, text))
            error = json.loads(text)["error"]
            self.assertEqual(error["param"], param, (path, text))
            self.assertIn(needle, error["message"], (path, text))

    def test_unsupported_fields_are_refused(self):
        """Fields that would change the output and that nhc-serve does not
        implement get 400 naming them; their neutral values and metadata
        are accepted."""
        refused = [
            ("suffix", "tail"), ("bad_words", ["x"]),
            ("use_beam_search", True),
            ("response_format", {"type": "json_object"}),
            ("guided_json", {"type": "object"}), ("guided_regex", "a+"),
            ("guided_choice", ["a", "b"]), ("guided_grammar", "root ::= x"),
            ("structured_outputs", {"json": {}}),
            ("prompt_logprobs", 1), ("allowed_token_ids", [1, 2]),
            ("tool_choice", "required"),
            ("truncate_prompt_tokens", 3), ("best_of", 2),
            # The options of a stream, without one (as OpenAI and vLLM).
            ("stream_options", {"include_usage": True}),
        ]
        chat_refused = [("continue_final_message", True), ("echo", True),
                        ("add_special_tokens", True),
                        ("chat_template", "{{ messages }}")]
        neutral = [("logit_bias", {}), ("logit_bias", None),
                   ("stop_token_ids", []), ("repetition_penalty", 1.0),
                   ("min_tokens", 0), ("use_beam_search", False),
                   ("response_format", {"type": "text"}), ("suffix", None),
                   ("guided_json", None), ("user", "someone"),
                   ("metadata", {"k": "v"}), ("tool_choice", "auto"),
                   ("presence_penalty", 0), ("best_of", 1),
                   ("stream_options", None), ("logprobs", False),
                   ("min_p", 0), ("include_stop_str_in_output", False)]
        completion = {"model": "tiny", "prompt": "hi", "max_tokens": 2,
                      "temperature": 0}
        chat = {"model": "tiny", "max_tokens": 2, "temperature": 0,
                "messages": [{"role": "user", "content": "hi"}]}
        for path, body, cases in (
                ("/v1/completions", completion, refused),
                ("/v1/chat/completions", chat, refused + chat_refused)):
            for name, value in cases:
                code, text = post_raw(self.server, path, json.dumps(
                    {**body, name: value}).encode())
                self.assertEqual(code, 400, (path, name, text))
                error = json.loads(text)["error"]
                self.assertIn(f"'{name}'", error["message"], (path, name))
                self.assertEqual(error["param"], name)
            for name, value in neutral:
                code, text = post_raw(self.server, path, json.dumps(
                    {**body, name: value}).encode())
                self.assertEqual(code, 200, (path, name, text))
        # add_generation_prompt is honoured, add_special_tokens=false too.
        code, _ = post_raw(self.server, "/v1/chat/completions", json.dumps(
            {**chat, "add_generation_prompt": False}).encode())
        self.assertEqual(code, 200)
        with_special = self.complete("The quick", max_tokens=1)[4]
        code, text = post_raw(self.server, "/v1/completions", json.dumps(
            {**completion, "add_special_tokens": False,
             "return_token_ids": True}).encode())
        self.assertEqual(code, 200, text)
        self.assertEqual(json.loads(text)["prompt_token_ids"],
                         tokenizers.Tokenizer.from_file(
                             os.path.join(ARGS.weights, "tokenizer.json"))
                         .encode("hi", add_special_tokens=False).ids)
        self.assertEqual(with_special, reference_completion_ids("The quick"))

    def test_http_framing_errors(self):
        """Invalid framing is a 400 naming the header, answered at once
        and followed by a close; the server keeps serving."""
        post = b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
        cases = [
            (post + b"Content-Length: -1\r\n\r\n{}", 400,
             "invalid Content-Length header '-1'"),
            (post + b"Content-Length: 99999999999999999999\r\n\r\n{}", 400,
             "invalid Content-Length header"),
            (post + b"Content-Length: abc\r\n\r\n{}", 400,
             "invalid Content-Length header 'abc'"),
            (post + b"Content-Length: 30\r\nContent-Length: 5\r\n\r\n"
             b"{\"a\":1}", 400, "conflicting Content-Length headers"),
            (post + b"Content-Length: 5000000\r\n\r\n{\"a\":1}", 413,
             "larger than"),
            # Refused before "100 Continue", so the body is never sent.
            (post + b"Content-Length: 5000000\r\nExpect: 100-continue\r\n"
             b"\r\n", 413, "larger than"),
            (b"GARBAGE\r\n\r\n", 400, "malformed HTTP request line"),
            # No whitespace before a field's colon (a proxy may read this
            # one as chunked framing), no control bytes in a header.
            (post + b"Transfer-Encoding : chunked\r\nContent-Length: 2\r\n"
             b"\r\n{}", 400, "malformed header name 'Transfer-Encoding '"),
            (post + b"X-A: a\x00b\r\nContent-Length: 2\r\n\r\n{}", 400,
             "malformed header value of 'X-A'"),
            # Folded lines (obs-fold) are refused, not dropped.
            (post + b"X-A: a\r\n b\r\nContent-Length: 2\r\n\r\n{}", 400,
             "obsolete line folding"),
            (b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
             400, "obsolete line folding"),
            # Headers are bounded in all, not only line by line.
            (post + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 4000)
                             for i in range(20)) + b"\r\n", 431,
             "larger than 65536 bytes"),
            (b"PUT /v1/completions HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length: 5\r\n\r\nhello", 405, "method PUT"),
            # A route asked with a method it does not answer: 405 naming
            # the one it does; an unknown path: 404 listing the routes.
            (b"GET /v1/completions HTTP/1.1\r\nHost: x\r\n"
             b"Connection: close\r\n\r\n", 405,
             "method GET is not allowed on /v1/completions: use POST"),
            (b"POST /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             b"Content-Length: 2\r\n\r\n{}", 405,
             "method POST is not allowed on /health: use GET, HEAD"),
            (b"GET /v2/nothing HTTP/1.1\r\nHost: x\r\n"
             b"Connection: close\r\n\r\n", 404,
             "no route GET /v2/nothing (try /v1/completions"),
        ]
        for request, status, needle in cases:
            # The connection stays open on the client's side: the answer
            # must not wait for the body it announced.
            seconds, code, message = raw_exchange(self.server.url, request)
            self.assertEqual(code, status, (request[:60], message))
            self.assertIn(needle, message, request[:60])
            self.assertLess(seconds, 3.5, request[:60])
        self.assertEqual(self.server.get("/health")[0], 200)

    def test_bodies_are_json_whatever_their_content_type(self):
        """curl -d's form type (application/x-www-form-urlencoded) is read
        as JSON at any size (httplib alone refuses forms past 8 KiB); a
        multipart body, which would not reach the handler, is 415."""
        body = (b'{"prompt": "Hello", "max_tokens": 2, "temperature": 0' +
                b" " * 12000 + b"}")
        for content_type in (b"application/x-www-form-urlencoded",
                             b"application/json", b"text/plain"):
            _, code, answer = raw_exchange(
                self.server.url,
                b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                b"Connection: close\r\nContent-Type: " + content_type +
                b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            self.assertEqual(code, 200, (content_type, answer))
            self.assertEqual(json.loads(answer)["object"], "text_completion")
        _, code, answer = raw_exchange(
            self.server.url,
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.assertEqual(code, 415, answer)
        self.assertIn("request bodies are JSON", answer)

    def test_range_is_ignored(self):
        """A Range header gets the whole answer (200), never a 206 with a
        cut completion or JSON document."""
        body = json.dumps({"prompt": "Hello", "max_tokens": 2,
                           "temperature": 0}).encode()
        for request in (
                b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                b"Range: bytes=0-9\r\nConnection: close\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body,
                b"GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                b"Range: bytes=0-4,10-12\r\nConnection: close\r\n\r\n"):
            _, code, answer = raw_exchange(self.server.url, request)
            self.assertEqual(code, 200, request[:40])
            self.assertIsInstance(json.loads(answer), dict, request[:40])
        # Refusals are whole too, also those answered to Expect:
        # 100-continue before routing (curl sends it for large bodies).
        _, code, answer = raw_exchange(
            self.server.url,
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
            b"Range: bytes=0-9\r\nExpect: 100-continue\r\n"
            b"Content-Length: 99999999999\r\n\r\n")
        self.assertEqual(code, 413, answer)
        self.assertIn("larger than", answer)
        # A malformed one is refused and its body never read as a request.
        smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        _, code, answer = raw_exchange(
            self.server.url,
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nRange: bytes=zz"
            b"\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled)
        self.assertEqual(code, 416, answer)
        self.assertNotIn("status", str(answer))


class SlowClientTest(unittest.TestCase):
    """Clients that send slowly or not at all lose their connection after
    the documented deadlines, and do not keep /health from answering."""

    def test_slow_connections_release_workers(self):
        with Server(ARGS.serve, ARGS.artifact, ARGS.weights, "--max-slots",
                    "1", "--max-queue", "0", "--http-threads", "8") as s:
            host, port = s.url[len("http://"):].split(":")
            post = b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
            partial = [
                b"",                                      # nothing at all
                b"POST /v1/comp",                         # half a line
                post,                                     # headers unfinished
                post + b"Content-Length: 50\r\n\r\n{}",   # a short body
            ]
            socks = []
            for i in range(12):  # more than the 8 workers
                sock = socket.create_connection((host, int(port)), timeout=20)
                sock.sendall(partial[i % len(partial)])
                socks.append(sock)
            start = time.monotonic()
            self.assertEqual(s.get("/health")[0], 200)
            # Idle connections give way at once; the rest within 5 s.
            self.assertLess(time.monotonic() - start, 7.0)
            answers = []
            for sock in socks:
                data = b""
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                sock.close()
                answers.append(data.split(b"\r\n", 1)[0])
            # Heads within 5 s; a body's pause within 10 s (two waves of
            # the short bodies over the 8 workers).
            self.assertLess(time.monotonic() - start, 25.0)
            self.assertIn(b"HTTP/1.1 408 Request Timeout", answers)
            self.assertTrue(any("did not arrive within 5 s" in line
                                for line in s.log), s.log)
            self.assertTrue(any("ended after 2 of its Content-Length 50"
                                in line for line in s.log), s.log)


class SlotTest(unittest.TestCase):
    """One slot, no queue: disconnects free it, a busy server says 503."""

    def test_disconnect_frees_slot_and_full_server_is_503(self):
        # A request that runs for seconds.
        artifact = ARGS.artifact  # --max-seq-len past max_position_embeddings
        with Server(ARGS.serve, artifact, ARGS.weights, "--max-slots",
                    "1", "--max-queue", "0", "--max-seq-len", "60000") as s:
            client, stream, chunks = hold_the_slot(s)
            next(chunks)
            self.assertEqual(s.metric("nhc_slots_in_use"), 1)
            # The only slot is taken and nothing may wait: 503.
            with self.assertRaises(openai.APIStatusError) as busy:
                client.completions.create(model="tiny", prompt="hi",
                                          max_tokens=2)
            self.assertEqual(busy.exception.status_code, 503)
            self.assertIn("retry", str(busy.exception))
            self.assertIn("0 requests wait for one (the queue holds 0)",
                          str(busy.exception))
            stream.close()  # the client goes away mid-stream
            wait_for(lambda: s.metric("nhc_slots_in_use") == 0, 20,
                     "the disconnected request's slot to be freed")
            self.assertEqual(s.metric(
                'nhc_requests_finished_total{reason="cancelled"}'), 1)
            r = client.completions.create(model="tiny", prompt="hi",
                                          max_tokens=3, temperature=0)
            self.assertEqual(r.usage.completion_tokens, 3)
            self.assertTrue(any("client disconnected" in line
                                for line in s.log), s.log)
            # Logprob entries are held until the answer is written: a
            # request that would hold more than 2^24 is refused (a long
            # context makes one possible: 40000 x 2 x 21 x ... ).
            code, reply = post_raw(s, "/v1/completions", json.dumps(
                {"model": "tiny", "prompt": ["hi"] * 20, "n": 2,
                 "max_tokens": 20000, "logprobs": 20}).encode())
            self.assertEqual(code, 400, reply)
            error = json.loads(reply)["error"]
            self.assertEqual(error["param"], "logprobs")
            self.assertIn("at most 16777216", error["message"])


class PortTest(unittest.TestCase):
    """A port in use is an error, never shared with another server."""

    def test_eos_ids_outside_the_vocabulary_are_ignored_with_a_warning(self):
        # generation_config.json naming an id the model cannot produce: a
        # warning at startup naming the file, the startup line's step
        # budget as the engine runs it (one token per slot and 2 more), and
        # requests served as with the other ids alone.
        tmp = tempfile.mkdtemp(prefix="nhc-serve-test-")
        try:
            checkpoint = os.path.join(tmp, "ckpt")
            shutil.copytree(ARGS.weights, checkpoint)
            with open(os.path.join(checkpoint, "generation_config.json"),
                      "w") as f:
                json.dump({"eos_token_id": [2, 100000]}, f)
            with Server(ARGS.serve, ARGS.artifact, checkpoint,
                        "--max-slots", "8", "--step-tokens", "1") as s:
                reply = openai.OpenAI(
                    base_url=s.base_url, api_key="x", max_retries=0,
                    timeout=60).completions.create(
                        model="tiny", prompt="hello", max_tokens=4,
                        temperature=0)
                # Served: it ends by a stop id (2) or by its length.
                finish = reply.choices[0].finish_reason
                self.assertIn(finish, ("stop", "length"))
                tokens = reply.usage.completion_tokens
                if finish == "length":
                    self.assertEqual(tokens, 4)
                else:
                    self.assertLessEqual(tokens, 4)
            log = "\n".join(s.log)  # complete once the server stopped
            self.assertIn("eos id 100000 from", log)
            self.assertIn("generation_config.json is outside the model's "
                          "vocabulary", log)
            self.assertIn("step budget 10 tokens", log)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_a_prompt_the_servers_tokenizer_cannot_encode_is_a_500(self):
        # tokenizer.json whose unk_token is not in its vocabulary, and "Q"
        # (with the merges that use it) removed: as in tokenizers, it loads,
        # encodes text without a "Q", and fails on text with one. That is
        # the server's file, not the request: 500 naming the file; the
        # server keeps serving.
        tmp = tempfile.mkdtemp(prefix="nhc-serve-test-")
        try:
            checkpoint = os.path.join(tmp, "ckpt")
            shutil.copytree(ARGS.weights, checkpoint)
            path = os.path.join(checkpoint, "tokenizer.json")
            with open(path) as f:
                tok = json.load(f)
            model = tok["model"]
            model["unk_token"] = "<nope>"
            del model["vocab"]["Q"]

            def keeps(merge):
                parts = merge.split(" ") if isinstance(merge, str) else merge
                return "Q" not in parts
            model["merges"] = [m for m in model["merges"] if keeps(m)]
            with open(path, "w") as f:
                json.dump(tok, f)
            with Server(ARGS.serve, ARGS.artifact, checkpoint) as s:
                for route, body in (
                        ("/v1/completions", {"prompt": "Quick"}),
                        ("/v1/chat/completions",
                         {"messages": [{"role": "user",
                                        "content": "Quick"}]})):
                    code, text = post_raw(s, route, json.dumps(
                        dict(body, max_tokens=2)).encode())
                    self.assertEqual(code, 500, (route, text))
                    error = json.loads(text)["error"]
                    self.assertEqual(error["type"], "server_error")
                    self.assertIn(path + ': model.unk_token "<nope>" is not '
                                  "in model.vocab", error["message"])
                code, text = post_raw(s, "/v1/completions", json.dumps(
                    {"prompt": "hello", "max_tokens": 2}).encode())
                self.assertEqual(code, 200, text)
                _, metrics = s.get("/metrics")
                self.assertIn('code="500"', metrics)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_second_server_on_a_port_in_use_exits_1(self):
        with Server(ARGS.serve, ARGS.artifact, ARGS.weights) as s:
            port = s.url.rsplit(":", 1)[1]
            out = subprocess.run(
                [ARGS.serve, ARGS.artifact, "--weights", ARGS.weights,
                 "--port", port], capture_output=True, text=True,
                timeout=60)
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
            self.assertIn("cannot bind 127.0.0.1:" + port, out.stderr)
            self.assertNotIn("listening", out.stdout)
            self.assertEqual(s.get("/health")[0], 200)


def send_completion(server, stream, max_tokens=5):
    """A raw socket that has sent a completion request (long with
    ignore_eos); the caller reads or closes it."""
    host, port = server.url[len("http://"):].split(":")
    body = json.dumps({"model": "tiny", "prompt": "hi",
                       "max_tokens": max_tokens, "stream": stream,
                       "ignore_eos": True}).encode()
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() +
                 b"\r\n\r\n" + body)
    return sock


def nan_embedding_checkpoint(tmp, token):
    """A copy of the checkpoint whose embedding row `token` is NaN: a choice
    whose prompt holds it fails (its logits are NaN), the others do not."""
    checkpoint = os.path.join(tmp, "ckpt")
    shutil.copytree(ARGS.weights, checkpoint)
    path = os.path.join(checkpoint, "model.safetensors")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    size = struct.unpack_from("<Q", data, 0)[0]
    header = json.loads(data[8:8 + size])
    entry = header["backbone.embeddings.weight"]
    assert entry["dtype"] == "F32", entry
    hidden = entry["shape"][1]
    row = 8 + size + entry["data_offsets"][0] + token * hidden * 4
    data[row:row + hidden * 4] = struct.pack("<f", float("nan")) * hidden
    with open(path, "wb") as f:
        f.write(data)
    return checkpoint


class FailingChoiceTest(unittest.TestCase):
    """A choice that fails ends its response with the error; its siblings
    are cancelled and have left their slots when the client sees it."""

    def test_siblings_are_gone_when_the_error_arrives(self):
        tmp = tempfile.mkdtemp(prefix="nhc-serve-test-")
        try:
            checkpoint = nan_embedding_checkpoint(tmp, 300)
            with Server(ARGS.serve, ARGS.artifact, checkpoint, "--max-slots",
                        "4", "--step-tokens", "7", "--max-queue", "2") as s:
                failing = {"model": "tiny", "prompt": [[5, 6, 7], [300, 5]],
                           "n": 3, "max_tokens": 100, "ignore_eos": True}
                code, reply = post_raw(s, "/v1/completions",
                                       json.dumps(failing).encode())
                self.assertEqual(code, 500, reply)
                self.assertIn("the logits hold NaN",
                              json.loads(reply)["error"]["message"])
                for _ in range(3):
                    code, reply = post_raw(s, "/v1/completions", json.dumps(
                        {**failing, "stream": True}).encode())
                    self.assertEqual(code, 200)
                    self.assertIn("the logits hold NaN", reply)
                    self.assertTrue(reply.rstrip().endswith("data: [DONE]"))
                    # At once, a batch as large as the server holds: every
                    # slot and queue place is free again.
                    code, reply = post_raw(s, "/v1/completions", json.dumps(
                        {"model": "tiny", "prompt": [[5]] * 6,
                         "max_tokens": 2}).encode())
                    self.assertEqual(code, 200, reply)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class QueueTest(unittest.TestCase):
    """A queued request whose client leaves gives its place up at once,
    before it ever gets a slot, streamed or not."""

    def test_queued_client_that_leaves_frees_its_place(self):
        artifact = ARGS.artifact  # --max-seq-len past max_position_embeddings
        for stream in (True, False):
            with self.subTest(stream=stream), \
                    Server(ARGS.serve, artifact, ARGS.weights, "--max-slots",
                           "1", "--max-queue", "1", "--max-seq-len",
                           "60000") as s:
                _, holder, _ = hold_the_slot(s)
                sock = send_completion(s, stream)
                wait_for(lambda: s.metric("nhc_queue_depth") == 1, 20,
                         "the second request to wait")
                sock.close()  # it leaves while it waits
                wait_for(lambda: s.metric("nhc_queue_depth") == 0, 5,
                         "the departed request's place to be freed")
                self.assertEqual(s.metric("nhc_slots_in_use"), 1)
                holder.close()


class NonStreamingDisconnectTest(unittest.TestCase):
    """A running non-streamed request whose client leaves frees its slot
    within moments, not after max_tokens."""

    def test_running_request_whose_client_leaves_is_cancelled(self):
        artifact = ARGS.artifact  # --max-seq-len past max_position_embeddings
        with Server(ARGS.serve, artifact, ARGS.weights, "--max-slots", "1",
                    "--max-seq-len", "60000") as s:
            sock = send_completion(s, stream=False, max_tokens=50000)
            wait_for(lambda: s.metric("nhc_slots_in_use") == 1, 20,
                     "the request to take the slot")
            sock.close()
            wait_for(lambda: s.metric("nhc_slots_in_use") == 0, 5,
                     "the departed request's slot to be freed")
            self.assertEqual(s.metric(
                'nhc_requests_finished_total{reason="cancelled"}'), 1)
            wait_for(lambda: any("client disconnected" in line
                                 for line in s.log), 5,
                     "the log line of the cancelled request")
            # Counted as the client's leaving (nginx's 499), not as a
            # server error.
            self.assertTrue(any(" 499 " in line and "client disconnected"
                                in line for line in s.log), s.log)
            def responses(code):
                try:
                    return s.metric('nhc_http_responses_total{route='
                                    f'"/v1/completions",code="{code}"}}')
                except KeyError:
                    return 0
            wait_for(lambda: responses(499) == 1, 5, "the 499 in /metrics")
            self.assertEqual(responses(500), 0)


class ShutdownTest(unittest.TestCase):
    """SIGTERM: a stream being generated ends with its error event and
    [DONE], not cut off mid-transfer."""

    def test_running_stream_ends_with_error_event_and_done(self):
        artifact = ARGS.artifact  # --max-seq-len past max_position_embeddings
        s = Server(ARGS.serve, artifact, ARGS.weights, "--max-slots", "1",
                   "--max-seq-len", "60000")
        sock = send_completion(s, stream=True, max_tokens=50000)
        received = bytearray()

        def read_all():
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                received.extend(chunk)

        reader = threading.Thread(target=read_all, daemon=True)
        reader.start()
        wait_for(lambda: received.count(b"data: ") >= 3, 20,
                 "the stream's first chunks")
        self.assertEqual(s.stop(), 0)
        reader.join(timeout=10)
        sock.close()
        text = bytes(received)
        self.assertIn(b"the server is shutting down", text)
        self.assertTrue(text.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n"),
                        text[-200:])


class PastTrainedLengthTest(unittest.TestCase):
    """--max-seq-len past the model's max_position_embeddings (256) runs
    prompts past it, with a warning at startup: the model has no position
    encoding. Greedy ids equal nhc-run's, which runs past it the same way."""

    def test_prompt_past_max_position_embeddings(self):
        ids = [(7 * i + 3) % 380 + 3 for i in range(300)]
        out = nhc_run("--prompt-ids", ",".join(map(str, ids)),
                      "--max-new-tokens", "4", "--max-seq-len", "303")
        expected = [int(t) for t in
                    out.split("generated:")[1].split("\n")[0].split()]
        self.assertEqual(len(expected), 4)
        with Server(ARGS.serve, ARGS.artifact, ARGS.weights, "--max-seq-len",
                    "400") as s:
            client = openai.OpenAI(base_url=s.base_url, api_key="x",
                                   max_retries=0, timeout=60)
            r = client.completions.create(
                model="tiny", prompt=ids, max_tokens=4, temperature=0,
                extra_body={"return_token_ids": True, "ignore_eos": True})
            self.assertEqual(r.choices[0].token_ids, expected)
            with self.assertRaises(openai.BadRequestError):
                client.completions.create(model="tiny", prompt=ids * 2,
                                          max_tokens=1)
            wait_for(lambda: any(
                "nhc-serve: warning: --max-seq-len 400 is past the model's "
                "max_position_embeddings 256" in line for line in s.log), 5,
                "the warning in the log")


class Ipv6Test(unittest.TestCase):
    """An IPv6 host is printed as a URL: http://[::1]:PORT."""

    def test_ipv6_address_is_bracketed(self):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError as e:
            self.skipTest(f"this machine has no IPv6 loopback ({e})")
        with Server(ARGS.serve, ARGS.artifact, ARGS.weights, "--host",
                    "::1") as s:
            self.assertRegex(s.url, r"^http://\[::1\]:\d+$")
            self.assertEqual(s.get("/health")[0], 200)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in ("--serve", "--run", "--artifact", "--weights"):
        parser.add_argument(flag, required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
