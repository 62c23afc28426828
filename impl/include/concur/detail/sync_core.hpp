// concur/detail/sync_core.hpp — the one implementation of the lock,
// semaphore, event and barrier algorithms (private).
//
// concur::multiprocessing (synchronize.hpp) keeps these states in a
// SharedBlock so that processes share them; concur::threading keeps them
// inline in the object. Both call the functions below; only the FutexScope
// (process_shared / process_private) and the policy flags differ. The public
// classes add what CPython makes different between the two modules: the
// error types and texts, the negative-timeout rules, reprs and
// serialization.
//
// Contract
//  * All states are standard-layout, start zeroed (the initializers below, or
//    the zero-filled pages of a fresh SharedBlock) and hold no pointers, so
//    they work at different addresses in different processes.
//  * Lock ownership is a thread token (thread_token()): the owner's process
//    start time, pid and tid, so a token names one thread of one process
//    incarnation for good (a reused pid is not mistaken for a dead owner).
//    A forked child gets new tokens: it never owns its parent's locks.
//  * LockPolicy::recursive: acquire by the owner nests (depth); release by a
//    non-owner is refused (ReleaseResult::not_owner). Non-recursive locks
//    may be released by any thread (CPython's Lock), refused only when
//    unlocked (ReleaseResult::unlocked).
//  * LockPolicy::robust: a waiter checks every ~0.1 s whether the owner's
//    PROCESS still lives and takes a lock of a dead owner over (acquire
//    returns true). Only process-shared locks need it: a thread that ends
//    holding a lock while its process lives leaves it held, as in CPython.
//  * Every acquire/wait takes an absolute Deadline (futex.hpp): empty waits
//    forever; a passed deadline still tries once without waiting. block=false
//    never waits. Spurious futex wake-ups are absorbed here.
//  * The Condition algorithm is NOT here, because CPython's two Conditions
//    differ observably: multiprocessing.Condition.notify() returns only once
//    the woken waiters have woken (a token count in shared memory,
//    synchronize.cpp), threading.Condition.notify() never blocks and wakes
//    waiters in FIFO order (a waiter list, threading/condition.cpp). Both
//    wait with futex_wait and release/reacquire their lock with
//    lock_release_all()/lock_reacquire() below. The Barrier algorithm is a
//    template over either Condition.
//
// Thread-safety: every function may be called concurrently on one state from
// any thread (and, for process-shared states, any process). Fork-safety:
// only atomics and futex syscalls; thread_token() is recomputed in a forked
// child. Blocking: lock_acquire, sem_acquire, event_wait and barrier_wait
// block (bounded by the deadline); nothing else does. Nothing throws except
// std::system_error from an unexpected futex failure and what a barrier's
// action or BrokenBarrierError throws.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <type_traits>

#include "concur/detail/futex.hpp"
#include "concur/errors.hpp"
#include "concur/timeout.hpp"

