// start_cost_benchmark — what it costs to start and join one process.
//
// Every benchmark starts one child that does nothing, waits for it, and
// reports the wall time per start+join (UseRealTime: the parent mostly sleeps
// in waitpid, so CPU time says little) and items_per_second = starts/second.
//
//   BM_Floor_ForkExitWait           raw fork(); child _exit(0); parent waitpid().
//                                   The floor of the "fork" start method.
//   BM_Floor_ForkExitWait/rss_mib:1024
//                                   the same while the parent holds 1 GiB of
//                                   touched memory (fork copies page tables).
//   BM_Floor_PosixSpawn             posix_spawn() of /proc/self/exe with
//                                   {argv0, "--concur-floor-exit"} (main exits
//                                   at once, before bootstrap) + waitpid(). The
//                                   floor of "spawn": a fresh image of this
//                                   same binary, loaded and linked, doing nothing.
//   BM_ProcessStartJoin/<method>    get_context(method).Process(noop), start(),
//                                   join(), for fork, spawn and forkserver.
//                                   The forkserver is started once before timing.
//   BM_ProcessStartJoin/<method>/rss_mib:1024
//                                   the same while the parent holds 1 GiB of
//                                   touched memory.
//
// Goals (checked in the report, never asserted here):
//   fork        <= 1.5 x BM_Floor_ForkExitWait (each at the same RSS)
//   spawn       <= 1.5 x BM_Floor_PosixSpawn
//   forkserver  <= 2   x BM_Floor_ForkExitWait
//   forkserver and spawn at 1 GiB RSS <= 1.2 x their own 0-RSS figures
//   (their cost must not grow with the parent's memory).
//
// benchmarks/peers/start_cost.py runs the same workloads on CPython and writes
// the same names. The names are fixed: Google Benchmark would append
// "/real_time" to every UseRealTime() benchmark, so main() installs reporters
// that leave it out and applies --benchmark_filter to the names itself.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "harness.hpp"

extern char** environ;

namespace mp = concur::multiprocessing;

namespace {

void noop() {}
CONCUR_REGISTER_TARGET(noop);

constexpr std::size_t kRssBytes = std::size_t{1024} << 20;  // rss_mib:1024
const char* g_argv0 = "start_cost_benchmark";

// Memory the parent holds, every page touched, for the rss_mib variants.
class Ballast {
 public:
  explicit Ballast(std::size_t bytes) : bytes_(bytes) {
    if (bytes_ == 0) return;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    data_ = static_cast<char*>(p);
    std::memset(data_, 1, bytes_);
    benchmark::DoNotOptimize(data_);
    benchmark::ClobberMemory();
  }
  ~Ballast() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  Ballast(const Ballast&) = delete;
  Ballast& operator=(const Ballast&) = delete;

 private:
  std::size_t bytes_;
  char* data_ = nullptr;
};

// The wait status of pid, or -1 if waitpid fails.
int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

void fail(benchmark::State& state, const std::string& what) {
  state.SkipWithError(what.c_str());
}

void BM_Floor_ForkExitWait(benchmark::State& state, std::size_t rss) {
  try {
    Ballast ballast(rss);
    for (auto _ : state) {
      pid_t pid = fork();
      if (pid == 0) _exit(0);
      if (pid < 0) return fail(state, std::string("fork: ") + std::strerror(errno));
      if (wait_for(pid) != 0) return fail(state, "child did not exit with 0");
    }
    state.SetItemsProcessed(state.iterations());
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
}

void BM_Floor_PosixSpawn(benchmark::State& state) {
  std::string arg0 = g_argv0;
  std::string arg1 = "--concur-floor-exit";
  char* child_argv[] = {arg0.data(), arg1.data(), nullptr};
  for (auto _ : state) {
    pid_t pid = 0;
    int err = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, child_argv, environ);
    if (err != 0) return fail(state, std::string("posix_spawn: ") + std::strerror(err));
    if (wait_for(pid) != 0) return fail(state, "child did not exit with 0");
  }
  state.SetItemsProcessed(state.iterations());
}

// One start+join of noop; false (and the benchmark skipped) on failure.
bool start_join(benchmark::State& state, const mp::Context& ctx) {
  auto p = ctx.Process(noop);
  p.start();
  p.join();
  if (auto code = p.exitcode(); code != 0) {
    fail(state, "child exitcode " + (code ? std::to_string(*code) : std::string("none")));
    return false;
  }
  return true;
}

void BM_ProcessStartJoin(benchmark::State& state, std::string method, std::size_t rss) {
  try {
    const mp::Context& ctx = mp::get_context(method);
    // Warm-up outside the timed loop: starts the forkserver on first use and
    // faults in the code paths of every method.
    if (!start_join(state, ctx)) return;
    Ballast ballast(rss);
    for (auto _ : state) {
      if (!start_join(state, ctx)) return;
    }
    state.SetItemsProcessed(state.iterations());
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
}

using concur_bench::add;

void register_benchmarks() {
  add("BM_Floor_ForkExitWait", BM_Floor_ForkExitWait, std::size_t{0});
  add("BM_Floor_ForkExitWait/rss_mib:1024", BM_Floor_ForkExitWait, kRssBytes);
  add("BM_Floor_PosixSpawn", BM_Floor_PosixSpawn);
  for (std::string m : {"fork", "spawn", "forkserver"}) {
    add("BM_ProcessStartJoin/" + m, BM_ProcessStartJoin, m, std::size_t{0});
  }
  for (std::string m : {"fork", "spawn", "forkserver"}) {
    add("BM_ProcessStartJoin/" + m + "/rss_mib:1024", BM_ProcessStartJoin, m, kRssBytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Floor mode for BM_Floor_PosixSpawn: exit before anything else runs.
  if (argc > 1 && std::strcmp(argv[1], "--concur-floor-exit") == 0) _exit(0);
  mp::bootstrap(argc, argv);
  g_argv0 = argv[0];
  return concur_bench::run(argc, argv, register_benchmarks);
}
