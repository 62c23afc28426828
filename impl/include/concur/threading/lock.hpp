// concur/threading/lock.hpp — threading.Lock and threading.RLock (seed 001
// "线程同步 / 锁": test_lock, test_rlock; CPython Modules/_threadmodule.c,
// Lib/threading.py).
//
// Guarantees
//  * Lock is non-recursive: acquiring it again from the thread that holds it
//    blocks (or times out). ANY thread may release it, as in CPython;
//    releasing an unlocked Lock throws RuntimeError("release unlocked lock").
//  * RLock is recursive: the owner's acquire() nests and returns true at once
//    (even with blocking=false); the lock is free once every acquire() is
//    matched by a release(). release() by a thread that does not own it
//    throws RuntimeError("cannot release un-acquired lock").
//  * acquire(blocking=true, timeout): returns true when acquired. No timeout
//    waits for good; a timed acquire returns false when the time is up.
//    CPython's argument errors are kept (they differ from
//    multiprocessing's, which ignores both cases): a timeout together with
//    blocking=false throws ValueError("can't specify a timeout for a
//    non-blocking call"); a negative timeout throws ValueError("timeout value
//    must be positive") (Python's -1 "no timeout" is an empty Timeout here).
//  * BasicLockable/Lockable (lock, unlock, try_lock): std::lock_guard,
//    std::unique_lock and std::scoped_lock work, as Python's `with lock:`.
//  * The algorithm is detail/sync_core.hpp's lock, the one
//    concur::multiprocessing::Lock/RLock run, on process-private futexes and
//    without the owner-death check (a thread that ends holding a lock leaves
//    it held, as in CPython). Uncontended acquire/release is one CAS and one
//    exchange; see benchmarks/threading_benchmark.cpp for the cost against
//    std::mutex.
//
// Thread-safety: every member may be called from any thread. Process-safety:
// none, the state lives in this object; use concur::multiprocessing::Lock
// between processes. Fork-safety: a child forked while another thread holds
// the lock inherits it held, by a thread that does not exist in the child
// (as CPython without its _at_fork_reinit).
// Blocking: acquire()/lock() block; nothing else does. Nothing else throws.
// Lifetime: neither copyable nor movable (Python shares one lock object by
// reference). Destroying a lock a thread waits on is undefined behaviour.
#pragma once

#include <string>

#include "concur/detail/sync_core.hpp"
#include "concur/timeout.hpp"

namespace concur::threading {

class Condition;

class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  bool acquire(bool blocking = true, Timeout timeout = {});
  void release();
  // True while any thread holds the lock (Lock.locked()).
  bool locked() const noexcept { return concur::detail::lock_locked(core_); }

  // Inline fast paths (benchmarks/threading_benchmark.cpp: an out-of-line
  // call per operation cost ~15 % against std::mutex).
  void lock() {
    if (!concur::detail::lock_try_anonymous(core_)) lock_slow();
  }
  void unlock() {
    if (!concur::detail::lock_release_anonymous(core_, kPolicy.scope)) throw_unlocked();
  }
  bool try_lock() noexcept { return concur::detail::lock_try_anonymous(core_); }

  // "<unlocked _thread.lock object at 0x...>" / "<locked ...>".
  std::string repr() const;

 private:
  friend class Condition;
  static constexpr concur::detail::LockPolicy kPolicy{concur::detail::FutexScope::process_private, false, false};
  void lock_slow();
  [[noreturn]] static void throw_unlocked();
  concur::detail::LockCore core_;
};

class RLock {
 public:
  RLock() = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  bool acquire(bool blocking = true, Timeout timeout = {});
  void release();

  void lock();
  void unlock() { release(); }
  bool try_lock();

  // "<unlocked _thread.RLock object owner=0 count=0 at 0x...>" /
  // "<locked _thread.RLock object owner=<get_ident()> count=N at 0x...>".
  std::string repr() const;

 private:
  friend class Condition;
  static constexpr concur::detail::LockPolicy kPolicy{concur::detail::FutexScope::process_private, true, false};
  void note_owner();
  concur::detail::LockCore core_;
  std::atomic<unsigned long> owner_ident_{0};  // for repr() only
};

}  // namespace concur::threading
