#!/usr/bin/python3
"""CPython peer of benchmarks/start_cost_benchmark.cpp.

Runs the same workloads on CPython's multiprocessing and writes
Google-Benchmark-format JSON with the same benchmark names:

  BM_ProcessStartJoin/<method>               get_context(method).Process(target=noop),
                                             start() + join(), for fork, spawn, forkserver
  BM_ProcessStartJoin/<method>/rss_mib:1024  the same while the parent holds a
                                             touched 1 GiB bytearray

real_time is the wall time per start+join in microseconds (time.perf_counter),
cpu_time the parent's CPU time per iteration (time.process_time).

Run with Debian's interpreter (the project's scripts use /usr/bin/python3):
  /usr/bin/python3 benchmarks/peers/start_cost.py --benchmark_out=out.json
Options (Google Benchmark spelling):
  --benchmark_out=<path>        JSON output file (default: JSON to stdout only)
  --benchmark_filter=<regex>    run only benchmarks whose name matches (re.search)
  --benchmark_min_time=<secs>   timed seconds per benchmark (default 0.5)
  --benchmark_repetitions=<n>   run each benchmark n times, one row per run
Total run time is capped at about 60 s; spawn (~50-70 ms per start) gets few
iterations.
"""

import datetime
import json
import multiprocessing
import os
import platform
import re
import socket
import sys
import time

RSS_BYTES = 1024 << 20
METHODS = ("fork", "spawn", "forkserver")
TOTAL_BUDGET_S = 60.0
MAX_ITERATIONS = 100000


def noop():
    pass


def start_join(ctx):
    p = ctx.Process(target=noop)
    p.start()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError("child exitcode %r" % p.exitcode)


def timed(ctx, n):
    """(wall seconds, parent CPU seconds) for n start+join."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(n):
        start_join(ctx)
    return time.perf_counter() - t0, time.process_time() - c0


def run_one(method, rss, min_time, deadline):
    ctx = multiprocessing.get_context(method)
    start_join(ctx)  # warm-up: starts the forkserver, imports what children need
    ballast = None
    if rss:
        ballast = bytearray(rss)  # zero-filled, so every page is touched
        ballast[::4096] = b"\x01" * len(range(0, rss, 4096))
    # Calibrate like Google Benchmark: grow n until one run lasts min_time.
    n = 1
    while True:
        wall, cpu = timed(ctx, n)
        remaining = deadline - time.monotonic()
        if wall >= min_time or n >= MAX_ITERATIONS or remaining <= wall:
            break
        per_iter = max(wall / n, 1e-6)
        target = min(min_time * 1.4, remaining * 0.5)
        grown = int(target / per_iter) + 1
        n = max(n + 1, min(grown, n * 10, MAX_ITERATIONS))
        if per_iter * n > remaining:  # would overrun the total budget
            n = max(1, int(remaining / per_iter))
    del ballast
    return n, wall, cpu


def main():
    out = None
    pattern = None
    min_time = 0.5
    repetitions = 1
    for arg in sys.argv[1:]:
        if arg.startswith("--benchmark_out="):
            out = arg.split("=", 1)[1]
        elif arg.startswith("--benchmark_filter="):
            pattern = arg.split("=", 1)[1] or None
        elif arg.startswith("--benchmark_min_time="):
            min_time = float(arg.split("=", 1)[1].rstrip("s"))
        elif arg.startswith("--benchmark_repetitions="):
            repetitions = max(1, int(arg.split("=", 1)[1]))
        elif arg.startswith("--benchmark_out_format="):
            if arg.split("=", 1)[1] != "json":
                sys.exit("start_cost.py: only --benchmark_out_format=json is supported")
        else:
            sys.exit("start_cost.py: unrecognized argument %r" % arg)

    cases = []
    for rss in (0, RSS_BYTES):
        for method in METHODS:
            name = "BM_ProcessStartJoin/" + method
            if rss:
                name += "/rss_mib:%d" % (rss >> 20)
            if pattern is None or re.search(pattern, name):
                cases.extend((name, method, rss, rep) for rep in range(repetitions))

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

    deadline = time.monotonic() + TOTAL_BUDGET_S
    results = []
    for index, (name, method, rss, rep) in enumerate(cases):
        # Share what is left of the budget among the benchmarks still to run.
        remaining = deadline - time.monotonic()
        share = time.monotonic() + max(remaining / (len(cases) - index), 0.0)
        n, wall, cpu = run_one(method, rss, min_time, share)
        real_us = wall / n * 1e6
        cpu_us = cpu / n * 1e6
        results.append({
            "name": name,
            "family_index": index // repetitions,
            "per_family_instance_index": 0,
            "run_name": name,
            "run_type": "iteration",
            "repetitions": repetitions,
            "repetition_index": rep,
            "threads": 1,
            "iterations": n,
            "real_time": real_us,
            "cpu_time": cpu_us,
            "time_unit": "us",
            "items_per_second": n / wall if wall > 0 else 0.0,
        })
        print("%-44s %10.0f us %10.0f us %10d items_per_second=%.4g/s"
              % (name, real_us, cpu_us, n, n / wall if wall > 0 else 0.0), flush=True)

    doc = json.dumps({"context": context, "benchmarks": results}, indent=2) + "\n"
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(doc)
    else:
        sys.stdout.write(doc)


if __name__ == "__main__":
    main()
