// Twin of pool_worker_lost.py: a Pool worker that dies while running a task,
// under each start method. CPython's Pool never completes the task (get()
// times out); concur fails it at once with WorkerLostError — a deliberate
// difference declared in pool_worker_lost.differences
// (concur/multiprocessing/pool.hpp "Beyond CPython"). The pool stays usable
// in both, with the same number of workers.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::range;

int square(int x) { return x * x; }

int die(std::string how) {
  if (how == "exit") ::_exit(7);
  ::kill(::getpid(), SIGKILL);
  return 0;
}

CONCUR_REGISTER_TARGET(square);
CONCUR_REGISTER_TARGET(die);

namespace {
// Which worker took the task is racy: its name and pid are masked.
std::string unnamed(const std::string& text) {
  static const std::regex worker(R"(worker \S+ \(pid \d+\))");
  return std::regex_replace(text, worker, "worker <worker>");
}

// The dead workers are replaced (asynchronously in both): wait for n.
std::size_t workers_back(std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (mp::active_children().size() != n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  return mp::active_children().size();
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto pool = ctx.Pool(2);
    line(method, " before: ", twin::list(pool.map(square, range(4))));
    for (const std::string how : {"exit", "SIGKILL"}) {
      auto r = pool.apply_async(die, {how});
      line(method, " worker ", how, ": ", unnamed(describe([&] { r.get(1s); })));
    }
    line(method, " still usable: ", twin::list(pool.map(square, range(6), 1)));
    line(method, " workers replaced: ", workers_back(2));
    pool.terminate();  // the end of Python's with block
    pool.join();
  }
}
