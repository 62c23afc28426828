#!/usr/bin/python3
"""Tests of scripts/report (issue 9) on synthetic run directories it writes
itself: the report's files and sections, a filtered run, --against, and bad
input (exit status 3, one line on stderr, never a traceback). No speed is
asserted.

  report_test.py smoke | bad_input

Exits 77 (CTest SKIP_RETURN_CODE) when /usr/bin/python3 lacks matplotlib or
scipy: scripts/report needs Debian's python3-matplotlib and python3-scipy.
"""

import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
REPORT = ROOT / "scripts" / "report"
PYTHON = "/usr/bin/python3"


def gb_file(rows, cpython=False):
    """Google Benchmark JSON: rows = [(name, ns, counters, repetitions)]."""
    rnd = random.Random(len(rows))
    out = []
    for family, (name, ns, counters, reps, *extra) in enumerate(rows):
        for rep in range(reps):
            jitter = rnd.uniform(0.95, 1.05)
            row = {"name": name, "family_index": family, "per_family_instance_index": 0, "run_name": name,
                   "run_type": "iteration", "repetitions": reps, "repetition_index": rep, "threads": 1,
                   "iterations": 100, "real_time": ns * jitter, "cpu_time": ns * jitter, "time_unit": "ns"}
            row.update({k: v / jitter for k, v in counters.items()})
            if extra:
                row.update(extra[0])
            out.append(row)
        if reps > 1:
            out.append({"name": name + "_median", "family_index": family, "per_family_instance_index": 0,
                        "run_name": name, "run_type": "aggregate", "repetitions": reps, "threads": 1,
                        "aggregate_name": "median", "aggregate_unit": "time", "iterations": reps,
                        "real_time": ns, "cpu_time": ns, "time_unit": "ns"})
    context = {"date": "2026-11-22T10:00:00+00:00", "num_cpus": 2}
    if not cpython:
        context["concur_build_type"] = "Debug"
    return {"context": context, "benchmarks": out}


def rate(size, ns):
    return {"bytes_per_second": size * 1e9 / ns, "items_per_second": 1e9 / ns}


