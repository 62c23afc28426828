// Twin of sync_lock_errors.py: multiprocessing Lock and RLock — reprs,
// releasing an unlocked Lock (ValueError), releasing an RLock one does not
// own (AssertionError), timed and non-blocking acquires returning false, any
// thread or process may release a Lock but not an RLock, under each start
// method (seed 001 "进程同步"; CPython synchronize.py Lock, RLock,
// SemLock.__repr__; Modules/_multiprocessing/semaphore.c).
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;

template <class F>
std::string timed(F fn) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool r = fn();
  return twin::py(r) + " (waited >= 0.1 s: " + twin::py(std::chrono::steady_clock::now() - t0 >= 100ms) + ")";
}

void child(mp::Lock lock, mp::RLock rlock) {
  twin::line("  child: ", lock.repr(), " ", rlock.repr());
  twin::line("  child: lock.acquire(timeout=0.1)=", timed([&] { return lock.acquire(true, 0.1s); }));
  twin::line("  child: rlock.acquire(block=False)=", twin::py(rlock.acquire(false)));
  twin::line("  child: rlock.release(): ", twin::describe([&] { rlock.release(); }));
  twin::line("  child: lock.release() of the parent's lock: ", twin::describe([&] { lock.release(); }));
}
CONCUR_REGISTER_TARGET(child);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    mp::Lock lock;
    twin::line("Lock: ", lock.repr());
    twin::line("release unlocked: ", twin::describe([&] { lock.release(); }));
    const bool got = lock.acquire();
    twin::line("acquire: ", twin::py(got), " ", lock.repr());
    twin::line("acquire(block=False) while held: ", twin::py(lock.acquire(false)));
    twin::line("acquire(timeout=0.1) while held: ", timed([&] { return lock.acquire(true, 0.1s); }));
    twin::line("acquire(timeout=-1) while held: ", twin::py(lock.acquire(true, Seconds(-1))));
    twin::line("acquire(False, 5) while held: ", twin::py(lock.acquire(false, 5s)));
    std::string out;
    std::thread([&] { out = twin::describe([&] { lock.release(); }); }).join();
    twin::line("release by another thread: ", out, " then ", lock.repr());
    {
      std::lock_guard g(lock);
      twin::line("inside with: ", lock.repr());
    }
    twin::line("after with: ", lock.repr());
  }
  {
    mp::RLock rlock;
    twin::line("RLock: ", rlock.repr());
    twin::line("release unowned: ", twin::describe([&] { rlock.release(); }));
    const bool a = rlock.acquire();
    const bool b = rlock.acquire(false);
    twin::line("acquire twice: ", twin::py(a), " ", twin::py(b), " ", rlock.repr());
    std::string rel;
    bool acq = true;
    std::thread([&] {
      rel = twin::describe([&] { rlock.release(); });
      acq = rlock.acquire(true, 0.05s);
    }).join();
    twin::line("another thread: release ", rel, ", acquire(timeout=0.05) ", twin::py(acq));
    rlock.release();
    twin::line("released once: ", rlock.repr());
    rlock.release();
    twin::line("released twice: ", rlock.repr(), " third: ", twin::describe([&] { rlock.release(); }));
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto lock = ctx.Lock();
    auto rlock = ctx.RLock();
    lock.acquire();
    rlock.acquire();
    auto p = ctx.Process(child, lock, rlock);
    p.start();
    p.join();
    const std::string after = lock.repr();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()), " parent's lock after the child released it: ", after,
               " acquire(block=False)=", twin::py(lock.acquire(false)));
    rlock.release();
    lock.release();
  }
}
