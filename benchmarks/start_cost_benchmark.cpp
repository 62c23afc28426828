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
// subprocess (issue 6): a fresh image of another program.
//   BM_Floor_PosixSpawn/true        raw posix_spawn("/usr/bin/true") + waitpid():
//                                   the floor of BM_SubprocessRun/true (same image).
//   BM_SubprocessRun/true           concur::subprocess::run({"true"}): PATH
//                                   search, Boost.Process vfork+exec with
//                                   concur's child set-up, wait. Reported
//                                   against BM_Floor_PosixSpawn/true and
//                                   BM_Floor_PosixSpawn (scripts/ratios.py).
//   BM_Floor_SpawnCat/<size>        raw posix_spawn of cat with its stdin and
//                                   stdout on two pipes, <size> bytes written
//                                   and read back in a poll() loop, waitpid().
//   BM_PopenCommunicate/<size>      Popen({"cat"}, stdin=PIPE, stdout=PIPE)
//                                   .communicate(<size> bytes): the same work.
//                                   bytes_per_second counts <size> per start.
//
// Goals (checked in the report, never asserted here):
//   BM_SubprocessRun/true      <= 1.5 x BM_Floor_PosixSpawn/true
//   BM_PopenCommunicate/<size> <= 1.5 x BM_Floor_SpawnCat/<size>
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
#include <fcntl.h>
#include <poll.h>
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
#include "concur/subprocess.hpp"
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

// ---------------------------------------------------------------- subprocess

namespace sp = concur::subprocess;

void BM_Floor_PosixSpawnTrue(benchmark::State& state) {
  char arg0[] = "true";
  char* child_argv[] = {arg0, nullptr};
  for (auto _ : state) {
    pid_t pid = 0;
    int err = posix_spawn(&pid, "/usr/bin/true", nullptr, nullptr, child_argv, environ);
    if (err != 0) return fail(state, std::string("posix_spawn: ") + std::strerror(err));
    if (wait_for(pid) != 0) return fail(state, "child did not exit with 0");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SubprocessRun(benchmark::State& state) {
  try {
    for (auto _ : state) {
      if (sp::run({"true"}).returncode != 0) return fail(state, "true did not exit with 0");
    }
    state.SetItemsProcessed(state.iterations());
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
}

std::string payload(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// Raw floor of BM_PopenCommunicate: posix_spawn cat on two pipes, write and
// read in one poll() loop (non-blocking stdin), waitpid. Returns false on error.
bool spawn_cat_echo(const std::string& in, std::string& out) {
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) return false;
  if (pipe2(from_child, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
  char arg0[] = "cat";
  char* child_argv[] = {arg0, nullptr};
  pid_t pid = 0;
  int err = posix_spawn(&pid, "/usr/bin/cat", &fa, nullptr, child_argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(to_child[0]);
  close(from_child[1]);
  if (err != 0) return false;
  int wfd = to_child[1], rfd = from_child[0];
  fcntl(wfd, F_SETFL, O_NONBLOCK);
  std::size_t off = 0, len = 0;
  out.resize(std::max<std::size_t>(in.size(), 1) + 65536);
  if (in.empty()) {
    close(wfd);
    wfd = -1;
  }
  while (wfd >= 0 || rfd >= 0) {
    pollfd fds[2];
    int n = 0;
    if (wfd >= 0) fds[n++] = {wfd, POLLOUT, 0};
    if (rfd >= 0) fds[n++] = {rfd, POLLIN, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0 && errno != EINTR) return false;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == wfd) {
        ssize_t w = write(wfd, in.data() + off, std::min<std::size_t>(in.size() - off, std::size_t{1} << 20));
        if (w > 0) off += static_cast<std::size_t>(w);
        if (off == in.size() || (w < 0 && errno != EAGAIN)) {
          close(wfd);
          wfd = -1;
        }
      } else {
        if (out.size() - len < 65536) out.resize(out.size() * 2);
        ssize_t r = read(rfd, out.data() + len, out.size() - len);
        if (r > 0) len += static_cast<std::size_t>(r);
        if (r == 0 || (r < 0 && errno != EINTR)) {
          close(rfd);
          rfd = -1;
        }
      }
    }
  }
  out.resize(len);
  return wait_for(pid) == 0;
}

void BM_Floor_SpawnCat(benchmark::State& state, std::size_t size) {
  std::string in = payload(size), out;
  for (auto _ : state) {
    if (!spawn_cat_echo(in, out) || out.size() != size) return fail(state, "cat did not echo the input");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(size));
}

void BM_PopenCommunicate(benchmark::State& state, std::size_t size) {
  try {
    std::string in = payload(size);
    for (auto _ : state) {
      sp::Popen p({"cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
      auto [out, err] = p.communicate(in);
      if (!out || out->size() != size || p.returncode() != 0) return fail(state, "cat did not echo the input");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(size));
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
}

constexpr std::size_t kCommunicateSizes[] = {64, std::size_t{1} << 20, std::size_t{16} << 20};

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
  add("BM_Floor_PosixSpawn/true", BM_Floor_PosixSpawnTrue);
  add("BM_SubprocessRun/true", BM_SubprocessRun);
  for (std::size_t size : kCommunicateSizes) {
    add("BM_Floor_SpawnCat/" + std::to_string(size), BM_Floor_SpawnCat, size);
    add("BM_PopenCommunicate/" + std::to_string(size), BM_PopenCommunicate, size);
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
