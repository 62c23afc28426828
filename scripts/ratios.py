#!/usr/bin/python3
"""Prints the ratio tables of one benchmark run directory (scripts/bench).

  /usr/bin/python3 scripts/ratios.py results/runs/<timestamp>

For every <harness>.json in the directory (and its peer <harness>_cpython.json)
prints a Markdown table: each benchmark's real time in µs, its ratio to the
floor it can never beat (measured in the same run), its ratio to the CPython
peer's row for the same work (CPython_<name without BM_>, see peer_name), and
the goal from the harness's header comment. With --benchmark_repetitions each
figure is the median of the repetitions. A harness with pinning control rows
(ipc) also gets a table of both pinning modes' medians and spreads.
"""

import json
import pathlib
import re
import statistics
import sys

TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

# start_cost harness: BM_ProcessStartJoin/<method>/<rss_mib:N | threads:k>
# -> (floor, goal factor vs floor, floor taken in the same parent state).
# fork's and spawn's floors are taken with the same rss_mib / threads;
# forkserver's at rss_mib:0 (the server is a small single-threaded process).
FLOORS = {
    "fork": ("BM_Floor_ForkExitWait", 1.5, True),
    "spawn": ("BM_Floor_PosixSpawn", 1.5, True),
    "forkserver": ("BM_Floor_ForkExitWait", 2.0, False),
}
# These must not grow with the parent's memory: at every rss_mib:N <= 1.2 x
# their rss_mib:0 figure.
RSS_FLAT = {"spawn": 1.2, "forkserver": 1.2}
# BM_ProcessStartLatency/<method> -> its raw floor (no goal).
LATENCY_FLOORS = {
    "fork": "BM_Floor_ForkLatency",
    "spawn": "BM_Floor_PosixSpawnLatency",
    "forkserver": "BM_Floor_ForkLatency",
}


def has_rows(path):
    """Whether path is Google Benchmark JSON with at least one benchmark row."""
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("benchmarks"))
    except (OSError, ValueError, AttributeError):
        return False


def samples(path):
    """({name: [µs of each repetition]}, {name: error string}) from a Google
    Benchmark JSON file, names in the harness's registration order; aggregate
    rows are ignored. Empty when the file does not exist."""
    times, errors = {}, {}
    if not path.exists():
        return times, errors
    benchmarks = json.loads(path.read_text(encoding="utf-8")).get("benchmarks", [])
    # Random interleaving (scripts/bench) shuffles the rows: back to the
    # harness's registration order (a stable sort keeps it without the indexes).
    benchmarks.sort(key=lambda b: (b.get("family_index", 0), b.get("per_family_instance_index", 0)))
    for b in benchmarks:
        if b.get("run_type", "iteration") != "iteration":
            continue
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors[name] = "error: " + b.get("error_message", "?")
        else:
            times.setdefault(name, []).append(b["real_time"] * TO_US[b.get("time_unit", "ns")])
    return times, errors


def load(path):
    """{name: µs or error string} from a Google Benchmark JSON file.

    With repetitions, a name's figure is the median of its iteration rows:
    robust against a noisy shared machine.
    """
    times, errors = samples(path)
    rows = {}
    for name in list(times) + [n for n in errors if n not in times]:
        rows[name] = statistics.median(times[name]) if name in times else errors[name]
    return rows


