"""CPython peer of benchmarks/parallel_sum_benchmark.cpp: the same sums of a
list of n ints 0..n-1 on CPython, in Google Benchmark JSON (gbench_peer.py).

  CPython_Sum_Sequential/<n>   sum(list)                      (pairs with BM_Sum_Sequential/<n>)
  CPython_Sum_Pool/<n>         Pool(2).map(sum, 2 halves)     (the multiprocessing way; CPython only)

n = 10^3 .. 10^7 (and 3 x 10^5); 2^27 is left out: a list of 2^27 Python
ints needs ~5 GiB. The pool is created before timing; each iteration pickles
the halves to the workers, as Pool.map does. items_per_second counts
elements and bytes_per_second 8 bytes per element, like the C++ rows.
"""

import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbench_peer  # noqa: E402

SIZES = (1000, 10000, 100000, 300000, 1000000, 10000000)
WORKERS = 2
TOTAL_BUDGET_S = 60.0
MAX_ITERATIONS = 1000000


def sequential_case(n, min_time, until):
    xs = list(range(n))
    expected = n * (n - 1) // 2

    def run_n(k):
        for _ in range(k):
            if sum(xs) != expected:
                raise RuntimeError("wrong sum")

    return gbench_peer.calibrate(run_n, min_time, until, MAX_ITERATIONS)


def pool_case(n, min_time, until):
    xs = list(range(n))
    halves = [xs[: n // 2], xs[n // 2:]]
    expected = n * (n - 1) // 2
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        pool.map(sum, halves)  # warm: workers started

        def run_n(k):
            for _ in range(k):
                if sum(pool.map(sum, halves)) != expected:
                    raise RuntimeError("wrong sum")

        return gbench_peer.calibrate(run_n, min_time, until, MAX_ITERATIONS, 1e-4)


def main():
    cases = []
    for n in SIZES:
        cases.append(("CPython_Sum_Sequential/%d" % n, ("sequential", n), 8, n))
    for n in SIZES:
        cases.append(("CPython_Sum_Pool/%d" % n, ("pool", n), 8, n))

    def run_case(kind, n, min_time, until):
        return sequential_case(n, min_time, until) if kind == "sequential" else pool_case(n, min_time, until)

    gbench_peer.run("parallel_sum.py", cases, run_case, TOTAL_BUDGET_S)


if __name__ == "__main__":
    main()
