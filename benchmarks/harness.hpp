// benchmarks/harness.hpp — what every benchmark harness shares: exact
// benchmark names and the main() that runs them.
//
// Google Benchmark 1.7 appends "/real_time" to every UseRealTime() benchmark
// (and "/manual_time" to every UseManualTime() one)
// and matches --benchmark_filter against that decorated name. concur's names
// are fixed (e.g. BM_ProcessStartJoin/fork/rss_mib:0) because reports, peers and the
// regression gate join on them, so the harness registers exact names
// (add()), filters on them itself, and reports them unchanged.
//
// It also holds the one CPU-pinning mechanism of the harnesses (PinnedTo,
// pin_self): which benchmarks pin, and why, is listed in results/README.md.
#pragma once

#include <benchmark/benchmark.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace concur_bench {

// --benchmark_filter, matched against the exact names: "" or "all" selects
// everything, a leading '-' negates (Google Benchmark's rules and regex flavor).
inline std::string g_filter;

inline bool selected(const std::string& name) {
  if (g_filter.empty() || g_filter == "all") return true;
  bool negative = g_filter.front() == '-';
  std::regex re(negative ? g_filter.substr(1) : g_filter, std::regex::extended);
  return std::regex_search(name, re) != negative;
}

// Registers `fn(state, args...)` under exactly `name` (real time, µs);
// nothing when --benchmark_filter deselects it.
template <class F, class... A>
inline void add(const std::string& name, F fn, A... args) {
  if (!selected(name)) return;
  benchmark::RegisterBenchmark(name.c_str(), fn, args...)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// Registers `fn(state, args...)` under exactly `name` (µs), timed by the
// benchmark itself: each iteration reports its own time with
// state.SetIterationTime(seconds) (Google Benchmark's UseManualTime), e.g. a
// latency measured between two points inside the iteration.
template <class F, class... A>
inline void add_manual_time(const std::string& name, F fn, A... args) {
  if (!selected(name)) return;
  benchmark::RegisterBenchmark(name.c_str(), fn, args...)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

// Registers `fn(state, args...)` under exactly `name`, run by `threads`
// threads at once (Google Benchmark's Threads(); the name should say so, e.g.
// ".../threads:2"). Rates are summed over the threads.
template <class F, class... A>
inline void add_threaded(const std::string& name, int threads, F fn, A... args) {
  if (!selected(name)) return;
  benchmark::RegisterBenchmark(name.c_str(), fn, args...)
      ->Threads(threads)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// A reporter that prints the registered names unchanged (without the
// "/real_time", "/manual_time" and "/threads:N" suffixes Google Benchmark adds
// for UseRealTime(), UseManualTime() and Threads()).
template <class Base>
class ExactNames final : public Base {
 public:
  using Base::Base;
  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
    auto copy = runs;
    for (auto& run : copy) {
      run.run_name.time_type.clear();
      run.run_name.threads.clear();
    }
    Base::ReportRuns(copy);
  }
};

// ---- CPU pinning ----------------------------------------------------------

// The CPUs this process may run on (its affinity mask), in increasing order.
inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  return cpus;
}

// Pins the calling thread (and the processes it forks afterwards) to the
// `index`-th CPU of `cpus` (modulo their count): index 0 for a parent, 1 for
// its child puts two processes on different cores. Returns false when it
// could not (an empty list, or sched_setaffinity failed).
inline bool pin_self(const std::vector<int>& cpus, std::size_t index) {
  if (cpus.empty()) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpus[index % cpus.size()], &set);
  return ::sched_setaffinity(0, sizeof(set), &set) == 0;
}

// pin_self() for a scope: restores the thread's previous affinity mask when
// destroyed, so the benchmarks that follow run unpinned. A forked child
// inherits the pinning and re-pins itself with pin_self(cpus, 1).
class PinnedTo {
 public:
  PinnedTo(const std::vector<int>& cpus, std::size_t index) {
    CPU_ZERO(&saved_);
    saved_ok_ = ::sched_getaffinity(0, sizeof(saved_), &saved_) == 0;
    pin_self(cpus, index);
  }
  ~PinnedTo() {
    if (saved_ok_) ::sched_setaffinity(0, sizeof(saved_), &saved_);
  }
  PinnedTo(const PinnedTo&) = delete;
  PinnedTo& operator=(const PinnedTo&) = delete;

 private:
  cpu_set_t saved_;
  bool saved_ok_ = false;
};

