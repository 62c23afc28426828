"""CPython peer of benchmarks/pool_benchmark.cpp: the same Pool and executor
workloads on multiprocessing.Pool and concurrent.futures, in Google Benchmark
JSON (gbench_peer.py).

  CPython_PoolMap/<method>/tasks:10000/chunksize:1        Pool(2).map(f, range(10000), chunksize=1)
  CPython_PoolMap/<method>/tasks:10000/chunksize:default  the same with map's default chunksize
  CPython_PoolApplyAsync/<method>                         1000 apply_async(f, (i,)), then get() of each
  CPython_ThreadPoolExecutorSubmit                        ThreadPoolExecutor(2): 1000 submit(f, i), then result()

f is `def f(x): return x`. Pools are created before timing; one iteration is
one map (10000 tasks) or 1000 calls (real_time is per iteration, as in the
C++ harness), and items_per_second counts tasks.
scripts/ratios.py pairs CPython_X with the C++ harness's BM_X.
"""

import concurrent.futures
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbench_peer  # noqa: E402

METHODS = ("fork", "spawn", "forkserver")
WORKERS = 2
MAP_TASKS = 10000
CALLS = 1000
TOTAL_BUDGET_S = 120.0
MAX_ITERATIONS = 1000


def f(x):
    return x


def map_case(method, chunksize, min_time, until):
    xs = list(range(MAP_TASKS))
    with multiprocessing.get_context(method).Pool(WORKERS) as pool:
        pool.map(f, xs, chunksize)  # warm: workers started

        def run_n(n):
            for _ in range(n):
                if pool.map(f, xs, chunksize)[-1] != xs[-1]:
                    raise RuntimeError("wrong result")

        return gbench_peer.calibrate(run_n, min_time, until, MAX_ITERATIONS, 1e-3)


def apply_async_case(method, min_time, until):
    with multiprocessing.get_context(method).Pool(WORKERS) as pool:
        pool.apply(f, (0,))

        def run_n(n):
            for _ in range(n):
                rs = [pool.apply_async(f, (i,)) for i in range(CALLS)]
                for r in rs:
                    r.get()

        return gbench_peer.calibrate(run_n, min_time, until, MAX_ITERATIONS, 1e-3)


def executor_case(min_time, until):
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as executor:
        def run_n(n):
            for _ in range(n):
                fs = [executor.submit(f, i) for i in range(CALLS)]
                for fut in fs:
                    fut.result()

        return gbench_peer.calibrate(run_n, min_time, until, MAX_ITERATIONS, 1e-3)


def main():
    cases = []
    for method in METHODS:
        base = "CPython_PoolMap/%s/tasks:%d" % (method, MAP_TASKS)
        cases.append((base + "/chunksize:1", ("map", method, 1), None, MAP_TASKS))
        cases.append((base + "/chunksize:default", ("map", method, None), None, MAP_TASKS))
    for method in METHODS:
        cases.append(("CPython_PoolApplyAsync/" + method, ("apply_async", method, None), None, CALLS))
    cases.append(("CPython_ThreadPoolExecutorSubmit", ("executor", None, None), None, CALLS))

    def run_case(kind, method, chunksize, min_time, until):
        if kind == "map":
            return map_case(method, chunksize, min_time, until)
        if kind == "apply_async":
            return apply_async_case(method, min_time, until)
        return executor_case(min_time, until)

    gbench_peer.run("pool.py", cases, run_case, TOTAL_BUDGET_S)


if __name__ == "__main__":
    main()
