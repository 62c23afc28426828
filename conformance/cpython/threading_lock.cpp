// Twin of threading_lock.py: threading.Lock and threading.RLock — return
// values, errors, reprs (seed 001 "线程同步 / 锁"; CPython
// Modules/_threadmodule.c lock_PyThread_acquire_lock, rlock_release,
// lock_repr, rlock_repr).
#include <chrono>
#include <mutex>
#include <string>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;

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
  using twin::py;
  using twin::describe;
  using twin::line;
  th::Lock lock;
  line("Lock repr: ", lock.repr());
  line("Lock locked(): ", py(lock.locked()));
  line("Lock acquire(): ", py(lock.acquire()));
  line("Lock repr held: ", lock.repr());
  line("Lock acquire(False) held: ", py(lock.acquire(false)));
  line("Lock acquire(timeout=0.05) held: ", py(lock.acquire(true, 0.05s)));
  line("Lock acquire(False) from another thread: ", py(in_thread([&] { return lock.acquire(false); })));
  line("Lock release from another thread: ", in_thread([&] { return describe([&] { lock.release(); }); }));
  line("Lock locked() after: ", py(lock.locked()));
  line("Lock release unlocked: ", describe([&] { lock.release(); }));
  line("Lock acquire(False, 1): ", describe([&] { lock.acquire(false, 1s); }));
  line("Lock acquire(True, -2): ", describe([&] { lock.acquire(true, -2s); }));
  line("Lock acquire(True, 0): ", py(lock.acquire(true, 0s)));
  line("Lock acquire(True, 0) held: ", py(lock.acquire(true, 0s)));
  lock.release();
  {
    std::lock_guard guard(lock);
    line("Lock in with: locked=", py(lock.locked()));
  }
  line("Lock after with: locked=", py(lock.locked()));

  th::RLock r;
  line("RLock repr: ", r.repr());
  line("RLock release unowned: ", describe([&] { r.release(); }));
  line("RLock acquire(): ", py(r.acquire()));
  line("RLock acquire() again: ", py(r.acquire()));
  line("RLock acquire(False) owner: ", py(r.acquire(false)));
  line("RLock repr held: ", r.repr());
  line("RLock acquire(False) from another thread: ", py(in_thread([&] { return r.acquire(false); })));
  line("RLock acquire(timeout=0.05) from another thread: ",
       py(in_thread([&] { return r.acquire(true, 0.05s); })));
  line("RLock release from another thread: ", in_thread([&] { return describe([&] { r.release(); }); }));
  line("RLock acquire(False, 1): ", describe([&] { r.acquire(false, 1s); }));
  line("RLock acquire(True, -2): ", describe([&] { r.acquire(true, -2s); }));
  for (int i = 0; i < 3; ++i) line("RLock release ", i + 1, ": ", describe([&] { r.release(); }));
  line("RLock repr after: ", r.repr());
  line("RLock release once more: ", describe([&] { r.release(); }));
  line("RLock acquire(False) from another thread now: ", py(in_thread([&] { return r.acquire(false); })));
  line("RLock release by owner-less thread holding it: ", describe([&] { r.release(); }));
}
