#!/usr/bin/python3
"""Unit tests of the benchmark regression gate (scripts/compare, issue 9) and
of the JSON ingest it builds on (scripts/benchlib.py), on synthetic Google
Benchmark JSON with known answers. Run by CTest (bench_gate.unit) with
/usr/bin/python3 (scipy); no benchmark is run.

  /usr/bin/python3 benchmarks/gate/test_compare.py -v
"""

import contextlib
import importlib.machinery
import importlib.util
import io
import json
import math
import pathlib
import subprocess
import sys
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "compare"
sys.path.insert(0, str(REPO / "scripts"))
import benchlib  # noqa: E402


def load_compare():
    loader = importlib.machinery.SourceFileLoader("concur_compare", str(SCRIPT))
    spec = importlib.util.spec_from_loader("concur_compare", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


compare = load_compare()


def rows_for(name, samples, unit="us", counters=None, aggregates=True):
    """Google Benchmark rows of one benchmark: one iteration row per sample
    (+ mean/median aggregate rows, which the gate must ignore)."""
    rows = []
    for i, v in enumerate(samples):
        row = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(samples),
               "repetition_index": i, "threads": 1, "iterations": 1000, "real_time": v, "cpu_time": v,
               "time_unit": unit}
        for k, vals in (counters or {}).items():
            row[k] = vals[i]
        rows.append(row)
    if aggregates and samples:
        for agg in ("mean", "median"):
            rows.append({"name": name + "_" + agg, "run_name": name, "run_type": "aggregate",
                         "aggregate_name": agg, "real_time": 1e9, "cpu_time": 1e9, "time_unit": unit})
    return rows


def write_run(root, harness_rows, build_type="Release", env=None, extra_context=None):
    """A scripts/bench run directory: {harness: [rows]} -> <harness>.json."""
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    environment = {"cpu_model": "test cpu", "cpu_count": 2, "cmake_build_type": build_type}
    environment.update(env or {})
    (root / "environment.json").write_text(json.dumps(environment))
    for harness, rows in harness_rows.items():
        context = {"library_build_type": "debug", "concur_build_type": build_type}
        context.update(extra_context or {})
        (root / (harness + ".json")).write_text(json.dumps({"context": context, "benchmarks": rows}))
    return root


def spread(center, n, step=0.01):
    """n distinct samples around center (±step per sample, no ties)."""
    return [center * (1 + step * (i - (n - 1) / 2)) for i in range(n)]


class Stats(unittest.TestCase):
    """The statistics on small examples with exact, hand-computed answers."""

    def test_complete_separation_3_vs_3_is_one_in_twenty(self):
        # C(6,3) = 20 equally likely rankings, one has the candidate on top.
        self.assertAlmostEqual(compare.mann_whitney_greater([4, 5, 6], [1, 2, 3]), 1 / 20)
        self.assertAlmostEqual(compare.mann_whitney_greater([1, 2, 3], [4, 5, 6]), 1.0)
        self.assertAlmostEqual(compare.smallest_p(3, 3), 0.05)

    def test_complete_separation_4_vs_4_and_6_vs_6(self):
        self.assertAlmostEqual(compare.mann_whitney_greater([5, 6, 7, 8], [1, 2, 3, 4]), 1 / 70)
        self.assertAlmostEqual(compare.smallest_p(6, 6), 1 / 924)

    def test_interleaved_3_vs_3(self):
        # candidate [2,4,6] vs baseline [1,3,5]: U = 6 pairs where the
        # candidate is larger; P(U >= 6) = (3 + 2 + 1 + 1) / 20 under H0.
        self.assertAlmostEqual(compare.mann_whitney_greater([2, 4, 6], [1, 3, 5]), 7 / 20)

    def test_too_few_samples_is_no_test(self):
        self.assertEqual(compare.mann_whitney_greater([5], [1, 2, 3]), 1.0)
        self.assertEqual(compare.smallest_p(1, 5), 1.0)

    def test_holm(self):
        # sorted 0.01, 0.03, 0.04 -> x3, x2, x1 = 0.03, 0.06, 0.04 -> monotone 0.06
        self.assertEqual([round(p, 10) for p in compare.holm([0.01, 0.04, 0.03])], [0.03, 0.06, 0.06])
        self.assertEqual([round(p, 10) for p in compare.holm([0.5, 0.001])], [0.5, 0.002])
        self.assertEqual(compare.holm([0.9, 0.8]), [1.0, 1.0])
        self.assertEqual(compare.holm([]), [])

    def test_rates_are_inverted_into_costs(self):
        self.assertEqual(compare.cost([2.0, 4.0], "items_per_second"), [0.5, 0.25])
        self.assertEqual(compare.cost([2.0, 4.0], "speedup"), [0.5, 0.25])
        self.assertEqual(compare.cost([2.0, 4.0], "real_time"), [2.0, 4.0])
        self.assertTrue(benchlib.is_rate("bytes_per_second"))
        self.assertFalse(benchlib.is_rate("real_time"))