# ipc harness: each channel's floor at the same message size, and the goals of
# issue 3 as (size, kind, value): "floor" = at least value x the floor's
# throughput (time <= floor / value); "msgs" = at least value messages/s.
IPC_FLOORS = {"BM_Pipe": "BM_Floor_RawPipe", "BM_Queue": "BM_Floor_RawPipe", "BM_SharedRing": "BM_Floor_Memcpy"}
IPC_GOALS = {
    "BM_Pipe": [(65536, "floor", 0.8), (64, "msgs", 1e6)],
    "BM_Queue": [(64, "msgs", 630e3)],
    "BM_SharedRing": [(65536, "floor", 0.6), (64, "msgs", 20e6)],
}
# ipc round trips (issue 8): BM_PingPong/<channel> against the floor of its
# transport (pipes sleep in the kernel; Queue and SharedRing are shared
# memory). No goal was set: the ratios are printed, and the shared-memory
# channels' ratio to the pipe floor too.
IPC_PING_PONG_FLOORS = {
    "pipe": "BM_Floor_PipePingPong",
    "queue": "BM_Floor_ShmSpinPingPong",
    "shared_ring": "BM_Floor_ShmSpinPingPong",
}
# Pinning (ipc_benchmark.cpp, results/README.md): the shared-memory rows run
# pinned, the pipe rows unpinned; a control row in the other mode carries the
# suffix "/unpinned" or "/pinned". A row is compared with its floor's default
# row, a control row with the floor's row in the control's mode (or the
# floor's only row).
IPC_PINNED = re.compile(r"BM_(SharedRing|Queue)/\d+|BM_Floor_ShmSpinPingPong|BM_PingPong/(queue|shared_ring)")


def ipc_mode(name):
    """(row without its control suffix, pinned?)"""
    for suffix, pinned in (("/pinned", True), ("/unpinned", False)):
        if name.endswith(suffix):
            return name[:-len(suffix)], pinned
    return name, bool(IPC_PINNED.fullmatch(name))


def ipc_floor_for(name, floor_base, rows):
    """The row of floor_base that row `name` is compared with."""
    base, pinned = ipc_mode(name)
    other = floor_base + ("/pinned" if pinned else "/unpinned")
    control = name != base and ipc_mode(floor_base)[1] != pinned
    return other if control and other in rows else floor_base


def ipc_goal(name, rows):
    base, _ = ipc_mode(name)
    m = re.fullmatch(r"BM_PingPong/(\w+)", base)
    if m and m.group(1) in IPC_PING_PONG_FLOORS:
        floor = ipc_floor_for(name, IPC_PING_PONG_FLOORS[m.group(1)], rows)
        pipe_floor = ipc_floor_for(name, "BM_Floor_PipePingPong", rows)
        mine, pipe = rows.get(name), rows.get(pipe_floor)
        if floor == pipe_floor or not isinstance(mine, float) or not isinstance(pipe, float):
            return floor, ""
        return floor, "%.2f× %s" % (mine / pipe, pipe_floor)
    m = re.fullmatch(r"(BM_Pipe|BM_Queue|BM_SharedRing)/(\d+)", base)
    if not m:
        return None, ""
    channel, size = m.group(1), int(m.group(2))
    floor = ipc_floor_for(name, "%s/%d" % (IPC_FLOORS[channel], size), rows)
    mine, floor_us = rows.get(name), rows.get(floor)
    checks = []
    for goal_size, kind, value in IPC_GOALS[channel]:
        if goal_size != size or not isinstance(mine, float) or name != base:  # goals: the default row
            continue
        if kind == "floor" and isinstance(floor_us, float):
            ratio = floor_us / mine
            checks.append("≥%g× floor throughput (%.2f×) %s" % (value, ratio, "ok" if ratio >= value else "MISS"))
        elif kind == "msgs":
            rate = 1e6 / mine
            checks.append("≥%s msg/s (%s) %s" % (human(value), human(rate), "ok" if rate >= value else "MISS"))
    return floor, "; ".join(checks)


