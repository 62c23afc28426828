#!/usr/bin/python3
"""CPython peer of benchmarks/ipc_benchmark.cpp.

Runs the same workloads on CPython and writes Google-Benchmark-format JSON
with the same benchmark names. A producer process (fork start method) sends
messages of one size as fast as it can; the parent receives them inside the
timed loop. One iteration is one message: items_per_second is messages per
second, bytes_per_second the payload rate.

  BM_Floor_RawPipe/<size>   os.write/os.read of whole messages on an os.pipe()
                            enlarged to 1 MiB (F_SETPIPE_SZ)
  BM_Pipe/<size>            multiprocessing.Pipe(duplex=False):
                            send_bytes/recv_bytes
  BM_Queue/<size>           multiprocessing.Queue put/get of bytes. The queue
                            is bounded to about 1 MiB of items in flight
                            (maxsize = clamp(1 MiB / size, 2, 16384)), as
                            concur's Queue is bounded by its 1 MiB ring:
                            CPython's unbounded put() would buffer without
                            limit in the producer.

Sizes: 64 B, 4 KiB, 64 KiB, 1 MiB. real_time is the wall time per message
in microseconds (time.perf_counter), cpu_time the parent's CPU time per
message (time.process_time).

Run with Debian's interpreter (the project's scripts use /usr/bin/python3):
  /usr/bin/python3 benchmarks/peers/ipc.py --benchmark_out=out.json
Options (Google Benchmark spelling):
  --benchmark_out=<path>        JSON output file (default: JSON to stdout only)
  --benchmark_filter=<regex>    run only benchmarks whose name matches (re.search)
  --benchmark_min_time=<secs>   timed seconds per benchmark (default 0.5)
  --benchmark_repetitions=<n>   run each benchmark n times, one row per run
Total run time is capped at about 60 s.
"""

import fcntl
import multiprocessing
import os
import queue

import gbench_peer

SIZES = (64, 4096, 65536, 1 << 20)
FAMILIES = ("BM_Floor_RawPipe", "BM_Pipe", "BM_Queue")
TOTAL_BUDGET_S = 60.0
MAX_ITERATIONS = 10 ** 8
PIPE_BYTES = 1 << 20
RING_BYTES = 1 << 20


# ---- producers (run in the forked child) ----------------------------------

def raw_pipe_producer(r, w, size):
    os.close(r)
    msg = b"x" * size
    try:
        while True:
            view = memoryview(msg)
            while view:
                n = os.write(w, view)
                view = view[n:]
    except OSError:  # the reader closed its end (EPIPE)
        pass


def pipe_producer(r, w, size):
    r.close()
    msg = b"x" * size
    try:
        while True:
            w.send_bytes(msg)
    except OSError:  # the reader closed its end (EPIPE)
        pass


def queue_producer(q, stop, size):
    # Items still buffered in the feeder thread at exit are dropped instead
    # of blocking the exit (nobody reads them once the parent stopped).
    q.cancel_join_thread()
    msg = b"x" * size
    while not stop.is_set():
        try:
            q.put(msg, timeout=0.05)
        except queue.Full:
            pass


# ---- consumers (the parent, timed) ----------------------------------------

class RawPipe:
    def __init__(self, ctx, size):
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # above fs.pipe-max-size: keep the default
        self.size = size
        self.r = r
        self.proc = ctx.Process(target=raw_pipe_producer, args=(r, w, size))
        self.proc.start()
        os.close(w)

    def run(self, n):
        read, r, size = os.read, self.r, self.size
        for _ in range(n):
            left = size
            while left:
                chunk = read(r, left)
                if not chunk:
                    raise RuntimeError("pipe producer died")
                left -= len(chunk)

    def stop(self):
        os.close(self.r)
        self.proc.join()


class Pipe:
    def __init__(self, ctx, size):
        r, w = ctx.Pipe(duplex=False)
        self.r = r
        self.proc = ctx.Process(target=pipe_producer, args=(r, w, size))
        self.proc.start()
        w.close()

    def run(self, n):
        recv = self.r.recv_bytes
        for _ in range(n):
            recv()

    def stop(self):
        self.r.close()
        self.proc.join()


class Queue:
    def __init__(self, ctx, size):
        self.q = ctx.Queue(maxsize=max(2, min(16384, RING_BYTES // size)))
        self.stop_event = ctx.Event()
        self.proc = ctx.Process(target=queue_producer, args=(self.q, self.stop_event, size))
        self.proc.start()

    def run(self, n):
        get = self.q.get
        for _ in range(n):
            get()

    def stop(self):
        self.stop_event.set()
        self.proc.join()


CHANNELS = {"BM_Floor_RawPipe": RawPipe, "BM_Pipe": Pipe, "BM_Queue": Queue}


def run_one(family, size, min_time, deadline):
    ctx = multiprocessing.get_context("fork")
    channel = CHANNELS[family](ctx, size)
    try:
        channel.run(2)  # warm-up: the producer is running
        return gbench_peer.calibrate(channel.run, min_time, deadline, MAX_ITERATIONS)
    finally:
        channel.stop()


def main():
    cases = [("%s/%d" % (family, size), (family, size), size) for size in SIZES for family in FAMILIES]
    gbench_peer.run("ipc.py", cases,
                    lambda family, size, min_time, until: run_one(family, size, min_time, until),
                    TOTAL_BUDGET_S, time_format="%10.3f")


if __name__ == "__main__":
    main()