def write_run(d, harnesses=None, scale=1.0, environment=None):
    """A run directory with every harness (or the named ones), new and old names mixed."""
    d = pathlib.Path(d)
    d.mkdir(parents=True, exist_ok=True)
    s = scale
    files = {
        "start_cost": [(n, t * s, {"items_per_second": 1e9 / (t * s)}, 3) for n, t in (
            ("BM_Floor_ForkExitWait/rss_mib:0", 150e3), ("BM_Floor_ForkExitWait/rss_mib:256", 2e6),
            ("BM_Floor_ForkExitWait/rss_mib:1024", 8e6), ("BM_Floor_PosixSpawn", 1.5e6),
            ("BM_ProcessStartJoin/fork/rss_mib:0", 200e3), ("BM_ProcessStartJoin/fork/rss_mib:256", 2.2e6),
            ("BM_ProcessStartJoin/fork/rss_mib:1024", 8.5e6), ("BM_ProcessStartJoin/spawn/rss_mib:0", 1.8e6),
            ("BM_ProcessStartJoin/spawn/rss_mib:1024", 1.9e6), ("BM_ProcessStartJoin/forkserver", 300e3),
            ("BM_Floor_PosixSpawn/true", 900e3), ("BM_SubprocessRun/true", 950e3),
            ("BM_ProcessStartLatency/fork", 100e3), ("BM_ProcessStartLatency/spawn", 1e6),
            ("BM_Floor_ForkLatency", 80e3))],
        "start_cost_cpython": [(n, t * s, {}, 3) for n, t in (
            ("CPython_ProcessStartJoin/fork/rss_mib:0", 1.5e6), ("CPython_ProcessStartJoin/fork/rss_mib:1024", 20e6),
            ("BM_ProcessStartJoin/spawn", 40e6), ("CPython_SubprocessRun/true", 1e6),
            ("CPython_ProcessStartLatency/fork", 1e6))],
        "ipc": [("BM_%s/%d" % (c, size), t * s * (1 + size / 4096), rate(size, t * s * (1 + size / 4096)), 3)
                for size in (64, 4096, 65536) for c, t in (
                    ("Floor_RawPipe", 500), ("Floor_Memcpy", 3), ("Pipe", 1000), ("Queue", 1500),
                    ("SharedRing", 150))] + [
                (n, t * s, {}, 3) for n, t in (("BM_PingPong/pipe", 20e3), ("BM_PingPong/shared_ring", 2e3),
                                               ("BM_Floor_PipePingPong", 15e3), ("BM_Floor_ShmSpinPingPong", 500),
                                               ("BM_PingPong/pipe/pinned", 25e3))] + [
                ("BM_PingPong/queue", 1e3, {}, 1, {"error_occurred": True, "error_message": "peer died"})],
        "ipc_cpython": [("BM_%s/%d" % (c, size), t * s, rate(size, t * s), 3)
                        for size in (64, 4096, 65536) for c, t in (("Pipe", 3000), ("Queue", 9000))],
        "parallel_sum": [(n, t * s, {}, 3) for n, t in (
            ("BM_Sum_Sequential/1000", 200), ("BM_Sum_Plinq/1000/threads:1", 210), ("BM_Sum_Plinq/1000/threads:2", 220),
            ("BM_Sum_Plinq/1000/threads:4", 230), ("BM_Sum_OpenMP/1000", 900), ("BM_Floor_ReadBandwidth/1000", 30e3),
            ("BM_Sum_Sequential/1000000", 260e3), ("BM_Sum_Plinq/1000000/threads:1", 265e3),
            ("BM_Sum_Plinq/1000000/threads:2", 135e3), ("BM_Sum_Plinq/1000000/threads:4", 137e3),
            ("BM_Sum_OpenMP/1000000", 131e3), ("BM_Floor_ReadBandwidth/1000000", 120e3))],
        "parallel_sum_cpython": [("CPython_Sum_Sequential/1000", 3.4e3 * s, {}, 3)],
        "pool": [(n, t * s, {"items_per_second": 1e4 * 1e9 / (t * s)}, 3) for n, t in (
            ("BM_Floor_FnCall/tasks:10000", 13e3), ("BM_PoolMap/fork/tasks:10000/chunksize:1", 5e6),
            ("BM_ThreadPoolExecutorSubmit", 1.7e6))],
        "pool_cpython": [(n, t * s, {"items_per_second": 1e4 * 1e9 / (t * s)}, 3) for n, t in (
            ("CPython_PoolMap/fork/tasks:10000/chunksize:1", 150e6), ("CPython_ThreadPoolExecutorSubmit", 7e6))],
        "threading": [(n, t * s, {}, 2) for n, t in (
            ("BM_Floor_StdMutex/uncontended", 18), ("BM_Lock/uncontended", 20))],
    }
    for name, rows in files.items():
        if harnesses is None or name.replace("_cpython", "") in harnesses:
            (d / (name + ".json")).write_text(json.dumps(gb_file(rows, name.endswith("_cpython"))))
    env = {"cpu_model": "test CPU", "cpu_count": 2, "cmake_build_type": "Debug", "concur_commit": "0" * 40,
           "concur_dirty": True, "profile": "quick", "min_time_s": 0.1, "repetitions": 2,
           "load_average_before": [3.5, 2.0, 1.0], "load_average_after": [1.0, 1.0, 1.0]}
    env.update(environment or {})
    (d / "environment.json").write_text(json.dumps(env))
    return d