def pinning_table(harness_json):
    """Each row with a pinning control row: both modes' median and spread."""
    times, _ = samples(harness_json)
    pairs = []
    for name in times:
        base, pinned = ipc_mode(name)
        if base == name and base + ("/unpinned" if pinned else "/pinned") in times:
            control = base + ("/unpinned" if pinned else "/pinned")
            pairs.append((name, control) if pinned else (control, name))
    if not pairs:
        return

    def spread(xs):  # coefficient of variation of the repetitions, %
        return 100 * statistics.pstdev(xs) / statistics.mean(xs) if len(xs) > 1 else float("nan")

    print("\npinning (%s): median µs and spread (coefficient of variation of the repetitions);"
          " the default mode is the row without a suffix\n" % harness_json.stem)
    print("| benchmark | pinned µs | spread | unpinned µs | spread | pinned / unpinned | steadier | default |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for pinned_row, unpinned_row in pairs:
        p, u = times[pinned_row], times[unpinned_row]
        sp, su = spread(p), spread(u)
        steadier = "pinned" if sp < su else "unpinned" if su < sp else "-"
        base = ipc_mode(pinned_row)[0]
        print("| %s | %.3g | %.0f%% | %.3g | %.0f%% | %.2f× | %s | %s |" % (
            base, statistics.median(p), sp, statistics.median(u), su,
            statistics.median(p) / statistics.median(u), steadier,
            "pinned" if ipc_mode(base)[1] else "unpinned"))


# threading harness (issue 4): concur's row -> (std floor, goal factor or None).
THREADING_FLOORS = {
    "BM_Lock/uncontended": ("BM_Floor_StdMutex/uncontended", 1.2),
    "BM_RLock/uncontended": ("BM_Floor_StdMutex/uncontended", None),
    "BM_ProcessLock/uncontended": ("BM_Floor_StdMutex/uncontended", None),
    "BM_Lock/threads:2": ("BM_Floor_StdMutex/threads:2", 1.2),
    "BM_QueuePingPong": ("BM_Floor_MutexCvQueue/pingpong", 1.2),
}


def threading_goal(name, rows):
    if name not in THREADING_FLOORS:
        return None, ""
    floor, factor = THREADING_FLOORS[name]
    mine, base = rows.get(name), rows.get(floor)
    if factor is None or not isinstance(mine, float) or not isinstance(base, float):
        return floor, ""
    return floor, "≤%g× floor %s" % (factor, "ok" if mine <= factor * base else "MISS")


# subprocess rows of start_cost (issue 6): concur's row -> (raw floor in the
# same run, goal factor). BM_SubprocessRun/true is also shown against
# BM_Floor_PosixSpawn/rss_mib:0 (the spawn start method's floor, a larger image).
SUBPROCESS_FLOORS = {"BM_SubprocessRun/true": ("BM_Floor_PosixSpawn/true", 1.5)}


def subprocess_goal(name, rows):
    m = re.fullmatch(r"BM_PopenCommunicate/(\d+)", name)
    if m:
        floor, factor = "BM_Floor_SpawnCat/" + m.group(1), 1.5
    elif name in SUBPROCESS_FLOORS:
        floor, factor = SUBPROCESS_FLOORS[name]
    else:
        return None, ""
    mine, base = rows.get(name), rows.get(floor)
    checks = []
    if isinstance(mine, float) and isinstance(base, float):
        checks.append("≤%g× floor %s" % (factor, "ok" if mine <= factor * base else "MISS"))
    spawn = rows.get("BM_Floor_PosixSpawn/rss_mib:0")
    if name in SUBPROCESS_FLOORS and isinstance(mine, float) and isinstance(spawn, float):
        checks.append("%.2f× BM_Floor_PosixSpawn/rss_mib:0" % (mine / spawn))
    return floor, "; ".join(checks)


# pool harness (issue 5): Pool.map with chunksize 1 at >= 10x CPython's tasks
# per second (time <= CPython's time / 10). The peer names its rows
# CPython_<name without "BM_">.
POOL_GOAL_VS_CPYTHON = 10.0


# Peer families named after CPython's own channel rather than concur's: the
# ipc peer's shared-memory row (SharedMemory + Events) pairs with SharedRing.
PEER_FAMILIES = {"BM_SharedRing": "CPython_SharedMemory"}


def peer_name(name):
    family, slash, rest = name.partition("/")
    if family in PEER_FAMILIES:
        return PEER_FAMILIES[family] + slash + rest
    return "CPython_" + name[3:] if name.startswith("BM_") else name


def pool_goal(name, rows, peer):
    if not re.fullmatch(r"BM_PoolMap/\w+/tasks:\d+/chunksize:1", name):
        return ""
    mine, theirs = rows.get(name), peer.get(peer_name(name), peer.get(name))
    if not isinstance(mine, float) or not isinstance(theirs, float):
        return "≥%g× CPython tasks/s" % POOL_GOAL_VS_CPYTHON
    speedup = theirs / mine
    return "≥%g× CPython tasks/s (%.1f×) %s" % (POOL_GOAL_VS_CPYTHON, speedup,
                                               "ok" if speedup >= POOL_GOAL_VS_CPYTHON else "MISS")


# parallel_sum harness (issue 7): every BM_Sum_* row against the raw-thread
# read-bandwidth floor of its n; BM_Sum_Plinq/<n>/threads:<t> <= 1.1x
# BM_Sum_Sequential/<n>'s time at every n and t; at 2^27 and t = hardware
# threads, >= 0.9x the best peer's throughput and a speedup >= 1.7.
PARALLEL_SUM_PEERS = ("BM_Sum_StdReducePar", "BM_Sum_OpenMP", "BM_Sum_TBB")
PARALLEL_SUM_BIG = 2 ** 27


def parallel_sum_threads(rows):
    """Hardware threads of the run: the largest t but the oversubscribed 2x."""
    ts = sorted({int(m.group(1)) for m in (re.fullmatch(r"BM_Sum_Plinq/\d+/threads:(\d+)", k) for k in rows) if m})
    return ts[-1] // 2 if len(ts) > 1 else (ts[-1] if ts else 1)


def parallel_sum_goal(name, rows):
    m = re.fullmatch(r"BM_Sum_(\w+)/(\d+)(?:/threads:(\d+))?", name)
    if not m:
        return None, ""
    n = int(m.group(2))
    floor = "BM_Floor_ReadBandwidth/%d" % n
    mine, seq = rows.get(name), rows.get("BM_Sum_Sequential/%d" % n)
    if not isinstance(mine, float) or not isinstance(seq, float):
        return floor, ""
    checks = ["speedup %.2f×" % (seq / mine)]
    if m.group(1) == "Plinq":
        checks.append("≤1.1× Sequential (%.2f×) %s" % (mine / seq, "ok" if mine <= 1.1 * seq else "MISS"))
        if n == PARALLEL_SUM_BIG and int(m.group(3)) == parallel_sum_threads(rows):
            peers = [(rows.get("%s/%d" % (p, n)), p) for p in PARALLEL_SUM_PEERS]
            peers = [(t, p) for t, p in peers if isinstance(t, float)]
            if peers:
                best, who = min(peers)
                checks.append("≥0.9× best peer %s (%.2f×) %s" % (who[7:], best / mine, "ok" if best / mine >= 0.9 else "MISS"))
            checks.append("speedup ≥1.7 %s" % ("ok" if seq / mine >= 1.7 else "MISS"))
    return floor, "; ".join(checks)


def parallel_sum_break_even(rows):
    """The smallest n from which a method beats Sequential by >= 10% at every larger n."""
    hw = parallel_sum_threads(rows)
    sizes = sorted({int(m.group(1)) for m in (re.fullmatch(r"BM_Sum_Sequential/(\d+)", k) for k in rows) if m})
    methods = ["BM_Sum_Plinq/%d/threads:" + str(hw)] + [p + "/%d" for p in PARALLEL_SUM_PEERS]
    out = []
    for method in methods:
        even = None
        for n in reversed(sizes):
            mine, seq = rows.get(method % n), rows.get("BM_Sum_Sequential/%d" % n)
            if not (isinstance(mine, float) and isinstance(seq, float) and mine * 1.1 <= seq):
                break
            even = n
        out.append("%s: %s" % (method.split("/")[0][7:], even if even is not None else "never"))
    print("\nbreak-even n (beats Sequential by ≥10%% from there on; Plinq at threads:%d): %s" % (hw, ", ".join(out)))


def human(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return "%.3g%s" % (x / scale, unit)
    return "%.3g" % x


def fmt(x, spec):
    return format(x, spec) if isinstance(x, float) else ""


def goal_for(name, rows):
    """(floor name, goal text) for a row."""
    for special in (ipc_goal, threading_goal, subprocess_goal, parallel_sum_goal):
        floor, goal = special(name, rows)
        if floor:
            return floor, goal
    return start_cost_goal(name, rows)


def start_cost_goal(name, rows):
    """(floor, goal text) of BM_ProcessStartJoin/… and BM_ProcessStartLatency/… rows."""
    m = re.fullmatch(r"BM_ProcessStartLatency/(\w+)", name)
    if m:
        return LATENCY_FLOORS.get(m.group(1)), ""
    m = re.fullmatch(r"BM_ProcessStartJoin/(\w+)/(rss_mib:(\d+)|threads:\d+)", name)
    if not m or m.group(1) not in FLOORS:
        return None, ""
    method, state = m.group(1), m.group(2)
    floor, factor, same_state = FLOORS[method]
    floor += "/" + (state if same_state else "rss_mib:0")
    mine, base = rows.get(name), rows.get(floor)
    bare = rows.get("BM_ProcessStartJoin/%s/rss_mib:0" % method)
    checks = []
    if isinstance(mine, float) and isinstance(base, float):
        checks.append("≤%g× floor %s" % (factor, "ok" if mine <= factor * base else "MISS"))
    if state != "rss_mib:0" and isinstance(mine, float) and isinstance(bare, float):
        if m.group(3) is not None and method in RSS_FLAT:
            ok = mine <= RSS_FLAT[method] * bare
            checks.append("≤%g× rss_mib:0 (%.3f×) %s" % (RSS_FLAT[method], mine / bare, "ok" if ok else "MISS"))
        else:  # fork's growth with RSS, and every method's cost of parent threads: shown, no goal
            checks.append("%.2f× rss_mib:0" % (mine / bare))
    return floor, "; ".join(checks)


def table(harness_json):
    rows = load(harness_json)
    peer = load(harness_json.with_name(harness_json.stem + "_cpython.json"))
    print("\n%s (%s)\n" % (harness_json.stem, harness_json))
    print("| benchmark | µs | × floor | × CPython | floor | goal |")
    print("|---|---:|---:|---:|---|---|")
    for name, us in rows.items():
        floor, goal = goal_for(name, rows)
        if name.startswith("BM_PoolMap/"):
            floor, goal = "BM_Floor_FnCall/tasks:10000", pool_goal(name, rows, peer)
        base = rows.get(floor) if floor else None
        ratio_floor = us / base if isinstance(us, float) and isinstance(base, float) else None
        theirs = peer.get(name, peer.get(peer_name(name)))
        ratio_py = us / theirs if isinstance(us, float) and isinstance(theirs, float) else None
        shown = fmt(us, ".1f" if us >= 10 else ".3g") if isinstance(us, float) else us
        print("| %s | %s | %s | %s | %s | %s |" % (
            name, shown, fmt(ratio_floor, ".2f"), fmt(ratio_py, ".3f"), floor or "", goal))
    paired = {peer_name(n) for n in rows}
    for name, us in peer.items():
        if name not in rows and name not in paired:
            print("| %s (CPython only) | %s |  |  |  |  |" % (name, fmt(us, ".1f") if isinstance(us, float) else us))
    if any(k.startswith("BM_Sum_Plinq/") for k in rows):
        parallel_sum_break_even(rows)
    pinning_table(harness_json)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: ratios.py <run directory>")
    run = pathlib.Path(sys.argv[1])
    # environment.json is the run's description (scripts/bench); a harness
    # whose benchmarks a filter all deselected leaves no rows: no table.
    harnesses = sorted(p for p in run.glob("*.json")
                       if not p.stem.endswith("_cpython") and p.stem != "environment" and has_rows(p))
    if not harnesses:
        sys.exit("ratios.py: no harness results in %s" % run)
    print("× floor: time / the floor measured in the same run (lower is better, ≥ 1 expected).")
    print("× CPython: time / the CPython peer's time for the same work (< 1: concur is faster).")
    for h in harnesses:
        table(h)


if __name__ == "__main__":
    main()
