// concur/multiprocessing/synchronize.hpp — Lock, RLock, Semaphore,
// BoundedSemaphore, Condition, Event and Barrier shared between processes
// (seed 001 "进程同步" and "线程同步"; seed 003 "锁"; CPython
// Lib/multiprocessing/synchronize.py, Modules/_multiprocessing/semaphore.c,
// Lib/threading.py Barrier).
//
// Guarantees
//  * Each object is a handle (a Python object reference): copies refer to the
//    same primitive, whose state lives in a detail::SharedBlock (anonymous
//    memfd shared memory). The lock, semaphore, event and barrier algorithms
//    are detail/sync_core.hpp's, the same code concur::threading runs, with
//    process-shared futexes; nothing is named, nothing lands in /dev/shm,
//    nothing leaks on SIGKILL.
//  * Semantics are CPython's multiprocessing semantics:
//     - Lock: non-recursive. Acquiring it again from the owning thread blocks
//       (or times out). ANY thread or process may release it; releasing an
//       unlocked Lock throws ValueError("semaphore or lock released too many
//       times").
//     - RLock: recursive; only the owning thread may release it, otherwise
//       AssertionError("attempt to release recursive lock not owned by
//       thread"). A forked child never owns its parent's RLock.
//     - Semaphore(value=1) / BoundedSemaphore(value=1): counters; releasing a
//       BoundedSemaphore above its initial value throws
//       ValueError("semaphore or lock released too many times") (CPython's
//       multiprocessing text; threading.BoundedSemaphore words it
//       "Semaphore released too many times").
//     - Condition(lock = RLock()): wait/wait_for/notify/notify_all require
//       the calling thread to own the lock: AssertionError("must acquire()
//       condition before using wait()") / ("lock is not owned"). notify(n)
//       wakes at most n threads that were waiting when it was called, and, as
//       in CPython, returns only once they have woken.
//     - Event: set/clear/is_set/wait(timeout) returning the flag.
//     - Barrier(parties, action, timeout): threading.Barrier's algorithm
//       (filling, draining, resetting, broken); wait() returns a distinct
//       index in [0, parties); BrokenBarrierError on abort(), reset() during
//       a wait, timeout, or an action that threw.
//  * acquire(block=true, timeout): block=false never waits; an empty timeout
//    waits forever; a timed acquire returns false when the time is up.
//  * ROBUST AGAINST OWNER DEATH (a concur extension; CPython's SemLock would
//    deadlock): if a process ends — normally, by an exception or by SIGKILL —
//    while it holds a Lock or an RLock, the next acquirer does not deadlock:
//    a waiter notices the dead owner within ~0.1 s and takes the lock over;
//    acquire() then returns true. The data the lock protected may be
//    half-updated; that is the caller's concern, as with
//    pthread_mutex_consistent. A dead owner is recognised by its pid, which
//    no longer names a live process with the owner's start time (so pid reuse
//    is not mistaken for the owner). A THREAD that ends holding a lock while
//    its process lives leaves the lock held, as in CPython. Semaphores,
//    Conditions, Events and Barriers have no owner: a process that dies
//    inside Condition.wait() or Barrier.wait() is not recovered (as in
//    CPython).
//  * Every primitive also works between threads of one process.
//  * BasicLockable/Lockable: lock()/unlock()/try_lock(), so std::lock_guard,
//    std::unique_lock and std::scoped_lock work (Python's `with lock:`).
//
// Crossing a process boundary: ONLY by inheritance (CPython
// context.assert_spawning). Under fork, a handle captured or passed as an
// argument is inherited by memory copy. Under spawn/forkserver, pass it as a
// Process argument: its cereal functions send the memfd to the child. Any
// other serialization throws RuntimeError("Lock objects should only be shared
// between processes through inheritance") (with the class's own name). A
// Barrier's action crosses only under fork; serializing a Barrier that has an
// action throws PicklingError.
//
// Thread-safety: all member functions may be called from any thread and any
// process that holds a handle. Fork-safety: safe to fork at any time; a lock
// held by the parent at fork stays held (by the parent) in the shared state.
// Blocking: acquire, wait, wait_for, notify (briefly, see above) and
// Barrier::wait block; everything else does not. Throws std::system_error if
// creating the shared memory fails.
// Lifetime: the shared state lives while any process holds a handle (plus
// the fd and mapping each process keeps for it); no cleanup is needed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "concur/detail/futex.hpp"
#include "concur/detail/inheritance.hpp"
#include "concur/detail/shared_block.hpp"
#include "concur/detail/sync_core.hpp"
#include "concur/errors.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing {

