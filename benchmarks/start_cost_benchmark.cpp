// start_cost_benchmark — what it costs to start and join one process.
//
// Every start+join benchmark starts one child that does nothing, waits for it,
// and reports the wall time per start+join (UseRealTime: the parent mostly
// sleeps in waitpid, so CPU time says little) and items_per_second =
// starts/second. Every row names the parent's state: rss_mib:<N> (N MiB of
// touched, private, 4 KiB-paged memory held by the parent, 0 for none) or
// threads:<k> (k idle threads besides the main one).
//
//   BM_Floor_ForkExitWait/rss_mib:<0|256|1024>
//                                   raw fork(); child _exit(0); parent waitpid().
//                                   The floor of the "fork" start method; fork
//                                   copies the page tables, so it grows with RSS.
//   BM_Floor_ForkExitWait/threads:<1|8>
//                                   the same with k idle threads in the parent.
//   BM_Floor_PosixSpawn/rss_mib:<0|256|1024>, BM_Floor_PosixSpawn/threads:<1|8>
//                                   posix_spawn() of /proc/self/exe with
//                                   {argv0, "--concur-floor-exit"} (main exits
//                                   at once, before bootstrap) + waitpid(). The
//                                   floor of "spawn": a fresh image of this
//                                   same binary, loaded and linked, doing nothing.
//   BM_ProcessStartJoin/<method>/rss_mib:<0|256|1024>
//   BM_ProcessStartJoin/<method>/threads:<1|8>
//                                   get_context(method).Process(noop), start(),
//                                   join(), for fork, spawn and forkserver. The
//                                   forkserver is started once before timing.
//                                   threads:<k> rows set the multiprocessing
//                                   logger to ERROR while they run: fork's
//                                   "is multi-threaded" warning would otherwise
//                                   write one line per start (its check, one
//                                   stat(2), is still paid).
//   BM_ProcessStartLatency/<method> the time from start() to the first
//                                   instruction of the target, which writes
//                                   CLOCK_MONOTONIC into a RawValue<int64_t>
//                                   (shared memory) passed as its argument; the
//                                   join is not timed (manual time).
//   BM_Floor_ForkLatency            raw fork() to the child's first instruction
//                                   (a CLOCK_MONOTONIC stamp in a MAP_SHARED page).
//   BM_Floor_PosixSpawnLatency      raw posix_spawn() of /proc/self/exe to the
//                                   first instruction of its main() (which
//                                   pwrite()s the stamp into an inherited memfd).
//
// The threads:<k> suffix is part of the exact name: these rows run on one
// benchmark thread (the JSON's "threads" field is 1); <k> counts the parent's
// idle threads, not Google Benchmark's threads (results/README.md).
//
// rss_mib:256 rows run in every profile (~3 s of the quick one).
// The parent's ballast is kept between the calls Google Benchmark makes of one
// row (its iteration-count search) and replaced when a row wants another size.
//
// subprocess (issue 6): a fresh image of another program.
//   BM_Floor_PosixSpawn/true        raw posix_spawn("/usr/bin/true") + waitpid():
//                                   the floor of BM_SubprocessRun/true (same image).
//   BM_SubprocessRun/true           concur::subprocess::run({"true"}): PATH
//                                   search, Boost.Process vfork+exec with
//                                   concur's child set-up, wait. Reported
//                                   against BM_Floor_PosixSpawn/true and
//                                   BM_Floor_PosixSpawn/rss_mib:0 (scripts/ratios.py).
//   BM_Floor_SpawnCat/<size>        raw posix_spawn of cat with its stdin and
//                                   stdout on two pipes, <size> bytes written
//                                   and read back in a poll() loop, waitpid().
//   BM_PopenCommunicate/<size>      Popen({"cat"}, stdin=PIPE, stdout=PIPE)
//                                   .communicate(<size> bytes): the same work.
//                                   bytes_per_second counts <size> per start.
//
// Goals (checked in the report by scripts/ratios.py, never asserted here):
//   BM_SubprocessRun/true      <= 1.5 x BM_Floor_PosixSpawn/true
//   BM_PopenCommunicate/<size> <= 1.5 x BM_Floor_SpawnCat/<size>
//   fork        <= 1.5 x BM_Floor_ForkExitWait  (same rss_mib / threads)
//   spawn       <= 1.5 x BM_Floor_PosixSpawn    (same rss_mib / threads)
//   forkserver  <= 2   x BM_Floor_ForkExitWait/rss_mib:0 (the server is small)
//   forkserver and spawn at every rss_mib <= 1.2 x their own rss_mib:0 figure
//   (their cost must not grow with the parent's memory).
//
// benchmarks/peers/start_cost.py runs the same workloads on CPython and names
// its rows CPython_<name without "BM_">. The names are fixed: Google Benchmark
// would append "/real_time" (or "/manual_time") to them, so main() installs
// reporters that leave it out and applies --benchmark_filter to the names itself.
//
// Not pinned to a core: the child must be able to run on the other core while
// the parent waits (results/README.md, "Pinning").
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "concur/subprocess.hpp"
#include "concur/threading/event.hpp"
#include "harness.hpp"

