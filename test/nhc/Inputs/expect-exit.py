"""Runs a command and succeeds only if it exits with the given code.

usage: expect-exit.py CODE COMMAND [ARGS...]
`not` accepts any non-zero code; the CLI promises 1 for bad input and 2 for
bad usage, and a crash (a signal) must never count as either.
"""
import subprocess
import sys

expected = int(sys.argv[1])
result = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if result.returncode != expected:
    print(f"expected exit code {expected}, got {result.returncode}", file=sys.stderr)
    sys.exit(1)
