// Twin of threading_semaphore.py: threading.Semaphore and BoundedSemaphore —
// counting, release(n), argument errors, over-release, reprs (seed 001
// "信号量"; CPython Lib/threading.py class Semaphore, BoundedSemaphore).
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::py;
using twin::describe;
using twin::line;

namespace {
template <class F>
auto in_thread(F fn) {
  decltype(fn()) out{};
  th::Thread t([&] { out = fn(); });
  t.start();
  t.join();
  return out;
}
}  // namespace

int main() {
  line("Semaphore(-1): ", describe([] { th::Semaphore s(-1); }));
  line("BoundedSemaphore(-1): ", describe([] { th::BoundedSemaphore s(-1); }));
  th::Semaphore s(2);
  line("repr: ", s.repr());
  const bool a1 = s.acquire();
  const bool a2 = s.acquire();
  line("acquire: ", py(a1), " ", py(a2));
  line("acquire(False) at zero: ", py(s.acquire(false)));
  line("acquire(timeout=0.05) at zero: ", py(s.acquire(true, 0.05s)));
  line("acquire(timeout=-1) at zero: ", py(s.acquire(true, -1s)));
  line("acquire(False, 1): ", describe([&] { s.acquire(false, 1s); }));
  line("release(0): ", describe([&] { s.release(0); }));
  line("release(-3): ", describe([&] { s.release(-3); }));
  line("repr at zero: ", s.repr());
  line("release(3): ", describe([&] { s.release(3); }));
  line("repr after release(3): ", s.repr());
  line("acquire from another thread: ", py(in_thread([&] { return s.acquire(); })));
  s.release();
  s.release();
  line("plain Semaphore grows past its start: ", s.repr());
  {
    std::lock_guard guard(s);
    line("inside with: ", s.repr());
  }
  line("after with: ", s.repr());
  th::Semaphore z(0);
  line("Semaphore(0) acquire(False): ", py(z.acquire(false)));
  th::Thread t([&] { line("waiter got it: ", py(z.acquire(true, 10s))); });
  t.start();
  z.release();
  t.join();

  // release(n) lets exactly n of three waiters through.
  {
    th::Semaphore w(0);
    std::vector<bool> got;
    th::Lock guard;
    std::vector<std::unique_ptr<th::Thread>> waiters;
    for (int i = 0; i < 3; ++i) {
      waiters.push_back(std::make_unique<th::Thread>([&] {
        const bool ok = w.acquire(true, 1.0s);
        std::lock_guard g(guard);
        got.push_back(ok);
      }));
    }
    for (auto& t : waiters) t->start();
    w.release(2);
    for (auto& t : waiters) t->join();
    std::sort(got.begin(), got.end());
    const std::string r = w.repr();
    line("release(2) with three waiters: ", twin::list(got), " value after: ", r.substr(r.rfind('=') + 1));
  }

  th::BoundedSemaphore b(2);
  line("Bounded repr: ", b.repr());
  line("Bounded release at full: ", describe([&] { b.release(); }));
  line("Bounded repr unchanged: ", b.repr());
  b.acquire();
  b.acquire();
  line("Bounded repr at zero: ", b.repr());
  line("Bounded release(3) over: ", describe([&] { b.release(3); }));
  line("Bounded repr after refused: ", b.repr());
  line("Bounded release(2): ", describe([&] { b.release(2); }));
  line("Bounded release once more: ", describe([&] { b.release(); }));
  th::BoundedSemaphore b1;
  line("Bounded default repr: ", b1.repr());
  th::Semaphore s1;
  line("Semaphore default repr: ", s1.repr());
}
