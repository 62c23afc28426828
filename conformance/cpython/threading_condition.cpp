// Twin of threading_condition.py: threading.Condition — ownership errors,
// wait/wait_for return values, notify(n) in FIFO order, repr (seed 001
// "条件对象"; CPython Lib/threading.py class Condition: _is_owned, wait,
// wait_for, notify).
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::py;
using twin::describe;
using twin::line;

namespace {
int n_waiters(const th::Condition& cond) {
  const std::string r = cond.repr();
  const auto comma = r.rfind(", ");
  return std::stoi(r.substr(comma + 2));
}

void waiters_parked(const th::Condition& cond, int n) {
  while (n_waiters(cond) < n) std::this_thread::sleep_for(5ms);
}

template <class L>
bool other_thread_acquires(L& lock) {
  bool out = false;
  th::Thread t([&] { out = lock.acquire(false); });
  t.start();
  t.join();
  return out;
}

template <class L>
void errors_and_returns(const std::string& kind) {
  L lock;
  th::Condition cond(lock);
  line(kind, " wait un-acquired: ", describe([&] { cond.wait(0.01s); }));
  line(kind, " wait_for un-acquired: ", describe([&] { cond.wait_for([] { return true; }, 0.01s); }));
  line(kind, " notify un-acquired: ", describe([&] { cond.notify(); }));
  line(kind, " notify_all un-acquired: ", describe([&] { cond.notify_all(); }));
  {
    std::lock_guard guard(cond);
    line(kind, " wait(0.05) timed out: ", py(cond.wait(0.05s)));
    line(kind, " wait(0): ", py(cond.wait(0s)));
    line(kind, " wait(-1): ", py(cond.wait(-1s)));
    line(kind, " wait_for true predicate: ", cond.wait_for([] { return 42; }));
    line(kind, " wait_for false predicate timeout: ", cond.wait_for([] { return 0; }, 0.05s));
    line(kind, " notify with no waiters: ", describe([&] { cond.notify(); }));
  }
  if constexpr (std::is_same_v<L, th::Lock>) {
    // CPython checks only that a plain Lock is locked, not by whom.
    th::Lock held;
    held.acquire();
    th::Condition c2(held);
    th::Thread t([&] { line(kind, " notify on a Lock held by another thread: ", describe([&] { c2.notify(); })); });
    t.start();
    t.join();
    held.release();
  }
}
}  // namespace

int main() {
  errors_and_returns<th::RLock>("RLock");
  errors_and_returns<th::Lock>("Lock");

  // RLock: held recursively, wait releases every level and restores them.
  {
    th::RLock r;
    th::Condition cond(r);
    r.acquire();
    r.acquire();
    th::Thread t([&] {
      std::lock_guard guard(cond);
      cond.notify();
    });
    t.start();
    line("recursive wait notified: ", py(cond.wait(5s)));
    t.join();
    r.release();
    line("another thread acquires after one release: ", py(other_thread_acquires(r)));
    r.release();
    line("another thread acquires after two: ", py(other_thread_acquires(r)));
    line("released after two: ", describe([&] { r.release(); }));
  }

  // notify(n) wakes the n longest waiters, in order.
  th::Condition cond;
  std::vector<int> order;
  std::vector<std::unique_ptr<th::Thread>> threads;
  for (int i = 0; i < 4; ++i) {
    threads.push_back(std::make_unique<th::Thread>([&cond, &order, i] {
      std::lock_guard guard(cond);
      cond.wait();
      order.push_back(i);
    }));
    threads.back()->start();
    waiters_parked(cond, i + 1);
  }
  auto sorted = [&] {
    std::lock_guard guard(cond);
    auto v = order;
    std::sort(v.begin(), v.end());
    return v;
  };
  {
    std::lock_guard guard(cond);
    line("repr with 4 waiters: ", cond.repr());
    cond.notify(2);
  }
  threads[0]->join();
  threads[1]->join();
  line("notify(2) woke: ", twin::list(sorted()));
  {
    std::lock_guard guard(cond);
    cond.notify_all();
  }
  for (auto& t : threads) t->join();
  line("notify_all woke the rest: ", twin::list(sorted()));
  line("repr idle: ", cond.repr());
}