def run_report(*args):
    return subprocess.run([PYTHON, str(REPORT), *map(str, args)], capture_output=True, text=True, timeout=300)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="concur-report-test-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class Smoke(Base):
    def test_full_run_writes_every_section_and_plot(self):
        run = write_run(self.tmp / "run")
        p = run_report(run)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), str(run / "report.md"))
        self.assertNotIn("Traceback", p.stderr)
        md = (run / "report.md").read_text(encoding="utf-8")
        for section in ("# concur benchmark report", "## Warnings", "## Plots", "### Start cost per method",
                        "### Start cost vs parent RSS", "### Throughput vs message size",
                        "### IPC round-trip latency", "### Sum speedup", "### Pool throughput", "## Tables",
                        "### ipc", "### parallel_sum", "### pool", "### start_cost", "### threading",
                        "## Environment"):
            self.assertIn(section, md)
        # the warnings the issue names
        for warning in ("high load", "few repetitions", "debug build", "dirty tree",
                        "**error** in `BM_PingPong/queue`"):
            self.assertIn(warning, md)
        self.assertNotIn("Plots left out", md)
        self.assertIn("the latency until the child runs", md)
        self.assertIn("| `BM_PingPong/pipe/pinned` |", md)  # controls: in the table, not in the plot
        pngs = sorted(p.name for p in run.glob("report_*.png"))
        self.assertEqual(pngs, ["report_latency.png", "report_pool.png", "report_start_cost.png",
                                "report_start_rss.png", "report_sum_speedup.png", "report_throughput.png"])
        for png in pngs:
            self.assertIn("](%s)" % png, md)  # relative references
            self.assertEqual((run / png).read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        # ratios: BM_Pipe/64 against its floor and the old-style CPython row
        line = next(l for l in md.splitlines() if l.startswith("| `BM_Pipe/64`"))
        cells = [c.strip() for c in line.split("|")]
        self.assertTrue(cells[5].endswith("×") and cells[6].endswith("×"), line)
        page = (run / "report.html").read_text(encoding="utf-8")
        self.assertEqual(page.count('src="data:image/png;base64,'), len(pngs))  # self-contained
        self.assertNotIn('src="report_', page)
        self.assertIn("<style>", page)
        self.assertNotIn("<link", page)

    def test_filtered_run_leaves_out_plots_with_a_note(self):
        run = write_run(self.tmp / "run", harnesses={"threading"},
                        environment={"repetitions": 3, "cmake_build_type": "Release", "concur_dirty": False,
                                     "load_average_before": [0.1, 0.1, 0.1]})
        (run / "report_pool.png").write_bytes(b"old")  # a previous report's plot is removed
        p = run_report(run)
        self.assertEqual(p.returncode, 0, p.stderr)
        md = (run / "report.md").read_text(encoding="utf-8")
        self.assertIn("### Plots left out", md)
        self.assertIn("start cost: left out", md)
        self.assertIn("### threading", md)
        self.assertFalse((run / "report_pool.png").exists())
        self.assertIn("few samples", md)          # the rows have 2 repetitions
        self.assertIn("debug build", md)          # the harness context says Debug

    def test_against_adds_the_comparison_and_forest_plot(self):
        old = write_run(self.tmp / "old")
        new = write_run(self.tmp / "new", scale=2.0)
        p = run_report(new, "--against", old)
        self.assertEqual(p.returncode, 0, p.stderr)
        md = (new / "report.md").read_text(encoding="utf-8")
        self.assertIn("## Comparison with", md)
        self.assertIn("![forest plot of new/old per benchmark](report_forest.png)", md)
        self.assertTrue((new / "report_forest.png").exists())
        comparison = md[md.index("## Comparison with"):]
        line = next(l for l in comparison.splitlines() if l.startswith("| `BM_ProcessStartJoin/forkserver`"))
        cells = [c.strip() for c in line.split("|")]
        self.assertAlmostEqual(float(cells[4]), 2.0, delta=0.25)   # new/old
        self.assertEqual(cells[6], "90%")                          # 3 against 3 repetitions
        self.assertEqual(cells[7], "**slower**")
        # its floor doubled too: the row moved with its floor
        line = next(l for l in comparison.splitlines() if l.startswith("| `BM_ProcessStartJoin/fork/rss_mib:0`"))
        self.assertAlmostEqual(float(line.split("|")[8]), 1.0, delta=0.15)
        self.assertIn("Warnings of the old run", md)


class BadInput(Base):
    def assert_bad(self, p, needle):
        self.assertEqual(p.returncode, 3, "exit %d, stderr %r" % (p.returncode, p.stderr))
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertTrue(p.stderr.startswith("report: "), p.stderr)
        self.assertIn(needle, p.stderr)

    def test_missing_directory(self):
        self.assert_bad(run_report(self.tmp / "nope"), "no such run directory")

    def test_malformed_json(self):
        run = write_run(self.tmp / "run", harnesses={"pool"})
        (run / "pool.json").write_text('{"benchmarks": [', encoding="utf-8")
        self.assert_bad(run_report(run), "pool.json: malformed JSON")

    def test_not_google_benchmark_json(self):
        run = write_run(self.tmp / "run", harnesses={"pool"})
        (run / "pool.json").write_text('{"rows": []}', encoding="utf-8")
        self.assert_bad(run_report(run), "not Google Benchmark JSON")

    def test_no_results(self):
        run = write_run(self.tmp / "run", harnesses=set())
        self.assert_bad(run_report(run), "no benchmark JSON files")

    def test_bad_against(self):
        run = write_run(self.tmp / "run", harnesses={"pool"})
        self.assert_bad(run_report(run, "--against", self.tmp / "gone"), "no such run directory")
        self.assertFalse((run / "report.md").exists())

    def test_usage(self):
        p = run_report()
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage:", p.stderr)
        p = run_report("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--against", p.stdout)


def main():
    groups = {"smoke": Smoke, "bad_input": BadInput}
    if len(sys.argv) != 2 or sys.argv[1] not in groups:
        sys.exit("usage: report_test.py smoke|bad_input")
    try:
        usable = subprocess.run([PYTHON, "-c", "import matplotlib, scipy"], capture_output=True).returncode == 0
    except OSError:
        usable = False
    if not usable:
        print("SKIP: %s lacks matplotlib or scipy (Debian python3-matplotlib, python3-scipy)" % PYTHON)
        sys.exit(77)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(groups[sys.argv[1]])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
