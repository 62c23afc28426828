"""What every CPython peer shares: Google Benchmark's command line, budget
sharing, console lines and JSON (benchmarks/peers/<harness>.py).

A peer lists its cases as (name, params, bytes_per_item) and gives a
run_case(*params, min_time, until) -> (iterations, wall_s, cpu_s) function;
run() does the rest, so every peer reads the same flags as the C++ harness
(--benchmark_out, --benchmark_filter, --benchmark_min_time,
--benchmark_repetitions) and writes the same JSON shape that
scripts/ratios.py reads.
"""

import datetime
import json
import os
import platform
import re
import socket
import sys
import time


def parse_args(prog, argv):
    opts = {"out": None, "pattern": None, "min_time": 0.5, "repetitions": 1}
    for arg in argv:
        key, _, value = arg.partition("=")
        if key == "--benchmark_out":
            opts["out"] = value
        elif key == "--benchmark_filter":
            opts["pattern"] = value or None
        elif key == "--benchmark_min_time":
            opts["min_time"] = float(value.rstrip("s"))
        elif key == "--benchmark_repetitions":
            opts["repetitions"] = max(1, int(value))
        elif key == "--benchmark_out_format":
            if value != "json":
                sys.exit("%s: only --benchmark_out_format=json is supported" % prog)
        else:
            sys.exit("%s: unrecognized argument %r" % (prog, arg))
    return opts


def calibrate(run_n, min_time, until, max_iterations, min_per_iter=1e-7):
    """Grows n like Google Benchmark until one run_n(n) lasts min_time, without
    overrunning `until` (a time.monotonic() deadline). Returns (n, wall, cpu)."""
    n = 1
    while True:
        c0 = time.process_time()
        t0 = time.perf_counter()
        run_n(n)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        remaining = until - time.monotonic()
        if wall >= min_time or n >= max_iterations or remaining <= wall:
            return n, wall, cpu
        per_iter = max(wall / n, min_per_iter)
        target = min(min_time * 1.4, remaining * 0.5)
        grown = int(target / per_iter) + 1
        n = max(n + 1, min(grown, n * 10, max_iterations))
        if per_iter * n > remaining:  # would overrun the total budget
            n = max(1, int(remaining / per_iter))


def run(prog, cases, run_case, total_budget_s, argv=None, time_format="%10.0f"):
    """cases: [(name, params tuple, bytes_per_item or None[, items_per_iteration])]."""
    opts = parse_args(prog, sys.argv[1:] if argv is None else argv)
    # A case may carry a 4th element: items per iteration (default 1), for
    # peers whose one iteration is many tasks (pool.py: a map of 10000).
    cases = [tuple(c) + (1,) if len(c) == 3 else tuple(c) for c in cases]
    items = {name: per for name, _, _, per in cases}
    selected = [(name, params, size, rep)
                for name, params, size, _ in cases
                if opts["pattern"] is None or re.search(opts["pattern"], name)
                for rep in range(opts["repetitions"])]
    version = platform.python_version()
    context = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "executable": "cpython %s" % version,
        "python_executable": sys.executable,
        "num_cpus": os.cpu_count(),
        "load_avg": list(os.getloadavg()),
        "library_build_type": "release",
    }
    print("Running CPython %s peer (%s)" % (version, sys.executable), file=sys.stderr)
    header = "%-44s %13s %13s %10s" % ("Benchmark", "Time", "CPU", "Iterations")
    print("-" * len(header) + "\n" + header + "\n" + "-" * len(header))

    deadline = time.monotonic() + total_budget_s
    results = []
    for index, (name, params, size, rep) in enumerate(selected):
        # Share what is left of the budget among the benchmarks still to run.
        remaining = deadline - time.monotonic()
        until = time.monotonic() + max(remaining / (len(selected) - index), 0.0)
        n, wall, cpu = run_case(*params, min_time=opts["min_time"], until=until)
        real_us = wall / n * 1e6
        cpu_us = cpu / n * 1e6
        rate = n * items[name] / wall if wall > 0 else 0.0
        row = {
            "name": name,
            "family_index": index // opts["repetitions"],
            "per_family_instance_index": 0,
            "run_name": name,
            "run_type": "iteration",
            "repetitions": opts["repetitions"],
            "repetition_index": rep,
            "threads": 1,
            "iterations": n,
            "real_time": real_us,
            "cpu_time": cpu_us,
            "time_unit": "us",
        }
        counters = ""
        if size is not None:
            row["bytes_per_second"] = rate * size
            counters += " bytes_per_second=%.4g/s" % (rate * size)
        row["items_per_second"] = rate
        counters += " items_per_second=%.4g/s" % rate
        results.append(row)
        print(("%-44s " + time_format + " us " + time_format + " us %10d%s")
              % (name, real_us, cpu_us, n, counters), flush=True)

    doc = json.dumps({"context": context, "benchmarks": results}, indent=2) + "\n"
    if opts["out"]:
        with open(opts["out"], "w", encoding="utf-8") as f:
            f.write(doc)
    else:
        sys.stdout.write(doc)
