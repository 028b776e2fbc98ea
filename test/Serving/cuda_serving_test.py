"""nhc-serve on the cuda backend against nhc-serve on the host (issue 11).

    python cuda_serving_test.py --serve BIN/nhc-serve --artifact dense.nhc \
        --weights test/golden/dense/model [--doubles DRIVER CUBLASLT KERNELS]

Two servers on the same artifact and checkpoint, `--backend host` and
`--backend cuda`, each with 4 slots and a step budget of 7 tokens, so 16
concurrent clients queue, prompt chunks share steps with decodes, and the
cuda server's decode steps run in several batch buckets (recorded graphs
replayed). Every client's greedy ids, text and finish reason must be the
host server's, streaming or not, and a bad request on the cuda server gets
its 4xx while the server keeps serving.

Without a GPU (CI), --doubles runs the cuda server through the test doubles
of the CUDA driver and cuBLASLt with the kernels emulated on the host
(docs/testing.md); without --doubles it needs a GPU and its driver
(tools/scripts/gpu-check.sh runs it so). The standard library only: the GPU
machine has no PyPI.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

from serve_fixture import Server

ARGS = None
PROMPTS = [
    "The quick brown fox", "Once upon a time", "def fibonacci(n):",
    "Привет, мир", "1 2 3 4 5", "Nemotron-H is a hybrid",
    "   leading spaces", "emoji 🙂 and more", "a",
    "The capital of France is", "SELECT * FROM", "\tTabs\tand\nnewlines",
    "Zebra", "x = [i for i in range(10)]", "Ünïcödé",
    "hello world hello world",
]
MAX_TOKENS = 16


def post(server, path, body):
    """(status, parsed JSON or the SSE events' JSON list)."""
    request = urllib.request.Request(
        server.url + path, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            raw = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())
    if not body.get("stream"):
        return status, json.loads(raw)
    events = []
    for line in raw.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            events.append(json.loads(line[len("data: "):]))
    return status, events


def complete(server, prompt, stream):
    """(generated ids, text, finish reason) of a greedy completion."""
    status, reply = post(server, "/v1/completions", {
        "model": "tiny", "prompt": prompt, "max_tokens": MAX_TOKENS,
        "temperature": 0, "return_token_ids": True, "stream": stream})
    if status != 200:
        raise AssertionError(f"{prompt!r}: HTTP {status}: {reply}")
    if not stream:
        choice = reply["choices"][0]
        return choice["token_ids"], choice["text"], choice["finish_reason"]
    ids, text, finish = [], "", None
    for event in reply:
        for choice in event.get("choices", []):
            ids += choice.get("token_ids") or []
            text += choice.get("text") or ""
            finish = choice.get("finish_reason") or finish
    return ids, text, finish


def all_at_once(server):
    """Every prompt from its own client at once, odd ones streaming."""
    with concurrent.futures.ThreadPoolExecutor(len(PROMPTS)) as pool:
        return list(pool.map(
            lambda i: complete(server, PROMPTS[i], stream=i % 2 == 1),
            range(len(PROMPTS))))


class CudaServingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        extra = ("--max-slots", "4", "--step-tokens", "7")
        cls.host = Server(ARGS.serve, ARGS.artifact, ARGS.weights,
                          "--backend", "host", *extra)
        try:
            cls.cuda = Server(ARGS.serve, ARGS.artifact, ARGS.weights,
                              "--backend", "cuda", *extra)
        except Exception:
            cls.host.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        # Both stop before either is judged, so a failure leaves no server.
        codes = {}
        for name, server in (("cuda", cls.cuda), ("host", cls.host)):
            try:
                codes[name] = server.stop()
            except RuntimeError as e:
                codes[name] = str(e)
        bad = {name: code for name, code in codes.items() if code != 0}
        assert not bad, f"nhc-serve on SIGTERM: {bad}"

    def test_the_server_says_its_backend(self):
        self.assertTrue(any("on the cuda backend" in line
                            for line in self.cuda.log), self.cuda.log)
        self.assertTrue(any("on the host backend" in line
                            for line in self.host.log), self.host.log)

    def test_concurrent_clients_get_the_hosts_greedy_text(self):
        host = all_at_once(self.host)
        cuda = all_at_once(self.cuda)
        for prompt, h, c in zip(PROMPTS, host, cuda):
            self.assertEqual(c, h, prompt)
            self.assertTrue(h[0], prompt)
            if h[2] == "length":
                self.assertEqual(len(h[0]), MAX_TOKENS, prompt)
        # Alone, one request at a time (a decode bucket of 1): the same.
        for prompt, h in list(zip(PROMPTS, host))[:3]:
            self.assertEqual(complete(self.cuda, prompt, stream=False), h,
                             prompt)
        self.assertGreaterEqual(
            self.cuda.metric("nhc_generation_tokens_total"),
            sum(len(h[0]) for h in host))

    def test_logprobs_and_echo_are_the_hosts(self):
        """Logprobs (computed on the device with the ids, nhc_logprob_rows:
        greedy, sampled, and n greedy choices taking the first one's
        row's) and echo's prompt logprobs (every position's, NHC_LOGITS_ALL
        with each row's next prompt token) on the cuda backend: the host's
        tokens and alternatives, and its numbers to 1e-3; penalties,
        biases and min_tokens as logit edits on the device
        (nhc_edit_logits), sampled picks beside a prompt's logprobs too: no
        logits leave the model."""
        for body in ({"logprobs": 3, "max_tokens": 6},
                     {"logprobs": 5, "max_tokens": 6, "temperature": 0.9,
                      "seed": 7},
                     {"logprobs": 2, "max_tokens": 4, "n": 2},
                     {"logprobs": 2, "echo": True, "max_tokens": 2},
                     {"logprobs": 2, "echo": True, "max_tokens": 3,
                      "temperature": 0.9, "seed": 3},
                     {"logprobs": 1, "echo": True, "max_tokens": 0},
                     {"frequency_penalty": 1.5, "max_tokens": 8},
                     {"logprobs": 2, "max_tokens": 8, "presence_penalty": 1.0,
                      "repetition_penalty": 1.3, "logit_bias": {"7": 4.0}},
                     {"max_tokens": 8, "temperature": 0.9, "seed": 5,
                      "frequency_penalty": 0.7, "min_tokens": 4}):
            request = {"model": "tiny", "prompt": PROMPTS[9],
                       "temperature": 0, **body}
            replies = []
            for server in (self.host, self.cuda):
                copied = server.metric("nhc_logits_rows_copied_total")
                status, reply = post(server, "/v1/completions", request)
                self.assertEqual(status, 200, (body, reply))
                replies.append(reply["choices"])
                # No rows leave the session: penalties and biases are
                # logit edits the session applies, prompt logprobs and the
                # picks beside them (greedy or sampled) come from it too.
                rowsOut = server.metric("nhc_logits_rows_copied_total") - copied
                self.assertEqual(rowsOut, 0, body)
            self.assertEqual(len(replies[1]), len(replies[0]), body)
            for host, cuda in zip(*replies):
                self.assertEqual(cuda["text"], host["text"], body)
                if "logprobs" not in body:
                    continue
                h, c = host["logprobs"], cuda["logprobs"]
                self.assertEqual(c["tokens"], h["tokens"], body)
                self.assertEqual(len(c["token_logprobs"]),
                                 len(h["token_logprobs"]), body)
                for x, y in zip(c["token_logprobs"], h["token_logprobs"]):
                    if y is None:
                        self.assertIsNone(x, body)
                    else:
                        self.assertAlmostEqual(x, y, delta=1e-3, msg=body)
                for xs, ys in zip(c["top_logprobs"], h["top_logprobs"]):
                    if ys is None:
                        self.assertIsNone(xs, body)
                        continue
                    self.assertEqual(set(xs), set(ys), body)
                    for token in ys:
                        self.assertAlmostEqual(xs[token], ys[token],
                                               delta=1e-3, msg=body)

    def test_n_choices_fork_the_prompt_on_the_device(self):
        """n choices of one prompt: the first prefills it, the others
        fork its state (a device-to-device copy on cuda) and pick from its
        last row: the host's choices, greedy ids and seeded samples. Greedy
        choices take the first one's id; sampled ones copy its one row out
        (nhc_session_last_logits_row: from the device on cuda)."""
        for body in ({"temperature": 0, "n": 3},
                     {"temperature": 1.0, "seed": 11, "n": 3}):
            request = {"model": "tiny", "prompt": PROMPTS[4],
                       "max_tokens": 8, "return_token_ids": True, **body}
            replies = []
            for server in (self.host, self.cuda):
                shared = server.metric("nhc_prompt_tokens_shared_total")
                copied = server.metric("nhc_logits_rows_copied_total")
                status, reply = post(server, "/v1/completions", request)
                self.assertEqual(status, 200, (body, reply))
                self.assertEqual(
                    server.metric("nhc_prompt_tokens_shared_total") - shared,
                    2 * reply["usage"]["prompt_tokens"], body)
                self.assertEqual(
                    server.metric("nhc_logits_rows_copied_total") - copied,
                    0 if body["temperature"] == 0 else 1, body)
                replies.append([c["token_ids"] for c in reply["choices"]])
            self.assertEqual(replies[1], replies[0], body)
            if body["temperature"] == 0:
                self.assertEqual(replies[0][1], replies[0][0])

    def test_sampled_tokens_are_picked_on_the_device_as_on_the_host(self):
        """Seeded sampled requests (temperature, top_p, top_k, min_p), alone
        and four at once: on cuda their tokens are picked on the device
        (nhc_sample_rows; no logits leave it) and are the host's."""
        bodies = [{"temperature": 0.8, "top_p": 0.9, "seed": 3},
                  {"temperature": 1.5, "top_k": 5, "seed": 4},
                  {"temperature": 1.0, "min_p": 0.1, "seed": 5},
                  {"temperature": 2.0, "seed": 6}]
        requests = [{"model": "tiny", "prompt": PROMPTS[i % len(PROMPTS)],
                     "max_tokens": 10, "return_token_ids": True, **body}
                    for i, body in enumerate(bodies)]
        alone = {}
        for server in (self.host, self.cuda):
            alone[server] = []
            for request in requests:
                status, reply = post(server, "/v1/completions", request)
                self.assertEqual(status, 200, (request, reply))
                alone[server].append(reply["choices"][0]["token_ids"])
        self.assertEqual(alone[self.cuda], alone[self.host])
        with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
            replies = list(pool.map(
                lambda r: post(self.cuda, "/v1/completions", r), requests))
        for (status, reply), want in zip(replies, alone[self.host]):
            self.assertEqual(status, 200, reply)
            self.assertEqual(reply["choices"][0]["token_ids"], want)

    def test_a_bad_request_leaves_the_server_serving(self):
        status, reply = post(self.cuda, "/v1/completions", {
            "model": "tiny", "prompt": "x", "max_tokens": -1})
        self.assertEqual(status, 400, reply)
        self.assertIn("max_tokens", reply["error"]["message"])
        self.assertEqual(complete(self.cuda, PROMPTS[0], stream=False),
                         complete(self.host, PROMPTS[0], stream=False))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in ("--serve", "--artifact", "--weights"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--doubles", nargs=3,
                        metavar=("DRIVER", "CUBLASLT", "KERNELS"),
                        help="the CUDA driver and cuBLASLt test doubles and "
                        "the emulated kernels: no GPU needed")
    ARGS, rest = parser.parse_known_args()
    if ARGS.doubles:
        driver, cublaslt, kernels = ARGS.doubles
        os.environ.update(NHC_CUDA_DRIVER=driver, NHC_CUBLASLT=cublaslt,
                          NHC_FAKE_CUDA_KERNELS=kernels)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