namespace concur::detail {

// The calling thread's lock-owner token (never 0).
std::uint64_t thread_token() noexcept;
// True when `token` names a thread of this process.
bool token_in_this_process(std::uint64_t token) noexcept;

// ------------------------------------------------------------------- locks

struct LockCore {
  std::atomic<std::uint64_t> owner{0};      // the owner's token; 0 = unlocked (the lock word)
  std::atomic<std::uint32_t> contended{0};  // futex word: 1 = a waiter may sleep, wake one on release
  std::atomic<std::uint32_t> depth{0};      // recursion depth; written by the owner only
};

struct LockPolicy {
  FutexScope scope;
  bool recursive;
  bool robust;
  // Owner tracking is needed by recursive and robust locks (and reprs that
  // name the owner); a lock without either records kAnonymousOwner instead
  // of the caller's token, which saves the token lookup on its fast path.
  bool tracks_owner() const noexcept { return recursive || robust; }
};

// The owner word of a held lock that does not track its owner.
inline constexpr std::uint64_t kAnonymousOwner = 1;

// Acquires: true when acquired (or, recursive, nested by the owner).
bool lock_acquire(LockCore& c, const LockPolicy& p, bool block, const Deadline& deadline);

enum class ReleaseResult {
  released,   // released (or, recursive, one level of nesting undone)
  unlocked,   // non-recursive lock that was not locked: nothing changed
  not_owner,  // recursive lock not owned by the caller: nothing changed
};
ReleaseResult lock_release(LockCore& c, const LockPolicy& p);

// The second half of a release that found `contended` set: resets it and
// wakes one sleeper.
void lock_wake_one(LockCore& c, FutexScope scope);

// Inline fast paths of an owner-less lock (threading.Lock): one CAS to take
// it, one exchange (plus a load) to release it; lock_acquire does the rest.
inline bool lock_try_anonymous(LockCore& c) noexcept {
  std::uint64_t expected = 0;
  return c.owner.compare_exchange_strong(expected, kAnonymousOwner);
}
// False when the lock was not held (nothing changed).
inline bool lock_release_anonymous(LockCore& c, FutexScope scope) {
  if (c.owner.exchange(0) == 0) return false;
  if (c.contended.load() != 0) lock_wake_one(c, scope);
  return true;
}

bool lock_is_mine(const LockCore& c) noexcept;
inline bool lock_locked(const LockCore& c) noexcept { return c.owner.load() != 0; }
// Recursion levels the caller holds: depth for a recursive lock it owns, 1
// for an owned non-recursive lock, else 0.
std::uint32_t lock_levels_held(const LockCore& c, const LockPolicy& p) noexcept;

// Condition.wait's pair: release every level the caller holds (returning
// them), and later reacquire the lock (waiting as long as needed) and restore
// them. Precondition of release_all: the lock is held (checked by callers).
std::uint32_t lock_release_all(LockCore& c, const LockPolicy& p);
void lock_reacquire(LockCore& c, const LockPolicy& p, std::uint32_t levels);

// -------------------------------------------------------------- semaphores

struct SemCore {
  std::atomic<std::uint32_t> value{0};    // the counter (futex word)
  std::atomic<std::uint32_t> waiters{0};  // threads inside futex_wait on value
  std::uint32_t maxvalue = 0;             // release() never raises value above it
};

bool sem_acquire(SemCore& c, FutexScope scope, bool block, const Deadline& deadline);
// Adds n (>= 1) and wakes up to n waiters; false, changing nothing, when the
// value would exceed maxvalue.
bool sem_release(SemCore& c, FutexScope scope, std::uint32_t n);

// ------------------------------------------------------------------ events

struct EventCore {
  std::atomic<std::uint32_t> flag{0};
  std::atomic<std::uint32_t> seq{0};  // futex word: bumped by set()
  std::atomic<std::uint32_t> waiters{0};
};

void event_set(EventCore& c, FutexScope scope);
inline void event_clear(EventCore& c) noexcept { c.flag.store(0); }
inline bool event_is_set(const EventCore& c) noexcept { return c.flag.load() != 0; }
// Waits until the flag is set or the deadline passes. Returns true at once
// when the flag is set. Otherwise, when set() woke the waiter:
// EventWake::flag returns the flag as it reads then (false if cleared again
// before this waiter ran: multiprocessing.Event), EventWake::signal returns
// true (threading.Event returns its Condition.wait's result).
enum class EventWake { flag, signal };
bool event_wait(EventCore& c, FutexScope scope, const Deadline& deadline, EventWake wake);

// ------------------------------------------------------ Condition.wait_for
//
// CPython's Condition.wait_for loop, for either Condition: waits until
// predicate() is truthy or the timeout passes and returns predicate's last
// value. The two CPython loops differ in one case: threading's waits once
// (without blocking) and asks the predicate again even when the timeout is
// already <= 0 (`wait_once_if_expired`); multiprocessing's returns at once.
template <class Cond, class Pred>
auto condition_wait_for(Cond& cond, Pred& predicate, const Timeout& timeout, bool wait_once_if_expired)
    -> std::decay_t<decltype(predicate())> {
  auto result = predicate();
  if (result) return result;
  const Deadline end = deadline_after(timeout);
  bool first = true;
  while (!result) {
    Timeout left;
    if (end) {
      left = std::chrono::duration<double>(*end - std::chrono::steady_clock::now());
      if (left->count() <= 0 && !(first && wait_once_if_expired)) break;
    }
    first = false;
    (void)cond.wait(left);
    result = predicate();
  }
  return result;
}

// ---------------------------------------------------------------- barriers
//
// threading.Barrier's algorithm (filling, draining, resetting, broken). All
// state is guarded by `cond`'s lock; Cond is multiprocessing::Condition or
// threading::Condition (lock/unlock, wait(Timeout), wait_for, notify_all).

struct BarrierCore {
  std::atomic<std::int32_t> state{0};  // kFilling, kDraining, kResetting, kBroken
  std::atomic<std::int32_t> count{0};  // threads inside wait()
  static constexpr std::int32_t kFilling = 0;
  static constexpr std::int32_t kDraining = 1;
  static constexpr std::int32_t kResetting = -1;
  static constexpr std::int32_t kBroken = -2;
};

template <class Cond>
class BarrierAlgorithm {
 public:
  BarrierAlgorithm(BarrierCore& b, Cond& cond) : b_(b), cond_(cond) {}

