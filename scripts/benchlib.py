"""The one reader of benchmark results, shared by scripts/report, scripts/compare
and scripts/ratios.py.

A *run* is a directory written by scripts/bench (results/README.md): one
Google Benchmark JSON per C++ harness (<harness>.json), one per CPython peer
(<harness>_cpython.json, same format) and environment.json. load_run() reads
all of it into a Run; anything malformed raises BenchInputError with a message
that names the file and the problem (callers print it, never a traceback).

Per benchmark (keyed by run_name, so repetitions collect under one name; a
CPython row named BM_<x>, as older peers wrote, is keyed CPython_<x>) a Run
keeps the per-repetition samples, not only aggregates, because the gate's
statistics (Mann-Whitney U) work on samples:
  real_ns, cpu_ns      one value per repetition (iteration rows), in ns
  counters             {counter: [one value per repetition]}: items_per_second,
                       bytes_per_second and every user counter; rates
                       (HIGHER_IS_BETTER) are better when larger
  aggregates           {aggregate_name: row} (mean, median, stddev, cv, ...)
  error / skipped      the message when Google Benchmark reports one

Pairings come from scripts/ratios.py, which owns them: floor_of() names the
floor a benchmark is measured against in the same run (ratios.goal_for), and
peer_of() names its CPython twin row (ratios.peer_name).
"""

import json
import math
import pathlib
import statistics

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Fields of a Google Benchmark row that are not counters.
_ROW_FIELDS = {
    "name", "run_name", "run_type", "family_index", "per_family_instance_index",
    "repetitions", "repetition_index", "threads", "iterations", "real_time",
    "cpu_time", "time_unit", "error_occurred", "error_message", "aggregate_name",
    "aggregate_unit", "label", "skipped", "skip_message",
}


def is_rate(counter):
    """Whether a larger value of this counter is better (a rate)."""
    return counter.endswith("_per_second") or counter in ("speedup",)


class BenchInputError(Exception):
    """Bad input: a missing file, malformed JSON, an unexpected layout."""


class Benchmark:
    def __init__(self, name, harness, source, order):
        self.name = name
        self.harness = harness      # e.g. "start_cost"
        self.source = source        # "concur" or "cpython"
        self.order = order          # (family_index, per_family_instance_index)
        self.time_unit = "ns"
        self.real_ns = []
        self.cpu_ns = []
        self.counters = {}
        self.aggregates = {}
        self.error = None
        self.skipped = None
        self.label = None

    @property
    def ok(self):
        return self.error is None and self.skipped is None and bool(self.real_ns)

    def samples(self, metric="real_time"):
        """Per-repetition samples of a metric: real_time/cpu_time in ns, or a counter."""
        if metric == "real_time":
            return list(self.real_ns)
        if metric == "cpu_time":
            return list(self.cpu_ns)
        return list(self.counters.get(metric, []))

    def median(self, metric="real_time"):
        s = self.samples(metric)
        return statistics.median(s) if s else math.nan

    def spread(self, metric="real_time"):
        """(q1, q3) of the samples; (min, max) below four samples."""
        s = sorted(self.samples(metric))
        if not s:
            return (math.nan, math.nan)
        if len(s) < 4:
            return (s[0], s[-1])
        q = statistics.quantiles(s, n=4, method="inclusive")
        return (q[0], q[2])

    def __repr__(self):
        return "<Benchmark %s %s n=%d%s>" % (self.source, self.name, len(self.real_ns),
                                            " error" if self.error else "")


class Run:
    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.environment = {}
        self.contexts = {}           # file name -> Google Benchmark "context"
        self.benchmarks = {}         # name -> Benchmark (concur and CPython rows)
        self.files = []
        self.warnings = []

    def __getitem__(self, name):
        return self.benchmarks[name]

    def __contains__(self, name):
        return name in self.benchmarks

    def names(self, source=None, harness=None):
        rows = [b for b in self.benchmarks.values()
                if (source is None or b.source == source) and (harness is None or b.harness == harness)]
        rows.sort(key=lambda b: (b.harness, b.source, b.order))
        return [b.name for b in rows]

    def harnesses(self):
        return sorted({b.harness for b in self.benchmarks.values()})

    def medians_us(self, harness=None):
        """{name: median real time in µs, or "error: ..."}: the rows ratios.py works on."""
        out = {}
        for name in self.names(harness=harness):
            b = self.benchmarks[name]
            if b.ok:
                out[name] = b.median() / 1e3
            else:
                out[name] = "error: " + (b.error or b.skipped or "no samples")
        return out

    def debug_build(self):
        """Why the run's concur code is not an optimised build, or [] if it is.

        Each harness records "concur_build_type" in its context (harness.hpp);
        environment.json records the CMake build type. Google Benchmark's own
        "library_build_type" is not used: Debian's libbenchmark reports "debug"
        although its timing loop is optimised, so it would flag every run.
        """
        bad = []
        for f, ctx in self.contexts.items():
            bt = ctx.get("concur_build_type")
            if bt is not None and str(bt).lower() not in ("release", "relwithdebinfo"):
                bad.append("%s: concur built as %s" % (f, bt))
        bt = self.environment.get("cmake_build_type")
        if bt and str(bt).lower() not in ("release", "relwithdebinfo"):
            bad.append("environment.json: cmake_build_type %s" % bt)
        return bad


