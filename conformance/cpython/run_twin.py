#!/usr/bin/env python3
"""Runs one CPython twin: <case>.py under CPython and the concur build of
<case>.cpp, normalizes both transcripts and diffs them (issue 10).

  run_twin.py --python /usr/bin/python3 --case conformance/cpython/<case> --exe build/.../twin_<case>

A transcript is the program's stdout followed by a last line `exit=<code>`.
Both programs run with cwd = a fresh temporary directory, stdin closed and
PYTHONHASHSEED=0. Output must be canonical by construction (sorted where the
order is not specified); what cannot be, is normalized here, never dropped:
  pid=123 / ppid=123 / parent=123 -> pid=<pid> / ppid=<pid> / parent=<pid>
                          (parent= as in a Process repr)
  0x7f3a...               -> 0x<addr>
  owner=140234            -> owner=<ident>   (a thread ident in an RLock repr)
  elapsed=0.123           -> elapsed=<t>   (print timings only in this form)
  /tmp/tmpab12cd/...      -> <tmp>/...     (the temporary cwd)

A deliberate difference from CPython is declared in <case>.differences,
blocks of three lines (blank lines and # comments between blocks):
  python: <exact normalized line CPython prints>
  concur: <the line concur prints instead>
  why: <the reason concur differs on purpose>
The python line is replaced by the concur line before the diff, and every
declared difference is printed, so it stays visible in the test log. A
declared difference that no longer occurs fails the twin (stale declaration).

Exit status: 0 same transcript, 1 different (a unified diff is printed),
2 a program could not be run or timed out.
"""

import argparse
import difflib
import os
import pathlib
import re
import subprocess
import sys
import tempfile

TIMEOUT_S = 90

RULES = [
    (re.compile(r"\b(p?pid|parent)=\d+"), r"\1=<pid>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "0x<addr>"),
    (re.compile(r"\bowner=\d+"), "owner=<ident>"),
    (re.compile(r"\belapsed=[0-9.e+-]+"), "elapsed=<t>"),
]


def normalize(text, tmp):
    out = []
    for line in text.splitlines():
        line = line.replace(tmp, "<tmp>")
        for rx, repl in RULES:
            line = rx.sub(repl, line)
        out.append(line.rstrip())
    return out


def run(cmd):
    with tempfile.TemporaryDirectory(prefix="twin-") as tmp:
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        try:
            p = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as e:
            print("twin: %s timed out after %d s; its stdout so far:\n%s"
                  % (cmd[0], TIMEOUT_S, (e.stdout or b"").decode(errors="replace")), file=sys.stderr)
            sys.exit(2)
        except OSError as e:
            print("twin: cannot run %s: %s" % (cmd[0], e.strerror), file=sys.stderr)
            sys.exit(2)
        lines = normalize(p.stdout.decode(errors="replace"), os.path.realpath(tmp))
        lines.append("exit=%d" % p.returncode)
        return lines, p.stderr.decode(errors="replace")


def read_differences(path):
    """[(python line, concur line, why)] from <case>.differences."""
    if not path.exists():
        return []
    fields, out = {}, []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(": ")
        if not sep or key not in ("python", "concur", "why") or key in fields:
            sys.exit("twin: %s:%d: expected 'python: ', 'concur: ' then 'why: ', got %r" % (path, n, line))
        fields[key] = value
        if key == "why":
            if set(fields) != {"python", "concur", "why"}:
                sys.exit("twin: %s:%d: a block needs python:, concur: and why:" % (path, n))
            out.append((fields["python"], fields["concur"], fields["why"]))
            fields = {}
    if fields:
        sys.exit("twin: %s: unfinished block at the end" % path)
    return out


def compare(name, py_lines, cpp_lines, differences):
    expected = list(py_lines)
    for py, cc, why in differences:
        hits = [i for i, line in enumerate(expected) if line == py]
        if not hits:
            print("twin %s: declared difference no longer occurs (stale): python: %s" % (name, py))
            return 1
        for i in hits:
            expected[i] = cc
        print("twin %s: declared difference: CPython prints %r, concur %r: %s" % (name, py, cc, why))
    if expected == cpp_lines:
        print("twin %s: same transcript (%d lines)" % (name, len(cpp_lines)))
        return 0
    print("twin %s: transcripts differ (--- CPython, +++ concur):" % name)
    sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in expected], [l + "\n" for l in cpp_lines],
                                               "CPython", "concur", lineterm="\n"))
    return 1


def self_test():
    """The runner catches a difference and honours a declared one."""
    with tempfile.TemporaryDirectory() as d:
        a = pathlib.Path(d, "a.py")
        a.write_text("print('get order: 1 2 3')\nprint('pid=%d' % __import__('os').getpid())\n")
        b = pathlib.Path(d, "b.py")
        b.write_text("print('get order: 1 3 2')\nprint('pid=%d' % __import__('os').getpid())\n")
        la, _ = run([sys.executable, str(a)])
        lb, _ = run([sys.executable, str(b)])
        assert la[1] == "pid=<pid>", la
        assert compare("self-test/differ", la, lb, []) == 1
        assert compare("self-test/same", la, list(la), []) == 0
        assert compare("self-test/declared", la, lb, [("get order: 1 2 3", "get order: 1 3 2", "test")]) == 0
        assert compare("self-test/stale", la, la, [("nope", "x", "test")]) == 1
    print("twin runner self-test: ok")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python")
    ap.add_argument("--case", help="path without extension: <case>.py and <case>.differences")
    ap.add_argument("--exe", help="the concur twin executable")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not (a.python and a.case and a.exe):
        ap.error("--python, --case and --exe are required")
    case = pathlib.Path(a.case)
    py_lines, py_err = run([a.python, str(case.with_suffix(".py"))])
    cpp_lines, cpp_err = run([a.exe])
    status = compare(case.name, py_lines, cpp_lines, read_differences(case.with_suffix(".differences")))
    if status:
        for who, err in (("CPython", py_err), ("concur", cpp_err)):
            if err.strip():
                print("--- %s stderr:\n%s" % (who, err.rstrip()))
    return status


if __name__ == "__main__":
    sys.exit(main())
