"""Runs two nhc compiles on one compile cache at once: FIRST, then, once
FIRST holds a fill lock for each of the COUNT builds it compiles (DIR/*.lock),
SECOND. Prints each one's standard error after "first:" and "second:" and
fails if either fails.

usage: compile-while-another-does.py DIR COUNT FIRST-ARGS... -- SECOND-ARGS...
"""
import pathlib
import subprocess
import sys
import tempfile
import time

directory, count = pathlib.Path(sys.argv[1]), int(sys.argv[2])
split = sys.argv.index("--")
first_args, second_args = sys.argv[3:split], sys.argv[split + 1:]

# A file, not a pipe: a pipe nobody reads until the end could fill up and
# stop the first compile while it holds its locks.
first_log = tempfile.TemporaryFile(mode="w+")
first = subprocess.Popen(first_args, stderr=first_log, text=True)
deadline = time.monotonic() + 120
while len(list(directory.glob("*.lock"))) < count:
    if first.poll() is not None or time.monotonic() > deadline:
        first.kill()
        sys.exit(f"the first compile held {len(list(directory.glob('*.lock')))}"
                 f" of {count} fill locks (exit {first.returncode})")
    time.sleep(0.01)
second = subprocess.run(second_args, stderr=subprocess.PIPE, text=True)
first.wait()
first_log.seek(0)
first_err = first_log.read()
for name, code, err in (("first", first.returncode, first_err),
                        ("second", second.returncode, second.stderr)):
    for line in err.splitlines():
        print(f"{name}: {line}")
    if code != 0:
        sys.exit(f"{name} compile exited {code}")
