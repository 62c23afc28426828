// concur/threading/condition.hpp — threading.Condition (seed 001 "条件对象"
// and its five-producers/one-consumer example; CPython Lib/threading.py).
//
// Guarantees
//  * Condition() makes and owns an RLock; Condition(lock) uses the caller's
//    Lock or RLock, which must outlive the Condition. acquire/release,
//    lock/unlock/try_lock act on that lock, so std::lock_guard and
//    std::unique_lock work (Python's `with condition:`).
//  * wait(timeout) releases the lock — every recursion level of an RLock —
//    waits until notified or the timeout passes, reacquires the lock (for as
//    long as that takes) and returns true when notified. A timeout of zero or
//    less does not wait (CPython's acquire(False)). wait_for(predicate,
//    timeout) waits until predicate() is truthy and returns its last value,
//    as CPython's loop does.
//  * notify(n=1) wakes the n threads that have waited longest (CPython's
//    FIFO deque of waiters); notify_all() wakes every waiter. Only threads
//    already waiting when notify is called can be woken by it. notify never
//    blocks (unlike multiprocessing.Condition's, which waits for the woken
//    threads). A waiter whose timeout expires as it is notified returns true
//    (CPython would return false and the notification would be lost).
//  * The caller must own the lock — for an RLock, be its owner; for a Lock,
//    CPython only checks that it is locked — else wait/wait_for throw
//    RuntimeError("cannot wait on un-acquired lock") and notify/notify_all
//    RuntimeError("cannot notify on un-acquired lock").
//
// Mechanism: each waiter parks on a futex word of its own, linked in the
// Condition's FIFO list; notify pops and sets it, and moves the sleeping
// waiter onto the lock's futex (wait morphing, FUTEX_CMP_REQUEUE), so the
// release of the lock — not the notify — wakes it, and it never wakes only
// to find the lock held. The lock release and reacquire are
// detail/sync_core.hpp's; the list has its own small lock, so a notify from a
// thread that only sees a Lock locked (allowed above) cannot corrupt it.
//
// Thread-safety: every member may be called from any thread. Process-safety:
// none; use concur::multiprocessing::Condition. Fork-safety: do not use a
// Condition in a child forked while other threads waited on it.
// Blocking: acquire, lock, wait and wait_for block; notify does not.
// Lifetime: neither copyable nor movable. Destroying a Condition a thread
// waits on is undefined behaviour.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "concur/detail/sync_core.hpp"
#include "concur/threading/lock.hpp"
#include "concur/timeout.hpp"

namespace concur::threading {

class Condition {
 public:
  Condition();
  explicit Condition(Lock& lock);
  explicit Condition(RLock& lock);
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  bool acquire(bool blocking = true, Timeout timeout = {});
  void release();
  void lock();
  void unlock();
  bool try_lock();

  bool wait(Timeout timeout = {});

  template <class Pred>
  auto wait_for(Pred predicate, Timeout timeout = {}) -> std::decay_t<decltype(predicate())> {
    return concur::detail::condition_wait_for(*this, predicate, timeout, true);
  }

  void notify(int n = 1);
  void notify_all();

  // "<Condition(<lock's repr>, <number of waiters>)>".
  std::string repr() const;

 private:
  struct Waiter;
  bool owned() const noexcept;
  void unlink(Waiter* w) noexcept;

  static constexpr concur::detail::LockPolicy kGuardPolicy{concur::detail::FutexScope::process_private, false,
                                                           false};

  std::unique_ptr<RLock> own_;  // Condition(): the RLock it made
  concur::detail::LockCore* core_ = nullptr;
  const concur::detail::LockPolicy* policy_ = nullptr;
  Lock* plain_ = nullptr;
  RLock* rlock_ = nullptr;

  concur::detail::LockCore guard_;  // guards the waiter list
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::atomic<std::uint32_t> n_waiters_{0};
};

}  // namespace concur::threading