def _load_json(path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BenchInputError("%s: cannot read: %s" % (path, e.strerror or e)) from None
    try:
        return json.loads(text)
    except ValueError as e:
        raise BenchInputError("%s: malformed JSON: %s" % (path, e)) from None


def load_file(run, path, harness, source):
    """Adds the rows of one Google Benchmark JSON file to run."""
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise BenchInputError("%s: not Google Benchmark JSON (no \"benchmarks\" list)" % path)
    run.files.append(path.name)
    run.contexts[path.name] = data.get("context", {}) if isinstance(data.get("context"), dict) else {}
    for i, row in enumerate(data["benchmarks"]):
        if not isinstance(row, dict) or "name" not in row:
            raise BenchInputError("%s: benchmark row %d has no name" % (path, i))
        name = row.get("run_name", row["name"])
        if source == "cpython" and name.startswith("BM_"):
            # Older peers named their rows like the harness's: keep them apart
            # from the C++ rows under the name ratios.peer_name gives them.
            name = "CPython_" + name[3:]
        b = run.benchmarks.get(name)
        if b is None:
            b = Benchmark(name, harness, source,
                          (row.get("family_index", 0), row.get("per_family_instance_index", 0)))
            run.benchmarks[name] = b
        elif b.harness != harness:
            raise BenchInputError("%s: benchmark %s also appears in %s's results" % (path, name, b.harness))
        if row.get("error_occurred"):
            b.error = row.get("error_message") or "error_occurred"
            continue
        if row.get("skipped") or row.get("skip_message"):
            b.skipped = row.get("skip_message") or "skipped"
            continue
        unit = row.get("time_unit", "ns")
        if unit not in TO_NS:
            raise BenchInputError("%s: %s has unknown time_unit %r" % (path, name, unit))
        if row.get("run_type", "iteration") == "aggregate":
            b.aggregates[row.get("aggregate_name", "?")] = row
            continue
        try:
            b.real_ns.append(float(row["real_time"]) * TO_NS[unit])
            b.cpu_ns.append(float(row.get("cpu_time", row["real_time"])) * TO_NS[unit])
        except (KeyError, TypeError, ValueError):
            raise BenchInputError("%s: %s has no numeric real_time" % (path, name)) from None
        b.time_unit = unit
        if row.get("label"):
            b.label = row["label"]
        for k, v in row.items():
            if k not in _ROW_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool):
                b.counters.setdefault(k, []).append(float(v))


def load_run(path, peers=True):
    """Reads a run directory (or a single Google Benchmark JSON file); with
    peers=False the CPython peers' <harness>_cpython.json files are skipped."""
    path = pathlib.Path(path)
    run = Run(path)
    if path.is_file():
        harness = path.stem[:-len("_cpython")] if path.stem.endswith("_cpython") else path.stem
        load_file(run, path, harness, "cpython" if path.stem.endswith("_cpython") else "concur")
        return run
    if not path.is_dir():
        raise BenchInputError("%s: no such run directory" % path)
    env = path / "environment.json"
    if env.exists():
        data = _load_json(env)
        if not isinstance(data, dict):
            raise BenchInputError("%s: not a JSON object" % env)
        run.environment = data
    else:
        run.warnings.append("no environment.json: not a scripts/bench run directory?")
    found = False
    for p in sorted(path.glob("*.json")):
        if p.name == "environment.json" or p.name.startswith("report"):
            continue
        cpython = p.stem.endswith("_cpython")
        if cpython and not peers:
            continue
        harness = p.stem[:-len("_cpython")] if cpython else p.stem
        load_file(run, p, harness, "cpython" if cpython else "concur")
        found = True
    if not found:
        raise BenchInputError("%s: no benchmark JSON files" % path)
    return run