// ---- the regression gate's hooks (scripts/compare) -------------------------

// CONCUR_BENCH_INJECT_DELAY_US (a CMake cache variable, default 0, never set
// by scripts/bench's normal build): microseconds of CPU time that ONE
// benchmark burns in every iteration: parallel_sum's
// BM_Sum_Plinq/100000/threads:1 (PLINQ's one-thread path, about 17.5 µs of
// CPU, steady to 2 % on a busy VM), so benchmarks/gate/trials' 4.4 µs is the
// 25 % slowdown the gate must catch (results/README.md has the measured
// effect). It tests the gate, it is not a benchmark: every harness reports it
// in its context ("concur_inject_delay_us") and scripts/compare warns.
#ifndef CONCUR_BENCH_INJECT_DELAY_US
#define CONCUR_BENCH_INJECT_DELAY_US 0
#endif
inline constexpr double kInjectDelayUs = CONCUR_BENCH_INJECT_DELAY_US;

// Busy work for kInjectDelayUs of this thread's CPU time (nothing in a normal
// build). CPU time, not wall time: a descheduled spin would otherwise cost
// less than asked on a busy machine.
inline void injected_delay() {
  if constexpr (kInjectDelayUs > 0) {
    auto now = [] {
      timespec ts{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
    };
    const double end = now() + kInjectDelayUs;
    while (now() < end) {
    }
  }
}

// The build type of concur's code in this harness, reported as the context
// key "concur_build_type" (benchlib's Run.debug_build() refuses to gate an
// unoptimised build): CMAKE_BUILD_TYPE ("None" when empty), passed by
// benchmarks/CMakeLists.txt; outside that build, from NDEBUG.
inline const char* build_type() {
#ifdef CONCUR_BENCH_BUILD_TYPE
  return CONCUR_BENCH_BUILD_TYPE;
#elif defined(NDEBUG)
  return "Release";
#else
  return "Debug";
#endif
}

// The value of --<flag>=<value> in argv, or `fallback`.
inline std::string_view flag_value(int argc, char** argv, std::string_view flag, std::string_view fallback) {
  std::string_view result = fallback;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.size() > flag.size() + 3 && a.substr(0, 2) == "--" && a.substr(2, flag.size()) == flag &&
        a[2 + flag.size()] == '=') {
      result = a.substr(flag.size() + 3);
    }
  }
  return result;
}

// json and console get ExactNames reporters; anything else (csv) is left to
// Google Benchmark's defaults (nullptr).
inline std::unique_ptr<benchmark::BenchmarkReporter> make_reporter(std::string_view format, bool to_terminal) {
  if (format == "json") return std::make_unique<ExactNames<benchmark::JSONReporter>>();
  if (format == "console") {
    return std::make_unique<ExactNames<benchmark::ConsoleReporter>>(
        to_terminal ? benchmark::ConsoleReporter::OO_ColorTabular : benchmark::ConsoleReporter::OO_Tabular);
  }
  return nullptr;
}

// Runs the harness: `register_benchmarks` calls add() for each benchmark.
// Call it from main() after bootstrap().
inline int run(int argc, char** argv, void (*register_benchmarks)()) {
  // Read the format flags before Initialize() consumes them.
  std::string_view color = flag_value(argc, argv, "benchmark_color", "auto");
  bool colored = color == "true" || color == "yes" || color == "1" ||
                 (color == "auto" && isatty(STDOUT_FILENO) != 0);
  auto display = make_reporter(flag_value(argc, argv, "benchmark_format", "console"), colored);
  std::unique_ptr<benchmark::BenchmarkReporter> file;
  if (!flag_value(argc, argv, "benchmark_out", "").empty()) {
    file = make_reporter(flag_value(argc, argv, "benchmark_out_format", "json"), false);
  }

  // Take --benchmark_filter out of argv: it is applied at registration.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.substr(0, 19) == "--benchmark_filter=") {
      g_filter = a.substr(19);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  try {
    register_benchmarks();
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "invalid --benchmark_filter '%s': %s\n", g_filter.c_str(), e.what());
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("concur_build_type", build_type());
  if (kInjectDelayUs > 0) benchmark::AddCustomContext("concur_inject_delay_us", std::to_string(kInjectDelayUs));
  benchmark::RunSpecifiedBenchmarks(display.get(), file.get());
  benchmark::Shutdown();
  return 0;
}

}  // namespace concur_bench
