// concur/threading/semaphore.hpp — threading.Semaphore and
// threading.BoundedSemaphore (seed 001 "信号量"; CPython Lib/threading.py).
//
// Guarantees
//  * Semaphore(value=1) is a counter: acquire() takes one unit, waiting
//    while it is zero; release(n=1) adds n and wakes up to n waiters.
//    BoundedSemaphore(value=1) refuses a release that would raise the counter
//    above its initial value with ValueError("Semaphore released too many
//    times"), changing nothing (seed 001: "如果计数器的值超过了初始值，则会
//    抛出异常ValueError").
//  * CPython's errors: ValueError("semaphore initial value must be >= 0") for
//    a negative value; ValueError("n must be one or more") for release(n < 1);
//    ValueError("can't specify timeout for non-blocking acquire") for a
//    timeout with blocking=false. A negative timeout does not throw (unlike
//    Lock's): it does not wait, as CPython's Semaphore computes it.
//  * acquire(blocking=true, timeout) returns true when a unit was taken,
//    false when blocking=false found none or the timeout passed.
//  * Scoped acquire: lock()/unlock()/try_lock() are acquire()/release()/
//    acquire(false), so `std::lock_guard guard(sem);` holds one unit for a
//    scope (Python's `with sem:`).
//  * The algorithm is detail/sync_core.hpp's semaphore, the one
//    concur::multiprocessing::Semaphore runs, on process-private futexes.
//    The counter is 32-bit: a value or release beyond 4294967295 throws
//    ValueError.
//
// Thread-safety: every member may be called from any thread. Process-safety:
// none; use concur::multiprocessing::Semaphore. Fork-safety: the counter is
// copied into a forked child as it is.
// Blocking: acquire() and lock() block; nothing else does.
// Lifetime: neither copyable nor movable; destroying a semaphore a thread
// waits on is undefined behaviour.
#pragma once

#include <cstdint>
#include <string>

#include "concur/detail/sync_core.hpp"
#include "concur/timeout.hpp"

namespace concur::threading {

class Semaphore {
 public:
  explicit Semaphore(long long value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  bool acquire(bool blocking = true, Timeout timeout = {});
  void release(long long n = 1);

  void lock() { (void)acquire(); }
  void unlock() { release(); }
  bool try_lock() { return acquire(false); }

  // CPython's _value: the units available now.
  std::uint32_t value() const noexcept { return core_.value.load(); }

  // "<threading.Semaphore at 0x...: value=N>"
  std::string repr() const;

 protected:
  Semaphore(long long value, bool bounded);
  bool bounded_ = false;
  concur::detail::SemCore core_;
};

class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(long long value = 1);
  // "<threading.BoundedSemaphore at 0x...: value=N/INITIAL>"
  std::string repr() const;
};

}  // namespace concur::threading