def _ratios():
    import importlib.util
    spec = importlib.util.spec_from_file_location("concur_ratios", pathlib.Path(__file__).with_name("ratios.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_RATIOS = None


def ratios():
    """scripts/ratios.py as a module (it owns the floor and peer pairings and the goals)."""
    global _RATIOS
    if _RATIOS is None:
        _RATIOS = _ratios()
    return _RATIOS


def floor_of(run, name):
    """The floor benchmark name measured in the same run for name, or None."""
    b = run.benchmarks.get(name)
    if b is None or b.source != "concur":
        return None
    r = ratios()
    rows = run.medians_us(harness=b.harness)
    floor, _ = r.goal_for(name, rows)
    if name.startswith("BM_PoolMap/") and not floor:
        floor = next((n for n in rows if n.startswith("BM_Floor_FnCall/")), None)
    return floor if floor in run.benchmarks and floor != name else None


def peer_of(run, name):
    """The CPython peer row of a concur benchmark, if the run has it."""
    r = ratios()
    for cand in (r.peer_name(name), name):
        b = run.benchmarks.get(cand)
        if b is not None and b.source == "cpython":
            return cand
    return None


class RatioCI:
    """ratio_ci()'s answer: new/old as a factor, its confidence interval
    [low, high], the confidence the interval actually reaches (small samples
    cannot reach every level) and the two-sided Mann-Whitney p-value."""

    __slots__ = ("ratio", "low", "high", "confidence", "p_value")

    def __init__(self, ratio, low, high, confidence, p_value):
        self.ratio, self.low, self.high = ratio, low, high
        self.confidence, self.p_value = confidence, p_value

    def __repr__(self):
        return "RatioCI(%.4g [%.4g, %.4g] @%.3f, p=%s)" % (
            self.ratio, self.low, self.high, self.confidence, self.p_value)


def _mann_whitney_cdf(m, n):
    """Exact null distribution of the Mann-Whitney U for sample sizes m, n:
    cdf[u] = P(U <= u), u = 0 .. m*n (counts of the Gaussian binomial)."""
    # ways[j][u]: orderings of i values of one sample and j of the other with U = u.
    ways = [[1] for _ in range(n + 1)]
    for i in range(1, m + 1):
        row = [[1]]
        for j in range(1, n + 1):
            a = row[j - 1]                # the last value is from the second sample
            b = [0] * j + ways[j]         # ... from the first: it beats all j others
            size = max(len(a), len(b))
            row.append([(a[u] if u < len(a) else 0) + (b[u] if u < len(b) else 0) for u in range(size)])
        ways = row
    counts = ways[n]
    total = float(sum(counts))
    cdf, acc = [], 0
    for c in counts:
        acc += c
        cdf.append(acc / total)
    return cdf


def ratio_ci(new, old, confidence=0.95):
    """new/old of two samples of positive values (e.g. times), as a RatioCI.

    The estimate is the Hodges-Lehmann shift of the logarithms (the median of
    all pairwise log(new_i / old_j)), exponentiated: a ratio of typical
    values that one outlier cannot move. The interval is the distribution-free
    one that inverts the Mann-Whitney test (Hollander & Wolfe, ch. 4): the
    k-th smallest and k-th largest pairwise ratio, k from the exact U
    distribution (normal approximation above 50 per sample). With 3 against
    3 samples no interval reaches 95%; the widest one, [min, max] of the
    pairwise ratios, reaches 90%, and .confidence says so. None when a
    sample is empty or not positive.
    """
    new = [float(x) for x in new]
    old = [float(x) for x in old]
    if not new or not old or min(new) <= 0 or min(old) <= 0:
        return None
    m, n = len(new), len(old)
    d = sorted(math.log(a) - math.log(b) for a in new for b in old)
    mn = len(d)
    estimate = statistics.median(d)
    alpha = 1.0 - confidence
    if m <= 50 and n <= 50:
        cdf = _mann_whitney_cdf(m, n)
        # the largest k with P(U <= k - 1) <= alpha / 2; at least 1 (min/max)
        k = 1
        while k < (mn + 1) // 2 and cdf[k] <= alpha / 2:
            k += 1
        reached = 1.0 - 2.0 * cdf[k - 1]
    else:
        from statistics import NormalDist
        z = NormalDist().inv_cdf(1.0 - alpha / 2)
        k = max(1, int(math.floor(mn / 2.0 - z * math.sqrt(mn * (m + n + 1) / 12.0))))
        reached = confidence
    low, high = d[k - 1], d[mn - k]
    p_value = None
    try:
        from scipy.stats import mannwhitneyu
        p_value = float(mannwhitneyu(new, old, alternative="two-sided").pvalue)
    except ImportError:
        pass
    return RatioCI(math.exp(estimate), math.exp(low), math.exp(high), reached, p_value)
