"""Issue 11's speed targets, read off nhc-bench JSON reports.

    issue_targets.py TARGET.json [--compare LABEL=OTHER.json ...]

TARGET.json is an nhc-bench report of the issue's target model on a GPU
(tools/scripts/gpu-check.sh's bench-nano-9b-v2.json: Nemotron Nano 9B v2 in
bf16); each --compare report is the same model under another setting (e.g.
no-pdl=bench-nano-9b-v2-no-pdl.json), whose rows of the same shape are set
beside the target's. Prints one line per target: the measured fraction of
its limit, MET, NOT MET or NOT MEASURED (no row of that shape, a smoke run,
or a host run); then, per comparison, each shared row's time in both runs.
Exit 0 whatever the targets say (the summary is information); 2 for a
report it cannot read or bad usage. Standard library only.
"""
import json
import sys

# The targets of issue 11 ("Targets"), the one place they are written down:
# (what, phase, the row's shape key and value, least fraction of the limit).
TARGETS = [
    ("decode B=1, HBM roofline", "decode", "batch", 1, 0.70),
    ("decode B=64, HBM roofline", "decode", "batch", 64, 0.50),
    ("prefill 8k, bf16 tensor-core peak", "prefill", "tokens", 8192, 0.40),
]
# Cold start to the first token, seconds (plus the weight upload, which a
# run with weights generated on the device does not have).
FIRST_TOKEN_LIMIT_S = 2.0
USAGE = "usage: issue_targets.py TARGET.json [--compare LABEL=OTHER.json ...]"


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"issue_targets: {path}: {e}")
    if not isinstance(report, dict) or report.get("format") != "nhc-bench":
        fail(f"issue_targets: {path}: not an nhc-bench report")
    return report


def shape(row):
    if row.get("phase") == "prefill":
        return f"prefill L={row.get('tokens')}"
    return f"decode B={row.get('batch')} ctx={row.get('context')}"


def step_seconds(row):
    """A decode row's time per step, a prefill row's per prompt."""
    if row.get("phase") == "decode":
        return row["seconds"] / max(row.get("steps", 1), 1)
    return row["seconds"]


def environment_change(target, other):
    """The NHC_* settings in which `other` ran differently from `target`."""
    mine, theirs = target.get("environment", {}), other.get("environment", {})
    changed = [f"{k}={theirs[k]}" for k in sorted(theirs) if mine.get(k) != theirs[k]]
    changed += [f"{k} unset" for k in sorted(mine) if k not in theirs]
    return " ".join(changed) or "the same NHC_* settings"


def why_not_a_measurement(report):
    if report.get("smoke"):
        return "a --smoke run (tiny sizes)"
    if report.get("backend") != "cuda":
        return f"the {report.get('backend')} backend, not a GPU"
    return None


def main(argv):
    if len(argv) < 1 or argv[0].startswith("-"):
        fail(USAGE)
    target = load(argv[0])
    comparisons = []
    rest = argv[1:]
    while rest:
        if rest[0] != "--compare" or len(rest) < 2 or "=" not in rest[1]:
            fail(USAGE)
        label, path = rest[1].split("=", 1)
        comparisons.append((label, load(path)))
        rest = rest[2:]

    device = target.get("device", {}).get("name", "no GPU")
    print(f"issue 11 targets ({target.get('model', {}).get('artifact', '?')}, "
          f"{device}):")
    excuse = why_not_a_measurement(target)
    rows = target.get("results", [])
    for what, phase, key, value, least in TARGETS:
        matching = [r for r in rows if r.get("phase") == phase and r.get(key) == value]
        if excuse or not matching:
            reason = excuse or f"no {phase} row with {key} {value}"
            print(f"  {what}: NOT MEASURED ({reason}; target >= {least:.0%})")
            continue
        for row in matching:
            fraction = row.get("fraction_of_limit")
            if not isinstance(fraction, (int, float)):
                print(f"  {what}, {shape(row)}: NOT MEASURED (fraction_of_limit "
                      f"is {fraction!r}; target >= {least:.0%})")
                continue
            verdict = "MET" if fraction >= least else "NOT MET"
            print(f"  {what}, {shape(row)}: {fraction:.1%} of {row['limit']} "
                  f"(target >= {least:.0%}): {verdict}; "
                  f"{step_seconds(row) * 1e3:.2f} ms")
    first_token = target.get("first_token_s")
    if excuse or first_token is None:
        print(f"  cold start to first token: NOT MEASURED "
              f"({excuse or 'no first_token_s'}; target < {FIRST_TOKEN_LIMIT_S:g} s)")
    elif "random_weights" not in target:
        # The target excludes the upload, which such a run does not separate.
        print(f"  cold start to first token: {first_token:.2f} s with the weight "
              f"upload: NOT JUDGED (target < {FIRST_TOKEN_LIMIT_S:g} s + upload; "
              f"run with --random-weights)")
    else:
        verdict = "MET" if first_token < FIRST_TOKEN_LIMIT_S else "NOT MET"
        print(f"  cold start to first token: {first_token:.2f} s "
              f"(target < {FIRST_TOKEN_LIMIT_S:g} s + upload; weights generated "
              f"on the device, no upload): {verdict}")

    for label, other in comparisons:
        print(f"against {label} ({environment_change(target, other)}):")
        theirs = {shape(r): r for r in other.get("results", [])}
        shared = [r for r in rows if shape(r) in theirs]
        if not shared:
            print("  no row of the same shape")
        for row in shared:
            mine, base = step_seconds(row), step_seconds(theirs[shape(row)])
            change = (mine - base) / base if base > 0 else float("nan")
            print(f"  {shape(row)}: {mine * 1e3:.3f} ms here, {base * 1e3:.3f} ms "
                  f"there ({change:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