  // Returns this caller's index in [0, parties).
  int wait(int parties, const std::function<void()>& action, const Timeout& timeout) {
    std::lock_guard<Cond> guard(cond_);
    enter();
    const int index = b_.count.load();
    b_.count.store(index + 1);
    try {
      if (index + 1 == parties)
        release(action);
      else
        wait_released(timeout);
    } catch (...) {
      b_.count.store(b_.count.load() - 1);
      exit();
      throw;
    }
    b_.count.store(b_.count.load() - 1);
    exit();
    return index;
  }

  void reset() {
    std::lock_guard<Cond> guard(cond_);
    if (b_.count.load() > 0) {
      const std::int32_t st = b_.state.load();
      if (st == BarrierCore::kFilling || st == BarrierCore::kBroken) b_.state.store(BarrierCore::kResetting);
    } else {
      b_.state.store(BarrierCore::kFilling);
    }
    cond_.notify_all();
  }

  void abort() {
    std::lock_guard<Cond> guard(cond_);
    break_barrier();
  }

  int n_waiting() const { return b_.state.load() == BarrierCore::kFilling ? b_.count.load() : 0; }
  bool broken() const { return b_.state.load() == BarrierCore::kBroken; }

 private:
  void enter() {
    for (;;) {
      const std::int32_t st = b_.state.load();
      if (st != BarrierCore::kResetting && st != BarrierCore::kDraining) break;
      (void)cond_.wait(Timeout{});
    }
    if (b_.state.load() < 0) throw BrokenBarrierError();
  }

  void release(const std::function<void()>& action) {
    try {
      if (action) action();
      b_.state.store(BarrierCore::kDraining);
      cond_.notify_all();
    } catch (...) {
      break_barrier();
      throw;
    }
  }

  void wait_released(const Timeout& timeout) {
    BarrierCore& b = b_;
    if (!cond_.wait_for([&b] { return b.state.load() != BarrierCore::kFilling; }, timeout)) {
      break_barrier();
      throw BrokenBarrierError();
    }
    if (b_.state.load() < 0) throw BrokenBarrierError();
  }

  void exit() {
    if (b_.count.load() == 0) {
      const std::int32_t st = b_.state.load();
      if (st == BarrierCore::kResetting || st == BarrierCore::kDraining) {
        b_.state.store(BarrierCore::kFilling);
        cond_.notify_all();
      }
    }
  }

  void break_barrier() {
    b_.state.store(BarrierCore::kBroken);
    cond_.notify_all();
  }

  BarrierCore& b_;
  Cond& cond_;
};

}  // namespace concur::detail
