"""Runs a command and checks that it ends in bounded time and memory.

    run-bounded.py EXIT SECONDS MEGABYTES COMMAND [ARGS...]

Passes the command's stderr and stdout through (for FileCheck), and exits 1 if
the command's exit status is not EXIT (a signal counts as a failure), it ran
longer than SECONDS or its peak RSS exceeded MEGABYTES.
"""
import resource
import subprocess
import sys
import time

want, seconds, megabytes = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
try:
    proc = subprocess.run(sys.argv[4:], capture_output=True, timeout=seconds * 4)
except subprocess.TimeoutExpired:
    print(f"run-bounded: timed out after {seconds * 4:.0f} s")
    sys.exit(1)
elapsed = time.monotonic() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
sys.stdout.write(proc.stderr.decode(errors="replace"))
sys.stdout.write(proc.stdout.decode(errors="replace"))
problems = []
if proc.returncode != want:
    problems.append(f"exit {proc.returncode}, expected {want}")
if elapsed > seconds:
    problems.append(f"took {elapsed:.2f} s, limit {seconds} s")
if peak_mb > megabytes:
    problems.append(f"peak RSS {peak_mb:.0f} MB, limit {megabytes} MB")
for p in problems:
    print(f"run-bounded: {p}")
sys.exit(1 if problems else 0)
