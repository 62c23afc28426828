// fork_with_threads — seed 001's warning, shown: "如果X线程对锁A执行加锁操作后，
// Y线程执行了fork操作，则子进程中只会复制Y线程。子进程中A锁的将不再会被释放，
// 如果子进程中任意线程对A锁执行加锁操作，将发生死锁。" (a lock that another
// thread holds when the parent forks stays locked forever in the child; a
// child that takes it deadlocks).
//
// For each start method the program
//   1. starts a "holder" thread that acquires the global threading::Lock
//      g_lock and keeps it;
//   2. starts a child process whose target acquires g_lock and returns;
//   3. waits up to --timeout seconds for the child, then lets the holder go.
// Under fork the child is a copy of the parent taken while g_lock was held by
// a thread that does not exist in the child: it blocks forever. The program
// reports the hang, kills the child (SIGKILL) and reaps it. Under spawn and
// forkserver the child is a fresh image whose g_lock is a new, free lock: it
// finishes at once.
//
//   fork_with_threads [--timeout=SECONDS]   (default 2)
//
// Exit status 0 when that is what happened (fork hung and was killed, spawn and
// forkserver finished with exit code 0), 1 otherwise, 2 on bad arguments.
// Built with the benchmarks; CTest runs it as bench_smoke.fork_with_threads.
// fork's "is multi-threaded" warning (concur logs it, as CPython 3.12 does) is
// part of the output on purpose.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "concur/threading/event.hpp"
#include "concur/threading/lock.hpp"

namespace mp = concur::multiprocessing;
namespace th = concur::threading;

namespace {

th::Lock g_lock;  // "锁A": in-process, copied into a forked child as it is

// The child's target: take g_lock, as any code in the child might (seed 001
// names malloc and printf, whose internal locks behave the same way).
void take_the_lock() {
  g_lock.acquire();
  g_lock.release();
}
CONCUR_REGISTER_TARGET(take_the_lock);

// A thread that takes g_lock at construction, once the constructor returns,
// and gives it back when destroyed.
class Holder {
 public:
  Holder()
      : thread_([this] {
          g_lock.acquire();
          held_.set();
          release_.wait();
          g_lock.release();
        }) {
    held_.wait();
  }
  ~Holder() {
    release_.set();
    thread_.join();
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

 private:
  th::Event held_, release_;
  std::thread thread_;
};

// Runs the scenario under `method`; returns true when the outcome is the one
// the seed predicts (fork: the child hangs; spawn/forkserver: it finishes).
bool run_scenario(const std::string& method, double timeout_s) {
  bool hung = false;
  std::optional<int> code;
  {
    Holder holder;
    auto p = mp::get_context(method).Process(take_the_lock);
    p.start();
    p.join(std::chrono::duration<double>(timeout_s));
    hung = p.is_alive();
    if (hung) {
      std::printf("%-10s the child is still blocked in acquire() after %g s: it inherited g_lock locked by a "
                  "thread it does not have (deadlock); killing it\n",
                  method.c_str(), timeout_s);
      p.kill();
      p.join();
    } else {
      std::printf("%-10s the child acquired its own, free g_lock and finished\n", method.c_str());
    }
    code = p.exitcode();
  }
  std::printf("%-10s exitcode %s\n", method.c_str(), code ? std::to_string(*code).c_str() : "None");
  const bool expected = method == "fork" ? hung : (!hung && code == 0);
  if (!expected) {
    std::printf("%-10s UNEXPECTED: seed 001 predicts %s\n", method.c_str(),
                method == "fork" ? "a hang" : "a clean exit");
  }
  return expected;
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  double timeout_s = 2.0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.substr(0, 10) == "--timeout=") {
      char* end = nullptr;
      timeout_s = std::strtod(argv[i] + 10, &end);
      if (end == argv[i] + 10 || *end != '\0' || !(timeout_s > 0)) {
        std::fprintf(stderr, "fork_with_threads: --timeout wants a positive number of seconds, not '%s'\n",
                     argv[i] + 10);
        return 2;
      }
    } else {
      std::fprintf(stderr, "fork_with_threads: unknown argument '%s'\nusage: fork_with_threads [--timeout=SECONDS]\n",
                   argv[i]);
      return 2;
    }
  }
  bool ok = true;
  try {
    for (std::string method : {"fork", "spawn", "forkserver"}) ok = run_scenario(method, timeout_s) && ok;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fork_with_threads: %s\n", e.what());
    return 1;
  }
  std::printf(ok ? "as seed 001 says: fork from a threaded parent can deadlock the child; spawn and forkserver do not\n"
                 : "fork_with_threads: the outcome differs from seed 001's prediction\n");
  return ok ? 0 : 1;
}