extern char** environ;

namespace mp = concur::multiprocessing;

namespace {

void noop() {}
CONCUR_REGISTER_TARGET(noop);

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// BM_ProcessStartLatency's target: its first instruction stamps the time.
void stamp_start(mp::RawValue<std::int64_t> stamp) { stamp.set_value(monotonic_ns()); }
CONCUR_REGISTER_TARGET(stamp_start);

constexpr std::size_t kRssMib[] = {0, 256, 1024};
constexpr int kParentThreads[] = {1, 8};
constexpr const char* kMethods[] = {"fork", "spawn", "forkserver"};
// main()'s fd for BM_Floor_PosixSpawnLatency's stamp (a memfd dup2'ed there).
constexpr int kStampFd = 3;
const char* g_argv0 = "start_cost_benchmark";

// Memory the parent holds, every page touched, for the rss_mib rows. 4 KiB
// pages (MADV_NOHUGEPAGE), so fork copies one page-table entry per 4 KiB
// whatever the machine's transparent-huge-page setting.
class Ballast {
 public:
  explicit Ballast(std::size_t bytes) : bytes_(bytes) {
    if (bytes_ == 0) return;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap ballast");
    data_ = static_cast<char*>(p);
    madvise(data_, bytes_, MADV_NOHUGEPAGE);
    std::memset(data_, 1, bytes_);
    benchmark::DoNotOptimize(data_);
    benchmark::ClobberMemory();
  }
  ~Ballast() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  Ballast(const Ballast&) = delete;
  Ballast& operator=(const Ballast&) = delete;
  std::size_t size() const { return bytes_; }

 private:
  std::size_t bytes_;
  char* data_ = nullptr;
};

// Makes the parent hold exactly `mib` MiB of ballast (0: none). Kept across
// calls: Google Benchmark calls a row several times while it searches the
// iteration count, and touching 1 GiB each time would cost more than the row.
void hold_ballast(std::size_t mib) {
  static std::unique_ptr<Ballast> held;
  std::size_t bytes = mib << 20;
  if (held && held->size() == bytes) return;
  held.reset();
  if (bytes != 0) held = std::make_unique<Ballast>(bytes);
}

// k threads that sleep in the parent while the object lives (threads:<k> rows).
class IdleThreads {
 public:
  explicit IdleThreads(int k) {
    for (int i = 0; i < k; ++i) threads_.emplace_back([this] { stop_.wait(); });
  }
  ~IdleThreads() {
    stop_.set();
    for (auto& t : threads_) t.join();
  }
  IdleThreads(const IdleThreads&) = delete;
  IdleThreads& operator=(const IdleThreads&) = delete;

