"""Runs two nhc compiles on one compile cache at once: FIRST, then, once
FIRST holds a fill lock for each of the COUNT builds it compiles (DIR/*.lock),
SECOND. Prints each one's standard error after "first:" and "second:" and
fails if either fails.

usage: compile-while-another-does.py DIR COUNT FIRST-ARGS... -- SECOND-ARGS...
"""
import pathlib
import subprocess
import sys
import time

directory, count = pathlib.Path(sys.argv[1]), int(sys.argv[2])
split = sys.argv.index("--")
first_args, second_args = sys.argv[3:split], sys.argv[split + 1:]

first = subprocess.Popen(first_args, stderr=subprocess.PIPE, text=True)
deadline = time.monotonic() + 120
while len(list(directory.glob("*.lock"))) < count:
    if first.poll() is not None or time.monotonic() > deadline:
        first.kill()
        sys.exit(f"the first compile held {len(list(directory.glob('*.lock')))}"
                 f" of {count} fill locks (exit {first.returncode})")
    time.sleep(0.01)
second = subprocess.run(second_args, stderr=subprocess.PIPE, text=True)
_, first_err = first.communicate()
for name, code, err in (("first", first.returncode, first_err),
                        ("second", second.returncode, second.stderr)):
    for line in err.splitlines():
        print(f"{name}: {line}")
    if code != 0:
        sys.exit(f"{name} compile exited {code}")
