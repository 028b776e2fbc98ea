#!/usr/bin/env python3
"""Serving benchmark: N concurrent streaming clients against nhc-serve.

Starts nhc-serve on the given artifact (or uses --url), sends --requests
completions from --concurrency client threads at once, each streaming
--max-tokens tokens (ignore_eos, greedy), and reports, as a table on stderr
and JSON on stdout:
  ttft_s    time to first token per request (p50, p99, mean)
  itl_s     inter-token latency: gaps between streamed chunks, divided by
            the tokens in each (p50, p99, mean)
  e2e_s     request latency
  output_tokens_per_s, requests_per_s over the whole run.

  tools/bench/serve_bench.py --serve build/bin/nhc-serve \
      --artifact model.nhc --weights CKPT_DIR --concurrency 8 --requests 32

--smoke runs a tiny load and checks the JSON schema (CI), not the speed.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time

import openai

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "test", "Serving"))
from serve_fixture import Server  # noqa: E402

SCHEMA = {
    "schema": str, "machine": dict, "server": dict, "concurrency": int,
    "requests": int, "max_tokens": int, "prompt_tokens": int,
    "output_tokens": int, "wall_s": float, "output_tokens_per_s": float,
    "requests_per_s": float, "ttft_s": dict, "itl_s": dict, "e2e_s": dict,
}


def percentiles(values):
    if not values:
        return {"p50": 0.0, "p99": 0.0, "mean": 0.0, "count": 0}
    ordered = sorted(values)

    def pick(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50": pick(0.50), "p99": pick(0.99),
            "mean": statistics.fmean(ordered), "count": len(ordered)}


def one_request(client, model, prompt, max_tokens, out):
    start = time.perf_counter()
    first, last, gaps, tokens, prompt_tokens = None, None, [], 0, 0
    # Token arrival, not text: return_token_ids sends every batch of ids
    # (a tokenizer smaller than the model's vocabulary makes no text for
    # some ids).
    stream = client.completions.create(
        model=model, prompt=prompt, max_tokens=max_tokens, temperature=0,
        stream=True, stream_options={"include_usage": True},
        extra_body={"ignore_eos": True, "return_token_ids": True})
    seen = 0
    for chunk in stream:
        now = time.perf_counter()
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
            prompt_tokens = chunk.usage.prompt_tokens
        if any(getattr(c, "token_ids", None) for c in chunk.choices):
            seen += 1
            if first is None:
                first = now
            elif last is not None:
                gaps.append(now - last)
            last = now
    end = time.perf_counter()
    out.append({"ttft": (first or end) - start, "e2e": end - start,
                "gaps": gaps, "tokens": tokens, "chunks": seen,
                "prompt_tokens": prompt_tokens})


def run(args, base_url, model):
    client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0,
                           timeout=600)
    results, lock = [], threading.Lock()
    queue = list(range(args.requests))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop()
            local = []
            one_request(client, model, f"{args.prompt} {i}", args.max_tokens,
                        local)
            with lock:
                results.extend(local)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker)
               for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    output = sum(r["tokens"] for r in results)
    itl = []
    for r in results:
        # A chunk carries every token made since the client's last read.
        per_chunk = r["tokens"] / max(r["chunks"], 1)
        itl.extend(g / max(per_chunk, 1.0) for g in r["gaps"])
    return {
        "schema": "nhc-serve-bench/1",
        "machine": {"cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count()},
        "server": {"url": base_url, "model": model},
        "concurrency": args.concurrency,
        "requests": len(results),
        "max_tokens": args.max_tokens,
        "prompt_tokens": sum(r["prompt_tokens"] for r in results),
        "output_tokens": output,
        "wall_s": wall,
        "output_tokens_per_s": output / wall if wall > 0 else 0.0,
        "requests_per_s": len(results) / wall if wall > 0 else 0.0,
        "ttft_s": percentiles([r["ttft"] for r in results]),
        "itl_s": percentiles(itl),
        "e2e_s": percentiles([r["e2e"] for r in results]),
    }


def check_schema(report, expected_requests, max_tokens):
    for key, kind in SCHEMA.items():
        if not isinstance(report.get(key), kind):
            raise SystemExit(f"serve_bench: '{key}' is not a {kind.__name__}"
                             f": {report.get(key)!r}")
    for key in ("ttft_s", "itl_s", "e2e_s"):
        for stat in ("p50", "p99", "mean"):
            value = report[key][stat]
            if not isinstance(value, float) or value < 0:
                raise SystemExit(f"serve_bench: {key}.{stat} = {value!r}")
    if report["requests"] != expected_requests:
        raise SystemExit(f"serve_bench: {report['requests']} of "
                         f"{expected_requests} requests finished")
    if report["output_tokens"] != expected_requests * max_tokens:
        raise SystemExit(f"serve_bench: {report['output_tokens']} tokens, "
                         f"expected {expected_requests * max_tokens} "
                         "(ignore_eos)")


def table(r):
    rows = [("concurrency", r["concurrency"]), ("requests", r["requests"]),
            ("output tok/s", f"{r['output_tokens_per_s']:.1f}"),
            ("requests/s", f"{r['requests_per_s']:.2f}")]
    for key, label in (("ttft_s", "TTFT"), ("itl_s", "ITL"),
                       ("e2e_s", "latency")):
        rows.append((f"{label} p50 / p99 (ms)",
                     f"{r[key]['p50'] * 1e3:.1f} / {r[key]['p99'] * 1e3:.1f}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", help="nhc-serve binary (starts a server)")
    parser.add_argument("--artifact")
    parser.add_argument("--weights")
    parser.add_argument("--url", help="an already running server")
    parser.add_argument("--model", default="bench")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prompt", default="The quick brown fox")
    parser.add_argument("--server-args", default="",
                        help="extra nhc-serve options, space separated")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.concurrency, args.requests, args.max_tokens = 4, 8, 8
    if args.url:
        report = run(args, args.url.rstrip("/") + "/v1", args.model)
    else:
        if not (args.serve and args.artifact and args.weights):
            parser.error("give --url, or --serve, --artifact and --weights")
        extra = args.server_args.split()
        if "--max-slots" not in extra:
            extra += ["--max-slots", str(args.concurrency)]
        with Server(args.serve, args.artifact, args.weights, *extra,
                    name=args.model) as server:
            report = run(args, server.base_url, args.model)
    check_schema(report, args.requests, args.max_tokens)
    print(table(report), file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