 private:
  concur::threading::Event stop_;
  std::vector<std::thread> threads_;
};

// The multiprocessing logger at ERROR while the object lives: fork from a
// threaded parent would log its warning once per start.
class QuietLogger {
 public:
  QuietLogger() : level_(mp::get_logger().level()) { mp::get_logger().set_level(concur::logging::ERROR); }
  ~QuietLogger() { mp::get_logger().set_level(level_); }
  QuietLogger(const QuietLogger&) = delete;
  QuietLogger& operator=(const QuietLogger&) = delete;

 private:
  int level_;
};

// The parent's state of one row: rss_mib:<N> or threads:<k>.
struct Parent {
  std::size_t rss_mib = 0;
  int threads = 0;
};

// Holds the row's ballast and threads while it lives.
class ParentState {
 public:
  explicit ParentState(Parent parent) : threads_(parent.threads) { hold_ballast(parent.rss_mib); }

 private:
  QuietLogger quiet_;
  IdleThreads threads_;
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

void BM_Floor_ForkExitWait(benchmark::State& state, Parent parent) {
  try {
    ParentState held(parent);
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

void BM_Floor_PosixSpawn(benchmark::State& state, Parent parent) {
  try {
    ParentState held(parent);
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
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
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

void BM_ProcessStartJoin(benchmark::State& state, std::string method, Parent parent) {
  try {
    const mp::Context& ctx = mp::get_context(method);
    ParentState held(parent);
    // Warm-up outside the timed loop: starts the forkserver on first use and
    // faults in the code paths of every method. (The forkserver is a fresh
    // image: it never inherits the ballast.)
    if (!start_join(state, ctx)) return;
    for (auto _ : state) {
      if (!start_join(state, ctx)) return;
    }
    state.SetItemsProcessed(state.iterations());
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
}

// One start of stamp_start, timed from just before start() to the child's
// stamp; the join follows untimed. Returns the latency in ns, or -1 (and the
// benchmark skipped) on failure.
std::int64_t start_latency(benchmark::State& state, const mp::Context& ctx, mp::RawValue<std::int64_t>& stamp) {
  stamp.set_value(0);
  auto p = ctx.Process(stamp_start, stamp);
  std::int64_t t0 = monotonic_ns();
  p.start();
  p.join();
  if (p.exitcode() != 0 || stamp.value() == 0) {
    fail(state, "the child did not stamp its start");
    return -1;
  }
  return stamp.value() - t0;
}

void BM_ProcessStartLatency(benchmark::State& state, std::string method) {
  try {
    const mp::Context& ctx = mp::get_context(method);
    hold_ballast(0);
    mp::RawValue<std::int64_t> stamp(0);
    if (start_latency(state, ctx, stamp) < 0) return;  // warm-up, as above
    for (auto _ : state) {
      std::int64_t ns = start_latency(state, ctx, stamp);
      if (ns < 0) return;
      state.SetIterationTime(static_cast<double>(ns) * 1e-9);
    }
    state.SetItemsProcessed(state.iterations());
  } catch (const std::exception& e) {
    fail(state, e.what());
  }
}

void BM_Floor_ForkLatency(benchmark::State& state) {
  hold_ballast(0);
  void* page = mmap(nullptr, sizeof(std::int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return fail(state, std::string("mmap: ") + std::strerror(errno));
  auto* stamp = static_cast<volatile std::int64_t*>(page);
  std::string error;
  for (auto _ : state) {
    *stamp = 0;
    std::int64_t t0 = monotonic_ns();
    pid_t pid = fork();
    if (pid == 0) {
      *stamp = monotonic_ns();
      _exit(0);
    }
    if (pid < 0) {
      error = std::string("fork: ") + std::strerror(errno);
      break;
    }
    if (wait_for(pid) != 0 || *stamp == 0) {
      error = "the forked child did not stamp its start";
      break;
    }
    state.SetIterationTime(static_cast<double>(*stamp - t0) * 1e-9);
  }
  munmap(page, sizeof(std::int64_t));
  if (!error.empty()) return fail(state, error);
  state.SetItemsProcessed(state.iterations());
}

void BM_Floor_PosixSpawnLatency(benchmark::State& state) {
  hold_ballast(0);
  int memfd = memfd_create("concur-floor-stamp", MFD_CLOEXEC);
  if (memfd < 0) return fail(state, std::string("memfd_create: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, memfd, kStampFd);  // dup2 clears close-on-exec
  std::string arg0 = g_argv0;
  std::string arg1 = "--concur-floor-stamp";
  char* child_argv[] = {arg0.data(), arg1.data(), nullptr};
  std::string error;
  for (auto _ : state) {
    std::int64_t stamp = 0;
    if (pwrite(memfd, &stamp, sizeof stamp, 0) != sizeof stamp) {
      error = std::string("pwrite: ") + std::strerror(errno);
      break;
    }
    pid_t pid = 0;
    std::int64_t t0 = monotonic_ns();
    if (int err = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, child_argv, environ); err != 0) {
      error = std::string("posix_spawn: ") + std::strerror(err);
      break;
    }
    if (wait_for(pid) != 0 || pread(memfd, &stamp, sizeof stamp, 0) != sizeof stamp || stamp == 0) {
      error = "the spawned child did not stamp its start";
      break;
    }
    state.SetIterationTime(static_cast<double>(stamp - t0) * 1e-9);
  }
  posix_spawn_file_actions_destroy(&fa);
  close(memfd);
  if (!error.empty()) return fail(state, error);
  state.SetItemsProcessed(state.iterations());
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
  for (std::size_t mib : kRssMib) {
    std::string rss = "/rss_mib:" + std::to_string(mib);
    add("BM_Floor_ForkExitWait" + rss, BM_Floor_ForkExitWait, Parent{.rss_mib = mib});
    add("BM_Floor_PosixSpawn" + rss, BM_Floor_PosixSpawn, Parent{.rss_mib = mib});
    for (std::string m : kMethods) add("BM_ProcessStartJoin/" + m + rss, BM_ProcessStartJoin, m, Parent{.rss_mib = mib});
  }
  for (int k : kParentThreads) {
    std::string threads = "/threads:" + std::to_string(k);
    add("BM_Floor_ForkExitWait" + threads, BM_Floor_ForkExitWait, Parent{.threads = k});
    add("BM_Floor_PosixSpawn" + threads, BM_Floor_PosixSpawn, Parent{.threads = k});
    for (std::string m : kMethods) add("BM_ProcessStartJoin/" + m + threads, BM_ProcessStartJoin, m, Parent{.threads = k});
  }
  concur_bench::add_manual_time("BM_Floor_ForkLatency", BM_Floor_ForkLatency);
  concur_bench::add_manual_time("BM_Floor_PosixSpawnLatency", BM_Floor_PosixSpawnLatency);
  for (std::string m : kMethods) {
    concur_bench::add_manual_time("BM_ProcessStartLatency/" + m, BM_ProcessStartLatency, m);
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
  // Floor modes, before anything else runs: BM_Floor_PosixSpawn exits at
  // once; BM_Floor_PosixSpawnLatency's child stamps its start into fd 3 first.
  if (argc > 1 && std::strcmp(argv[1], "--concur-floor-exit") == 0) _exit(0);
  if (argc > 1 && std::strcmp(argv[1], "--concur-floor-stamp") == 0) {
    std::int64_t now = monotonic_ns();
    _exit(pwrite(kStampFd, &now, sizeof now, 0) == sizeof now ? 0 : 1);
  }
  mp::bootstrap(argc, argv);
  g_argv0 = argv[0];
  return concur_bench::run(argc, argv, register_benchmarks);
}
