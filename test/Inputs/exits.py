"""Runs a command and succeeds only if it exits with the given status.

lit's `not` tells success from failure, not one failure status from another
(nhc's tools exit 1 for bad input and 2 for bad usage, docs/cli.md).

usage: exits.py STATUS [NAME=VALUE ...] -- COMMAND [ARG ...]
The NAME=VALUE pairs are added to the command's environment; its output
passes through.
"""
import os
import subprocess
import sys


def main():
    args = sys.argv[1:]
    if "--" not in args or not args[0].lstrip("-").isdigit():
        sys.exit(__doc__)
    split = args.index("--")
    expected = int(args[0])
    env = dict(os.environ)
    for pair in args[1:split]:
        name, sep, value = pair.partition("=")
        if not sep:
            sys.exit(f"exits.py: not NAME=VALUE: {pair!r}")
        env[name] = value
    status = subprocess.run(args[split + 1:], env=env).returncode
    if status != expected:
        sys.stderr.write(f"exits.py: {args[split + 1]} exited {status}, "
                         f"expected {expected}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
