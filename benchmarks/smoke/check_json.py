"""Smoke test of one benchmark harness or CPython peer (benchmarks/smoke/).

    check_json.py OUT.json -- COMMAND [ARG...]

Removes OUT.json, runs COMMAND with --benchmark_out=OUT.json appended (stdin
closed), then asserts that the command exited 0 and that OUT.json is valid
Google Benchmark JSON: a "benchmarks" list that is not empty, each row with a
name, a run_type, a positive real_time and a time_unit, and no row with
error_occurred. Speed is never checked. Exit status 0 when all holds.
"""

import json
import os
import subprocess
import sys


def fail(message):
    print("check_json: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: not readable JSON: %s" % (path, e))
    if not isinstance(doc, dict):
        fail("%s: the top level is not an object" % path)
    if not isinstance(doc.get("context"), dict):
        fail("%s: no \"context\" object" % path)
    rows = doc.get("benchmarks")
    if not isinstance(rows, list) or not rows:
        fail("%s: \"benchmarks\" is missing or empty" % path)
    for row in rows:
        name = row.get("name") if isinstance(row, dict) else None
        if not isinstance(name, str) or not name:
            fail("%s: a row without a name: %r" % (path, row))
        if row.get("error_occurred"):
            fail("%s: %s: error_occurred: %s" % (path, name, row.get("error_message", "")))
        if row.get("run_type") not in ("iteration", "aggregate"):
            fail("%s: %s: run_type %r" % (path, name, row.get("run_type")))
        if row.get("time_unit") not in ("ns", "us", "ms", "s"):
            fail("%s: %s: time_unit %r" % (path, name, row.get("time_unit")))
        real = row.get("real_time")
        if not isinstance(real, (int, float)) or real < 0:
            fail("%s: %s: real_time %r" % (path, name, real))
        if row.get("run_type") == "iteration" and not row.get("iterations", 0) > 0:
            fail("%s: %s: iterations %r" % (path, name, row.get("iterations")))
    return rows


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        fail("usage: check_json.py OUT.json -- COMMAND [ARG...]")
    out, command = argv[1], argv[3:]
    if os.path.exists(out):
        os.remove(out)
    command = command + ["--benchmark_out=" + out]
    print("check_json: running " + " ".join(command), flush=True)
    status = subprocess.call(command, stdin=subprocess.DEVNULL)
    if status != 0:
        fail("the command exited with status %d" % status)
    rows = check(out)
    print("check_json: ok: %d rows in %s" % (len(rows), out))


if __name__ == "__main__":
    main(sys.argv)
