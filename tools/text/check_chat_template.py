#!/usr/bin/env python3
"""Compares nhc's chat template renderer with Python jinja2.

Renders every (template, context) pair of the test data with Python jinja2
configured exactly as transformers' apply_chat_template configures it
(ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and the
loopcontrols extension; globals raise_exception, strftime_now, dict and a
namespace that rejects underscore-prefixed names; transformers' tojson
filter), runs `nhc-chat-template` on the same pair, and fails on any
difference with a readable diff. It also checks that the committed expected
renderings (used by the GoogleTest, which needs no Python) are current, and
cross-checks with transformers' own compiled template when transformers is
importable.

    check_chat_template.py --binary build/bin/nhc-chat-template
    check_chat_template.py --regenerate      # rewrite data/expected/

The context's members are the template's variables verbatim (so a context
mirroring apply_chat_template carries "tools": null, "documents": null and
"add_generation_prompt" as transformers passes them).
"""
import argparse
import difflib
import json
import pathlib
import subprocess
import sys
from datetime import datetime

try:
    import jinja2
    import jinja2.ext
    import jinja2.utils
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:  # pragma: no cover - reported as a failure
    sys.exit("check_chat_template.py: jinja2 is not installed in this "
             "interpreter; run tools/scripts/setup.sh or set NHC_TEST_PYTHON")

DEFAULT_DATA = (pathlib.Path(__file__).resolve().parents[2] /
                "runtime/text/chat_template/test/data")


def make_environment():
    """The environment transformers' _compile_jinja_template builds
    (transformers 5.x, utils/chat_template_utils.py), without the
    AssistantTracker extension's token bookkeeping: its {% generation %}
    tag only renders its body."""

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None,
               sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    class TemplateDict:
        def __call__(self, *args, **kwargs):
            return dict(*args, **kwargs)

        def fromkeys(self, *args, **kwargs):
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        def __init__(*args, **kwargs):
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name, value):
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(
                    "Chat templates cannot store underscore-prefixed attributes "
                    f"on a namespace, but got {name!r}. Please rename the attribute.")

    class Generation(jinja2.ext.Extension):
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_render"), [], [],
                                          body).set_lineno(lineno)

        def _render(self, caller):
            return caller()

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env


def render_python(env, source, context):
    """Returns (status, text, raised): ("ok", rendering, False) or
    ("error", message, whether raise_exception raised it)."""
    try:
        return "ok", env.from_string(source).render(**context), False
    except jinja2.exceptions.TemplateSyntaxError as e:
        return "error", f"TemplateSyntaxError: {e}", False
    except jinja2.exceptions.TemplateError as e:
        # raise_exception raises TemplateError itself; jinja2's own runtime
        # errors are subclasses (UndefinedError, SecurityError).
        if type(e) is jinja2.exceptions.TemplateError:
            return "error", str(e), True
        return "error", f"{type(e).__name__}: {e}", False
    except Exception as e:  # TypeError, ValueError, ... inside the template
        return "error", f"{type(e).__name__}: {e}", False


def render_transformers(source, context):
    try:
        from transformers.utils.chat_template_utils import _compile_jinja_template
    except Exception:
        return None
    try:
        return "ok", _compile_jinja_template(source).render(**context)
    except Exception as e:
        return "error", str(e)


def render_nhc(binary, template_path, context_path):
    proc = subprocess.run([binary, str(template_path), str(context_path)],
                          capture_output=True, timeout=60)
    if proc.returncode == 0:
        return "ok", proc.stdout.decode("utf-8")
    return "error", proc.stderr.decode("utf-8", "replace").strip()


def diff(expected, got, label):
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True), got.splitlines(keepends=True),
        fromfile=f"{label} (jinja2)", tofile=f"{label} (nhc)")
    text = "".join(repr(l)[1:-1] + "\n" if not l.startswith(("---", "+++", "@@")) else l
                   for l in lines)
    if not text:  # differ only in a missing final newline, say
        text = f"jinja2: {expected!r}\nnhc:    {got!r}\n"
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="nhc-chat-template executable")
    ap.add_argument("--data", default=str(DEFAULT_DATA),
                    help="test data folder (templates/, contexts/, expected/)")
    ap.add_argument("--regenerate", action="store_true",
                    help="rewrite expected/ from Python jinja2")
    args = ap.parse_args()
    data = pathlib.Path(args.data)
    templates = sorted((data / "templates").glob("*.jinja"))
    contexts = sorted((data / "contexts").glob("*.json"))
    if not templates or not contexts:
        sys.exit(f"no templates or contexts under {data}")
    env = make_environment()
    expected_dir = data / "expected"
    failures = []
    manifest = []
    checked = 0
    for tpath in templates:
        source = tpath.read_text(encoding="utf-8")
        for cpath in contexts:
            context = json.loads(cpath.read_text(encoding="utf-8"))
            label = f"{tpath.name} x {cpath.name}"
            status, text, raised = render_python(env, source, context)
            out_name = f"{tpath.stem}__{cpath.stem}.txt"
            entry = {"template": tpath.name, "context": cpath.name,
                     "expected": out_name, "status": status}
            if raised:
                entry["message"] = text  # nhc's error must contain it
            manifest.append(entry)
            committed = expected_dir / out_name
            if args.regenerate:
                committed.parent.mkdir(parents=True, exist_ok=True)
                with open(committed, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
            else:
                old = committed.read_text(encoding="utf-8") if committed.exists() else None
                if old != text:
                    failures.append(f"{label}: committed {committed.name} is stale; "
                                    "run tools/text/check_chat_template.py --regenerate")
            tf = render_transformers(source, context)
            if tf is not None and tf[0] == "ok" and (status, text) != tf:
                failures.append(f"{label}: transformers renders differently from this "
                                "script's jinja2 environment:\n" + diff(tf[1], text, label))
            if args.binary:
                got_status, got = render_nhc(args.binary, tpath, cpath)
                checked += 1
                if status == "ok" and got_status != "ok":
                    failures.append(f"{label}: jinja2 rendered, nhc failed: {got}")
                elif status == "ok" and got != text:
                    failures.append(f"{label}: renderings differ:\n" + diff(text, got, label))
                elif status == "error" and got_status == "ok":
                    failures.append(f"{label}: jinja2 raised ({text}), nhc rendered {got!r}")
                elif status == "error" and "message" in entry and entry["message"] not in got:
                    failures.append(f"{label}: raise_exception message {entry['message']!r} "
                                    f"missing from nhc's error: {got}")
    if args.regenerate:
        with open(expected_dir / "manifest.json", "w", encoding="utf-8", newline="\n") as f:
            json.dump(manifest, f, indent=1, ensure_ascii=False)
            f.write("\n")
        live = {e["expected"] for e in manifest} | {"manifest.json"}
        for stale in expected_dir.iterdir():
            if stale.name not in live:
                stale.unlink()
        print(f"wrote {len(manifest)} expected renderings to {expected_dir}")
        return 0
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    n_err = sum(1 for e in manifest if e["status"] == "error")
    print(f"{len(manifest)} pairs ({len(templates)} templates x {len(contexts)} contexts, "
          f"{n_err} where jinja2 raises), {checked} compared with nhc, "
          f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
