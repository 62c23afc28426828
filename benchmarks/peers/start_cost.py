#!/usr/bin/python3
"""CPython peer of benchmarks/start_cost_benchmark.cpp.

Runs the same workloads on CPython's multiprocessing and writes
Google-Benchmark-format JSON with the same benchmark names:

  BM_ProcessStartJoin/<method>               get_context(method).Process(target=noop),
                                             start() + join(), for fork, spawn, forkserver
  BM_ProcessStartJoin/<method>/rss_mib:1024  the same while the parent holds a
                                             touched 1 GiB bytearray
  BM_SubprocessRun/true                      subprocess.run(['true'])
  BM_PopenCommunicate/<size>                 Popen(['cat'], stdin=PIPE, stdout=PIPE)
                                             .communicate(<size> bytes)

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

import multiprocessing
import subprocess

import gbench_peer

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


def start_join_n(ctx, n):
    for _ in range(n):
        start_join(ctx)


def run_one(method, rss, min_time, deadline):
    ctx = multiprocessing.get_context(method)
    start_join(ctx)  # warm-up: starts the forkserver, imports what children need
    ballast = None
    if rss:
        ballast = bytearray(rss)  # zero-filled, so every page is touched
        ballast[::4096] = b"\x01" * len(range(0, rss, 4096))
    n, wall, cpu = gbench_peer.calibrate(lambda k: start_join_n(ctx, k), min_time, deadline, MAX_ITERATIONS, 1e-6)
    del ballast
    return n, wall, cpu


def subprocess_run_n(n):
    for _ in range(n):
        if subprocess.run(["true"]).returncode != 0:
            raise RuntimeError("true did not exit with 0")


def communicate_n(data, n):
    for _ in range(n):
        p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        out, _ = p.communicate(data)
        if len(out) != len(data) or p.returncode != 0:
            raise RuntimeError("cat did not echo the input")


def run_subprocess_case(size, min_time, deadline):
    if size is None:
        return gbench_peer.calibrate(subprocess_run_n, min_time, deadline, MAX_ITERATIONS, 1e-6)
    data = bytes(ord("a") + i % 26 for i in range(26)) * (size // 26) + b"a" * (size % 26)
    return gbench_peer.calibrate(lambda k: communicate_n(data, k), min_time, deadline, MAX_ITERATIONS, 1e-6)


COMMUNICATE_SIZES = (64, 1 << 20, 16 << 20)


def main():
    cases = []
    for rss in (0, RSS_BYTES):
        for method in METHODS:
            name = "BM_ProcessStartJoin/" + method
            if rss:
                name += "/rss_mib:%d" % (rss >> 20)
            cases.append((name, (method, rss), None))
    cases.append(("BM_SubprocessRun/true", ("subprocess", None), None))
    for size in COMMUNICATE_SIZES:
        cases.append(("BM_PopenCommunicate/%d" % size, ("subprocess", size), size))

    def run_case(method, arg, min_time, until):
        if method == "subprocess":
            return run_subprocess_case(arg, min_time, until)
        return run_one(method, arg, min_time, until)

    gbench_peer.run("start_cost.py", cases, run_case, TOTAL_BUDGET_S)


if __name__ == "__main__":
    main()
