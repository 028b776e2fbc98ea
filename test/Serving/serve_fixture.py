"""Starts nhc-serve for a test and stops it afterwards.

Used by openai_client_test.py and tools/bench/serve_bench.py: the server is
started on a free port (--port 0) and its printed address is read back.
"""
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request


class Server:
    def __init__(self, serve, artifact, weights, *extra, name="tiny",
                 env=None):
        self.log = []
        args = [serve, artifact, "--weights", weights, "--port", "0",
                "--served-model-name", name, *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=env)
        line = self.proc.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.proc.kill()
            err = self.proc.stderr.read()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()
            raise RuntimeError(f"nhc-serve did not start: {line!r} {err}")
        self.url = match.group(1)
        self.base_url = self.url + "/v1"
        # Keep reading stderr (the request log) so the pipe never fills.
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.status, response.read().decode()

    def metric(self, sample):
        """The value of one /metrics sample, e.g. 'nhc_slots_in_use' or
        'nhc_requests_finished_total{reason="cancelled"}'."""
        _, text = self.get("/metrics")
        for line in text.splitlines():
            key, _, value = line.rpartition(" ")
            if key == sample:
                return float(value)
        raise KeyError(f"/metrics has no sample {sample}:\n{text}")

    def stop(self):
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("nhc-serve did not stop on SIGTERM within 20 s")
        finally:
            self._reader.join(timeout=5)
            self.proc.stdout.close()
            self.proc.stderr.close()
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()