class Ingest(unittest.TestCase):
    """benchlib.load_run on synthetic JSON."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_repetitions_aggregates_units_and_counters(self):
        rows = rows_for("BM_A", [1.0, 2.0, 3.0], unit="ms",
                        counters={"items_per_second": [10.0, 20.0, 30.0], "my_counter": [1, 2, 3]})
        run = benchlib.load_run(write_run(self.dir / "r", {"h": rows}))
        b = run["BM_A"]
        self.assertEqual(b.samples(), [1e6, 2e6, 3e6])          # ms -> ns, aggregates left out
        self.assertEqual(sorted(b.aggregates), ["mean", "median"])
        self.assertEqual(b.samples("items_per_second"), [10.0, 20.0, 30.0])
        self.assertEqual(b.samples("my_counter"), [1.0, 2.0, 3.0])
        self.assertTrue(b.ok)

    def test_error_and_skip_rows(self):
        rows = [{"name": "BM_E", "run_name": "BM_E", "run_type": "iteration", "error_occurred": True,
                 "error_message": "producer died", "real_time": 0, "time_unit": "us"},
                {"name": "BM_S", "run_name": "BM_S", "run_type": "iteration", "skipped": True,
                 "skip_message": "no TBB", "real_time": 0, "time_unit": "us"}]
        run = benchlib.load_run(write_run(self.dir / "r", {"h": rows}))
        self.assertEqual(run["BM_E"].error, "producer died")
        self.assertEqual(run["BM_S"].skipped, "no TBB")
        self.assertFalse(run["BM_E"].ok or run["BM_S"].ok)

    def test_unknown_time_unit(self):
        with self.assertRaisesRegex(benchlib.BenchInputError, "unknown time_unit 'fortnights'"):
            benchlib.load_run(write_run(self.dir / "r", {"h": rows_for("BM_A", [1.0], unit="fortnights")}))

    def test_malformed_json(self):
        r = write_run(self.dir / "r", {})
        (r / "h.json").write_text('{"benchmarks": [')
        with self.assertRaisesRegex(benchlib.BenchInputError, "h.json: malformed JSON"):
            benchlib.load_run(r)

    def test_debug_build_is_seen(self):
        run = benchlib.load_run(write_run(self.dir / "r", {"h": rows_for("BM_A", [1.0])}, build_type="Debug"))
        self.assertTrue(any("concur built as Debug" in x for x in run.debug_build()))

    def test_peers_can_be_left_out(self):
        r = write_run(self.dir / "r", {"h": rows_for("BM_A", [1.0]), "h_cpython": rows_for("CPython_A", [9.0])})
        self.assertIn("CPython_A", benchlib.load_run(r))
        self.assertNotIn("CPython_A", benchlib.load_run(r, peers=False))


class Gate(unittest.TestCase):
    """scripts/compare end to end: exit status and verdicts."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def run_gate(self, base, cand, *args):
        """(exit status, stdout+stderr, JSON verdicts by name) of the script."""
        out = self.dir / "verdicts.json"
        if out.exists():
            out.unlink()
        # In process (scipy imports once); test_bad_input_is_exit_3_without_traceback
        # runs the script itself.
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                code = compare.main(["--no-config", *args, "--json", str(out), str(base), str(cand)])
            except SystemExit as e:
                code = e.code
        text = buf.getvalue()
        self.assertNotIn("Traceback", text)
        verdicts = {}
        if out.exists():
            verdicts = {b["name"]: b for b in json.loads(out.read_text())["benchmarks"]}
        return code, text, verdicts

    def pair(self, base_rows, cand_rows, **kw):
        return (write_run(self.dir / "base", base_rows, **kw.get("base", {})),
                write_run(self.dir / "cand", cand_rows, **kw.get("cand", {})))

    def test_identical_runs_pass(self):
        rows = {"h": rows_for("BM_A", spread(10, 8)) + rows_for("BM_B", spread(5, 8))}
        code, text, v = self.run_gate(*self.pair(rows, rows))
        self.assertEqual(code, 0, text)
        self.assertEqual(v["BM_A"]["verdict"], "pass")
        self.assertIn("verdict: PASS (exit 0)", text)

    def test_25_percent_slower_with_8_repetitions_is_a_regression(self):
        base, cand = self.pair({"h": rows_for("BM_A", spread(10, 8)) + rows_for("BM_B", spread(5, 8))},
                               {"h": rows_for("BM_A", spread(12.5, 8)) + rows_for("BM_B", spread(5, 8))})
        code, text, v = self.run_gate(base, cand)
        self.assertEqual(code, 1, text)
        self.assertEqual(v["BM_A"]["verdict"], "regression")
        self.assertAlmostEqual(v["BM_A"]["change"], 0.25, places=6)
        self.assertAlmostEqual(v["BM_A"]["p"], 1 / math.comb(16, 8))
        self.assertAlmostEqual(v["BM_A"]["p_holm"], 2 / math.comb(16, 8))   # Holm over 2 tests
        self.assertEqual(v["BM_B"]["verdict"], "pass")
        self.assertIn("REGRESSION", text)

    def test_3_repetitions_can_only_be_inconclusive(self):
        base, cand = self.pair({"h": rows_for("BM_A", spread(10, 3))}, {"h": rows_for("BM_A", spread(13, 3))})
        code, text, v = self.run_gate(base, cand)
        self.assertEqual(code, 2, text)
        self.assertEqual(v["BM_A"]["verdict"], "inconclusive")
        self.assertIn("too few repetitions", v["BM_A"]["note"])

    def test_overlapping_samples_are_too_much_spread(self):
        base = [10, 11, 30, 9, 12, 10.5, 31, 9.5]
        cand = [13, 14, 8, 35, 13.5, 9, 14.5, 12]      # +15 % (Hodges-Lehmann), overlapping
        code, text, v = self.run_gate(*self.pair({"h": rows_for("BM_A", base)}, {"h": rows_for("BM_A", cand)}))
        self.assertEqual(code, 2, text)
        self.assertIn("too much spread", v["BM_A"]["note"])

    def test_a_significant_shift_below_the_minimum_effect_passes(self):
        base, cand = self.pair({"h": rows_for("BM_A", spread(10, 8, 0.001))},
                               {"h": rows_for("BM_A", spread(10.5, 8, 0.001))})
        code, text, v = self.run_gate(base, cand)
        self.assertEqual(code, 0, text)
        self.assertLess(v["BM_A"]["p_holm"], 0.05)
        code, text, v = self.run_gate(base, cand, "--min-effect", "0.04")
        self.assertEqual(code, 1, text)

    def test_faster_is_a_pass(self):
        base, cand = self.pair({"h": rows_for("BM_A", spread(10, 8))}, {"h": rows_for("BM_A", spread(5, 8))})
        code, text, v = self.run_gate(base, cand)
        self.assertEqual(code, 0, text)
        self.assertIn("faster", v["BM_A"]["note"])

    def test_rates_are_higher_is_better(self):
        def rows(rate):
            return {"h": rows_for("BM_A", spread(10, 8), counters={"items_per_second": spread(rate, 8)})}
        base, cand = self.pair(rows(100.0), rows(70.0))      # 30 % fewer items/s, same time
        self.assertEqual(self.run_gate(base, cand)[0], 0)
        code, text, v = self.run_gate(base, cand, "--metric", "items_per_second")
        self.assertEqual(code, 1, text)
        self.assertAlmostEqual(v["BM_A"]["change"], 100 / 70 - 1, places=3)
        base, cand = self.pair(rows(100.0), rows(140.0))
        self.assertEqual(self.run_gate(base, cand, "--metric", "items_per_second")[0], 0)

    def test_config_min_effect_ignore_and_metric(self):
        base, cand = self.pair({"h": rows_for("BM_A", spread(10, 8)) + rows_for("BM_B", spread(10, 8))},
                               {"h": rows_for("BM_A", spread(12, 8)) + rows_for("BM_B", spread(20, 8))})
        toml = self.dir / "gate.toml"
        toml.write_text('min_effect = 0.10\n[[benchmark]]\nmatch = "BM_A"\nmin_effect = 0.25\n'
                        '[[benchmark]]\nmatch = "BM_B"\nignore = true\nreason = "flaky on VMs"\n')
        code, text, v = self.run_gate(base, cand, "--config", str(toml))
        self.assertEqual(code, 0, text)
        self.assertEqual(v["BM_A"]["min_effect"], 0.25)
        self.assertEqual(v["BM_B"]["verdict"], "ignored")
        self.assertIn("flaky on VMs", v["BM_B"]["note"])
        js = self.dir / "gate.json"
        js.write_text(json.dumps({"benchmark": [{"match": "BM_.", "min_effect": 0.15}]}))
        code, text, v = self.run_gate(base, cand, "--config", str(js))
        self.assertEqual(code, 1, text)
        self.assertEqual(v["BM_A"]["verdict"], "regression")

    def test_bad_config_is_an_error(self):
        base, cand = self.pair({"h": rows_for("BM_A", [1.0])}, {"h": rows_for("BM_A", [1.0])})
        for text_, message in (('[[benchmark]]\nmatch = "("\n', "bad regex"),
                               ('min_efect = 0.1\n', "unknown key"),
                               ('min_effect = -1\n', "min_effect wants a fraction"),
                               ('[[benchmark\n', "malformed TOML")):
            toml = self.dir / "bad.toml"
            toml.write_text(text_)
            code, text, _ = self.run_gate(base, cand, "--config", str(toml))
            self.assertEqual(code, 3, text)
            self.assertIn(message, text)

    def test_floor_normalized_discounts_a_slower_machine(self):
        # The candidate machine is 30 % slower: the benchmark and its floor both.
        def rows(scale):
            return {"start_cost": rows_for("BM_Floor_ForkExitWait/rss_mib:0", spread(100 * scale, 8)) +
                    rows_for("BM_ProcessStartJoin/fork/rss_mib:0", spread(150 * scale, 8)) +
                    rows_for("BM_Unfloored", spread(7, 8))}
        base, cand = self.pair(rows(1.0), rows(1.3))
        code, text, v = self.run_gate(base, cand)
        self.assertEqual(code, 1, text)
        self.assertEqual(v["BM_ProcessStartJoin/fork/rss_mib:0"]["verdict"], "regression")
        code, text, v = self.run_gate(base, cand, "--floor-normalized")
        self.assertEqual(code, 0, text)
        self.assertEqual(v["BM_ProcessStartJoin/fork/rss_mib:0"]["basis"], "÷ BM_Floor_ForkExitWait/rss_mib:0")
        self.assertAlmostEqual(v["BM_ProcessStartJoin/fork/rss_mib:0"]["change"], 0.0, places=6)
        self.assertEqual(v["BM_Floor_ForkExitWait/rss_mib:0"]["verdict"], "floor")     # shown, not gated
        self.assertAlmostEqual(v["BM_Floor_ForkExitWait/rss_mib:0"]["change"], 0.3, places=6)
        self.assertEqual(v["BM_Unfloored"]["basis"], "raw")                  # no floor: raw
        toml = self.dir / "raw.toml"
        toml.write_text('[[benchmark]]\nmatch = "BM_ProcessStartJoin/.*"\nfloor_normalized = false\n')
        code, text, v = self.run_gate(base, cand, "--floor-normalized", "--config", str(toml))
        self.assertEqual(code, 1, text)                                       # configured raw
        self.assertEqual(v["BM_ProcessStartJoin/fork/rss_mib:0"]["basis"], "raw (configured)")
        # A real regression relative to the floor is still caught.
        slow = rows(1.3)
        slow["start_cost"] = (rows_for("BM_Floor_ForkExitWait/rss_mib:0", spread(130, 8)) +
                              rows_for("BM_ProcessStartJoin/fork/rss_mib:0", spread(150 * 1.3 * 1.25, 8)) +
                              rows_for("BM_Unfloored", spread(7, 8)))
        base, cand = self.pair(rows(1.0), slow)
        code, text, v = self.run_gate(base, cand, "--floor-normalized")
        self.assertEqual(code, 1, text)

    def test_errors_and_skips(self):
        err = [{"name": "BM_A", "run_name": "BM_A", "run_type": "iteration", "error_occurred": True,
                "error_message": "producer died", "real_time": 0, "time_unit": "us"}]
        skip = [{"name": "BM_A", "run_name": "BM_A", "run_type": "iteration", "skipped": True,
                 "skip_message": "no TBB", "real_time": 0, "time_unit": "us"}]
        ok = rows_for("BM_A", spread(10, 8))
        code, text, v = self.run_gate(*self.pair({"h": ok}, {"h": err}))
        self.assertEqual(code, 3, text)
        self.assertIn("candidate errored: producer died", v["BM_A"]["note"])
        code, text, v = self.run_gate(*self.pair({"h": ok}, {"h": skip}))
        self.assertEqual(code, 3, text)
        code, text, v = self.run_gate(*self.pair({"h": skip}, {"h": skip}))
        self.assertEqual(code, 0, text)
        self.assertEqual(v["BM_A"]["verdict"], "skipped")

    def test_different_benchmark_sets(self):
        base, cand = self.pair({"h": rows_for("BM_A", spread(10, 8)) + rows_for("BM_Gone", spread(1, 8))},
                               {"h": rows_for("BM_A", spread(10, 8)) + rows_for("BM_New", spread(1, 8))})
        code, text, _ = self.run_gate(base, cand)
        self.assertEqual(code, 3, text)
        self.assertIn("1 missing from the candidate: BM_Gone", text)
        self.assertIn("1 not in the baseline: BM_New", text)
        code, text, v = self.run_gate(base, cand, "--intersection")
        self.assertEqual(code, 0, text)
        self.assertEqual(list(v), ["BM_A"])
        code, text, v = self.run_gate(base, cand, "--filter", "^BM_A$")
        self.assertEqual(code, 0, text)
        code, text, v = self.run_gate(base, cand, "--filter=-BM_(Gone|New)")
        self.assertEqual(code, 0, text)

    def test_debug_build_is_an_error_unless_allowed(self):
        rows = {"h": rows_for("BM_A", spread(10, 8))}
        base, cand = self.pair(rows, rows, cand={"build_type": "Debug"})
        code, text, _ = self.run_gate(base, cand)
        self.assertEqual(code, 3, text)
        self.assertIn("not an optimised build", text)
        code, text, _ = self.run_gate(base, cand, "--allow-debug")
        self.assertEqual(code, 0, text)

    def test_injected_delay_build_is_reported(self):
        rows = {"h": rows_for("BM_A", spread(10, 8))}
        base, cand = self.pair(rows, rows, cand={"extra_context": {"concur_inject_delay_us": "6.000000"}})
        code, text, _ = self.run_gate(base, cand)
        self.assertEqual(code, 0, text)
        self.assertIn("CONCUR_BENCH_INJECT_DELAY_US=6.000000", text)

    def test_bad_input_is_exit_3_without_traceback(self):
        base = write_run(self.dir / "base", {"h": rows_for("BM_A", [1.0])})
        code, text, _ = self.run_gate(base, self.dir / "nowhere")
        self.assertEqual(code, 3)
        self.assertIn("no such run directory", text)
        bad = write_run(self.dir / "bad", {})
        (bad / "h.json").write_text("not json")
        code, text, _ = self.run_gate(base, bad)
        self.assertEqual(code, 3)
        self.assertIn("malformed JSON", text)
        (bad / "h.json").write_text('{"context": {}}')
        code, text, _ = self.run_gate(base, bad)
        self.assertEqual(code, 3)
        self.assertIn("not Google Benchmark JSON", text)
        code, text, _ = self.run_gate(base, base, "--alpha", "2")
        self.assertEqual(code, 3)
        self.assertIn("--alpha wants a probability", text)
        # The script itself: exit status and no traceback.
        for args, status, message in ((["--bogus", str(base), str(base)], 3, "unrecognized arguments"),
                                      ([str(base), str(bad)], 3, "not Google Benchmark JSON"),
                                      ([str(base), str(base)], 0, "verdict: PASS")):
            p = subprocess.run([sys.executable, str(SCRIPT), "--no-config", *args],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, status, p.stdout + p.stderr)
            self.assertIn(message, p.stdout + p.stderr)
            self.assertNotIn("Traceback", p.stdout + p.stderr)

    def test_holm_adjusts_across_benchmarks(self):
        # 20 benchmarks, one 25 % slower with 4 repetitions: p = 1/70 alone,
        # 20/70 after Holm: inconclusive, not a regression.
        base_rows = [r for i in range(20) for r in rows_for("BM_%02d" % i, spread(10, 4))]
        cand_rows = rows_for("BM_00", spread(12.5, 4)) + [r for i in range(1, 20)
                                                           for r in rows_for("BM_%02d" % i, spread(10, 4))]
        code, text, v = self.run_gate(*self.pair({"h": base_rows}, {"h": cand_rows}))
        self.assertEqual(code, 2, text)
        self.assertAlmostEqual(v["BM_00"]["p_holm"], 20 / 70)
        self.assertIn("too few repetitions", v["BM_00"]["note"])


if __name__ == "__main__":
    unittest.main()
