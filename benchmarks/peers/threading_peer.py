#!/usr/bin/python3
"""CPython peer of benchmarks/threading_benchmark.cpp (named threading_peer.py, not
threading.py, so that it does not shadow the standard library module for the
other peers; scripts/bench maps <harness>_peer.py to <harness>).

Runs the same workloads on CPython's threading and queue modules and writes
Google-Benchmark-format JSON; rows are named CPython_<the C++ name without
"BM_"> (scripts/ratios.py pairs CPython_X with BM_X):

  CPython_Lock/uncontended        threading.Lock acquire+release (with-statement)
  CPython_RLock/uncontended       threading.RLock, the same
  CPython_ProcessLock/uncontended multiprocessing.Lock, the same
  CPython_Lock/threads:2          two threads hammering one threading.Lock; one
                                  iteration is one acquire+release of the timed
                                  thread, the other thread loops until it ends
  CPython_QueuePingPong           queue.Queue round trip between two threads
                                  (put → get → put back → get)

real_time is wall time per iteration in microseconds. (The std:: floors have
no CPython counterpart.) Run with Debian's interpreter:
  /usr/bin/python3 benchmarks/peers/threading_peer.py --benchmark_out=out.json
Options as every peer (gbench_peer.py). Total run time is capped at ~30 s.
"""

import multiprocessing
import queue
import threading

import gbench_peer

TOTAL_BUDGET_S = 30.0
MAX_ITERATIONS = 10 ** 8


def uncontended(make_lock):
    lock = make_lock()
    counter = [0]

    def run(n):
        for _ in range(n):
            with lock:
                counter[0] += 1
    return run, lambda: None


def contended():
    lock = threading.Lock()
    stop = threading.Event()
    counter = [0]

    def hammer():
        while not stop.is_set():
            with lock:
                counter[0] += 1
    other = threading.Thread(target=hammer, daemon=True)
    other.start()

    def run(n):
        for _ in range(n):
            with lock:
                counter[0] += 1

    def finish():
        stop.set()
        other.join()
    return run, finish


def pingpong():
    there, back = queue.Queue(), queue.Queue()

    def echo():
        while True:
            v = there.get()
            back.put(v)
            if v < 0:
                return
    other = threading.Thread(target=echo, daemon=True)
    other.start()

    def run(n):
        for i in range(n):
            there.put(i)
            back.get()

    def finish():
        there.put(-1)
        back.get()
        other.join()
    return run, finish


CASES = {
    "CPython_Lock/uncontended": lambda: uncontended(threading.Lock),
    "CPython_RLock/uncontended": lambda: uncontended(threading.RLock),
    "CPython_ProcessLock/uncontended": lambda: uncontended(multiprocessing.Lock),
    "CPython_Lock/threads:2": contended,
    "CPython_QueuePingPong": pingpong,
}


def run_case(name, min_time, until):
    run, finish = CASES[name]()
    try:
        return gbench_peer.calibrate(run, min_time, until, MAX_ITERATIONS)
    finally:
        finish()


def main():
    cases = [(name, (name,), None) for name in CASES]
    gbench_peer.run("threading_peer.py", cases, run_case, TOTAL_BUDGET_S, time_format="%10.3f")


if __name__ == "__main__":
    main()
