#!/usr/bin/python3
"""CPython peer of benchmarks/start_cost_benchmark.cpp.

Runs the same workloads on CPython's multiprocessing and writes
Google-Benchmark-format JSON; every row is named CPython_<the harness's name
without "BM_"> (scripts/ratios.py pairs them):

  CPython_ProcessStartJoin/<method>/rss_mib:<0|1024>
                                             get_context(method).Process(target=noop),
                                             start() + join(), for fork, spawn,
                                             forkserver, while the parent holds
                                             N MiB of touched 4 KiB pages (an
                                             anonymous mmap, MADV_NOHUGEPAGE)
  CPython_ProcessStartLatency/<method>       start() to the target's first
                                             statement, which writes
                                             time.monotonic_ns() (CLOCK_MONOTONIC)
                                             into a RawValue('q'); join() untimed
  CPython_SubprocessRun/true                 subprocess.run(['true'])
  CPython_PopenCommunicate/<size>            Popen(['cat'], stdin=PIPE, stdout=PIPE)
                                             .communicate(<size> bytes)

real_time is the wall time per start+join in microseconds (time.perf_counter),
or the mean start latency for the latency rows; cpu_time the parent's CPU time
per iteration (time.process_time).

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

import mmap
import multiprocessing
import subprocess
import time

import gbench_peer

RSS_MIB = (0, 1024)
METHODS = ("fork", "spawn", "forkserver")
TOTAL_BUDGET_S = 60.0
MAX_ITERATIONS = 100000
PAGE = 4096


def noop():
    pass


def stamp_start(stamp):
    stamp.value = time.monotonic_ns()


def start_join(ctx):
    p = ctx.Process(target=noop)
    p.start()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError("child exitcode %r" % p.exitcode)


def start_join_n(ctx, n):
    for _ in range(n):
        start_join(ctx)


def ballast(mib):
    """mib MiB of private anonymous memory, 4 KiB pages, every page touched."""
    if not mib:
        return None
    m = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        m.madvise(mmap.MADV_NOHUGEPAGE)
    one = b"\x01"
    for off in range(0, len(m), PAGE):
        m[off:off + 1] = one
    return m


def run_one(method, mib, min_time, deadline):
    ctx = multiprocessing.get_context(method)
    start_join(ctx)  # warm-up: starts the forkserver, imports what children need
    held = ballast(mib)
    try:
        return gbench_peer.calibrate(lambda k: start_join_n(ctx, k), min_time, deadline, MAX_ITERATIONS, 1e-6)
    finally:
        if held is not None:
            held.close()


def start_latency(ctx, stamp):
    stamp.value = 0
    p = ctx.Process(target=stamp_start, args=(stamp,))
    t0 = time.monotonic_ns()
    p.start()
    p.join()
    if p.exitcode != 0 or stamp.value == 0:
        raise RuntimeError("the child did not stamp its start (exitcode %r)" % p.exitcode)
    return (stamp.value - t0) * 1e-9


def run_latency(method, min_time, deadline):
    """Like calibrate, but the time of n starts is the sum of their latencies."""
    ctx = multiprocessing.get_context(method)
    stamp = ctx.RawValue("q", 0)
    start_latency(ctx, stamp)  # warm-up
    latency = [0.0]

    def run_n(n):
        latency[0] = sum(start_latency(ctx, stamp) for _ in range(n))

    n, _, cpu = gbench_peer.calibrate(run_n, min_time, deadline, MAX_ITERATIONS, 1e-6)
    return n, latency[0], cpu


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
    for mib in RSS_MIB:
        for method in METHODS:
            cases.append(("CPython_ProcessStartJoin/%s/rss_mib:%d" % (method, mib), ("start", method, mib), None))
    for method in METHODS:
        cases.append(("CPython_ProcessStartLatency/" + method, ("latency", method, None), None))
    cases.append(("CPython_SubprocessRun/true", ("subprocess", None, None), None))
    for size in COMMUNICATE_SIZES:
        cases.append(("CPython_PopenCommunicate/%d" % size, ("subprocess", None, size), size))

    def run_case(kind, method, arg, min_time, until):
        if kind == "subprocess":
            return run_subprocess_case(arg, min_time, until)
        if kind == "latency":
            return run_latency(method, min_time, until)
        return run_one(method, arg, min_time, until)

    gbench_peer.run("start_cost.py", cases, run_case, TOTAL_BUDGET_S)


if __name__ == "__main__":
    main()