class Condition;

// CPython's SemLock: the common base of Lock, RLock, Semaphore and
// BoundedSemaphore. Not constructible on its own.
class SemLock {
 public:
  // Returns true when acquired. block=false never waits (timeout ignored).
  bool acquire(bool block = true, Timeout timeout = {});
  void release();

  // BasicLockable / Lockable.
  void lock() { (void)acquire(true); }
  void unlock() { release(); }
  bool try_lock() { return acquire(false); }

  // True when both handles refer to the same primitive.
  bool same_as(const SemLock& o) const noexcept { return block_.same_mapping(o.block_); }

  // The repr of the primitive this handle refers to, whatever the static
  // type (e.g. Value::get_lock()): "<RLock(None, 0)>", "<Lock(owner=None)>",
  // "<Semaphore(value=1)>", "<BoundedSemaphore(value=1, maxvalue=1)>".
  std::string repr() const;

  template <class A>
  void save(A& ar) const {
    concur::detail::assert_spawning(type_name());
    ar(block_);
  }
  template <class A>
  void load(A& ar) {
    ar(block_);
  }

 protected:
  enum class Kind : std::uint32_t { lock = 1, rlock = 2, semaphore = 3, bounded_semaphore = 4 };
  SemLock(Kind kind, std::uint32_t value, std::uint32_t maxvalue);

  const char* type_name() const noexcept;
  // Locks only: the calling thread owns it (CPython _is_mine).
  bool is_mine() const noexcept;
  // RLock recursion depth held by the calling thread (1 for an owned Lock,
  // 0 when not owned) — CPython _count.
  std::uint32_t count() const noexcept;
  std::uint32_t get_value_impl() const noexcept;
  std::uint32_t maxvalue_impl() const noexcept;
  std::string lock_repr() const;

 private:
  friend class Condition;
  // Condition.wait: releases every level the caller holds; returns them.
  std::uint32_t release_all();
  void reacquire(std::uint32_t levels);

  concur::detail::SharedBlock block_;
};

// multiprocessing.Lock(): a non-recursive lock; any thread or process may
// release it.
class Lock : public SemLock {
 public:
  Lock();
  // "<Lock(owner=None)>", "<Lock(owner=MainProcess)>",
  // "<Lock(owner=SomeOtherThread)>", "<Lock(owner=SomeOtherProcess)>".
  // (CPython appends "|<thread name>" for non-main threads; concur appends
  // "|<tid>".)
  std::string repr() const { return lock_repr(); }
};

// multiprocessing.RLock(): recursive; acquire() by the owner nests and
// returns true at once (even with block=false); release() only by the owner.
class RLock : public SemLock {
 public:
  RLock();
  // "<RLock(None, 0)>", "<RLock(MainProcess, 2)>",
  // "<RLock(SomeOtherProcess, nonzero)>".
  std::string repr() const { return lock_repr(); }
};

// multiprocessing.Semaphore(value=1). A negative value throws
// std::system_error(EINVAL), CPython's OSError from sem_open().
class Semaphore : public SemLock {
 public:
  explicit Semaphore(long long value = 1);
  std::uint32_t get_value() const noexcept { return get_value_impl(); }
  // "<Semaphore(value=N)>"
  std::string repr() const;

 protected:
  Semaphore(Kind kind, long long value);
};

// multiprocessing.BoundedSemaphore(value=1): release() above `value` throws
// ValueError("semaphore or lock released too many times").
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(long long value = 1);
  // "<BoundedSemaphore(value=N, maxvalue=M)>"
  std::string repr() const;
};

// multiprocessing.Condition(lock=None): a condition variable over a Lock or
// an RLock (a new RLock by default).
class Condition {
 public:
  Condition();
  explicit Condition(Lock lock);
  explicit Condition(RLock lock);

