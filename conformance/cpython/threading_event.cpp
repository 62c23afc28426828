// Twin of threading_event.py: threading.Event — flag, wait return values with
// and without a timeout, wake-up of every waiter, repr (seed 001 "事件";
// CPython Lib/threading.py class Event).
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::py;
using twin::line;

int main() {
  th::Event e;
  line("repr: ", e.repr());
  line("is_set: ", py(e.is_set()));
  line("wait(0.05) unset: ", py(e.wait(0.05s)));
  line("wait(0) unset: ", py(e.wait(0s)));
  line("wait(-1) unset: ", py(e.wait(-1s)));
  e.set();
  line("repr set: ", e.repr());
  line("wait() set: ", py(e.wait()));
  line("wait(0) set: ", py(e.wait(0s)));
  line("wait(-1) set: ", py(e.wait(-1s)));
  e.set();
  line("set twice: ", py(e.is_set()));
  e.clear();
  line("cleared: ", py(e.is_set()), " ", e.repr());
  e.clear();
  line("clear twice: ", py(e.is_set()));

  // set() wakes every waiter, each wait() returns True.
  std::vector<bool> results;
  th::Lock guard;
  th::Semaphore started(0);
  std::vector<std::unique_ptr<th::Thread>> threads;
  for (int i = 0; i < 3; ++i) {
    threads.push_back(std::make_unique<th::Thread>([&] {
      started.release();
      const bool got = e.wait(10s);
      std::lock_guard g(guard);
      results.push_back(got);
    }));
  }
  for (auto& t : threads) t->start();
  for (std::size_t i = 0; i < threads.size(); ++i) started.acquire();
  e.set();
  for (auto& t : threads) t->join();
  line("three waiters woke: ", twin::list(results));
  e.clear();
  line("timed waiter alone: ", py(e.wait(0.02s)));
}
