// concur/threading/barrier.hpp — threading.Barrier (CPython
// Lib/threading.py; the seeds' multiprocessing.Barrier is its process twin).
//
// Guarantees
//  * Barrier(parties, action = {}, timeout = {}): wait() blocks until
//    `parties` threads have called it, then releases them all; each gets a
//    distinct index in [0, parties). The last thread to arrive runs `action`
//    first. The barrier then refills for the next round.
//  * wait(timeout) uses the barrier's default timeout when none is given. A
//    timeout breaks the barrier: every waiter, present and future, gets
//    BrokenBarrierError until reset(). So do abort(), reset() during a wait,
//    and an action that throws (its exception reaches the thread that ran
//    it). A timeout of zero or less breaks at once if the round is not full.
//  * parties < 1 throws ValueError("parties must be >= 1") (CPython 3.13;
//    3.11 accepted 0 and hung).
//  * The algorithm is detail/sync_core.hpp's BarrierAlgorithm — the one
//    concur::multiprocessing::Barrier runs — over a threading::Condition on a
//    threading::Lock, as CPython's Barrier is built.
//
// Thread-safety: every member may be called from any thread. Process-safety:
// none; use concur::multiprocessing::Barrier. Blocking: wait() only.
// Lifetime: neither copyable nor movable; destroying a barrier a thread waits
// on is undefined behaviour.
#pragma once

#include <functional>
#include <string>

#include "concur/detail/sync_core.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/timeout.hpp"

namespace concur::threading {

class Barrier {
 public:
  explicit Barrier(int parties, std::function<void()> action = {}, Timeout timeout = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  int wait(Timeout timeout = {});
  void reset();
  void abort();

  int parties() const noexcept { return parties_; }
  int n_waiting() const;
  bool broken() const;

  // "<threading.Barrier at 0x...: waiters=N/P>" or "...: broken>".
  std::string repr() const;

 private:
  concur::detail::BarrierAlgorithm<Condition> algorithm() const;

  int parties_;
  std::function<void()> action_;
  Timeout timeout_;
  Lock lock_;
  mutable Condition cond_{lock_};
  mutable concur::detail::BarrierCore core_;
};

}  // namespace concur::threading