  bool acquire(bool block = true, Timeout timeout = {}) { return lock_.acquire(block, timeout); }
  void release() { lock_.release(); }
  void lock() { lock_.lock(); }
  void unlock() { lock_.unlock(); }
  bool try_lock() { return lock_.try_lock(); }

  // Releases the lock (every recursion level), waits for notify or the
  // timeout, reacquires the lock. Returns false on timeout.
  // Precondition: the calling thread owns the lock, else
  // AssertionError("must acquire() condition before using wait()").
  bool wait(Timeout timeout = {});

  // CPython wait_for: waits until predicate() is truthy or the timeout
  // passes; returns the last value of predicate(). Same precondition.
  template <class Pred>
  auto wait_for(Pred predicate, Timeout timeout = {}) -> std::decay_t<decltype(predicate())> {
    return concur::detail::condition_wait_for(*this, predicate, timeout, false);
  }

  // Wakes up to n threads waiting now. Precondition: the calling thread owns
  // the lock, else AssertionError("lock is not owned").
  void notify(int n = 1);
  void notify_all();

  // "<Condition(<RLock(MainProcess, 1)>, 0)>": the lock and the number of
  // waiters.
  std::string repr() const;

  template <class A>
  void save(A& ar) const {
    concur::detail::assert_spawning("Condition");
    ar(rlock_, lock_, block_);
  }
  template <class A>
  void load(A& ar) {
    ar(rlock_, lock_, block_);
  }

 private:
  void notify_impl(std::uint64_t n);

  bool rlock_ = true;
  SemLock lock_;
  concur::detail::SharedBlock block_;
};

// multiprocessing.Event(): a flag with wait.
class Event {
 public:
  Event();
  bool is_set() const noexcept;
  // Sets the flag and wakes every waiter.
  void set();
  void clear();
  // Returns the flag: true at once if set; otherwise waits until set() or
  // the timeout, then returns the flag (false if it was cleared again before
  // the waiter ran, as in CPython).
  bool wait(Timeout timeout = {});

  template <class A>
  void save(A& ar) const {
    concur::detail::assert_spawning("Event");
    ar(block_);
  }
  template <class A>
  void load(A& ar) {
    ar(block_);
  }

 private:
  concur::detail::SharedBlock block_;
};

// multiprocessing.Barrier(parties, action=None, timeout=None).
// Throws ValueError("parties must be >= 1") when parties < 1.
class Barrier {
 public:
  explicit Barrier(int parties, std::function<void()> action = {}, Timeout timeout = {});
  // A barrier of one party (the state a spawn/forkserver child decodes its
  // argument into).
  Barrier() : Barrier(1) {}

  // Waits until `parties` threads/processes have called wait(); returns this
  // caller's index in [0, parties). The last arrival runs the action first.
  // An empty timeout uses the barrier's default timeout. Throws
  // BrokenBarrierError if the barrier is or becomes broken (abort, reset
  // while waiting, timeout, action threw — the action's exception propagates
  // to the thread that ran it).
  int wait(Timeout timeout = {});
  // Returns the barrier to the empty state; current waiters get
  // BrokenBarrierError.
  void reset();
  // Breaks the barrier: current and future waiters get BrokenBarrierError
  // until reset().
  void abort();

  int parties() const noexcept { return parties_; }
  // Threads currently waiting in the filling phase.
  int n_waiting() const;
  bool broken() const;

  template <class A>
  void save(A& ar) const {
    if (action_) {
      throw PicklingError(
          "a Barrier with an action cannot cross to a spawn or forkserver child (the action is not "
          "serializable); use the fork start method or a Barrier without an action");
    }
    ar(parties_, timeout_, cond_, block_);
  }
  template <class A>
  void load(A& ar) {
    ar(parties_, timeout_, cond_, block_);
  }

 private:
  concur::detail::BarrierAlgorithm<Condition> algorithm() const;

  int parties_ = 1;
  std::function<void()> action_;
  Timeout timeout_;
  mutable Condition cond_;
  concur::detail::SharedBlock block_;
};

}  // namespace concur::multiprocessing
