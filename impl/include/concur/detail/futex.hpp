// concur/detail/futex.hpp — the one wait/notify primitive of concur (private).
//
// Every blocking primitive of concur waits with futex_wait() and wakes with
// futex_wake(): the process-shared ones of multiprocessing (synchronize,
// SharedRing, Queue) and the in-process ones of threading and queue, through
// the cores of detail/sync_core.hpp. Do not add a second waiting mechanism.
//
// Contract
//  * futex_wait(word, expected, deadline) sleeps while `*word == expected`,
//    until woken by futex_wake() on the same word (in any process that maps
//    the same page), until `deadline` passes, or spuriously. Callers always
//    re-check their condition in a loop.
//  * FutexScope::process_shared futexes are keyed by the physical page, so
//    two mappings of one memfd at different addresses, in one or several
//    processes, wait on the same word. FutexScope::process_private
//    (FUTEX_PRIVATE_FLAG) futexes are keyed by the virtual address in this
//    process only; they are cheaper (no page lookup) and are what state that
//    never leaves the process (threading, queue) uses. Waiter and waker must
//    use the same scope.
//  * Deadlines are absolute CLOCK_MONOTONIC (std::chrono::steady_clock) time
//    points, so EINTR is retried with the same deadline and time spent in
//    signal handlers is not added to the wait. No deadline waits forever.
//  * deadline_after(Timeout) turns concur's relative Timeout into that
//    absolute deadline; negative timeouts count as zero (timeout.hpp).
//
// Thread-safety: reentrant. Fork-safety: async-signal-safe syscalls only.
// Blocking: futex_wait blocks; futex_wake never does.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "concur/timeout.hpp"

namespace concur::detail {

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// The absolute deadline `timeout` from now; empty when `timeout` is empty.
Deadline deadline_after(const Timeout& timeout);

// True once `deadline` has passed (never for an empty deadline).
bool deadline_passed(const Deadline& deadline);

enum class FutexScope : bool { process_private, process_shared };

// One pause of a spin-wait (x86 PAUSE, AArch64 YIELD): the CPU hint every
// bounded spin before a futex_wait uses (SharedRing, Pool, the PLINQ engine).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

enum class WaitResult {
  woken,      // woken by futex_wake, or spuriously
  changed,    // *word != expected when the call began
  timed_out,  // the deadline passed
};

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

WaitResult futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline& deadline,
                      FutexScope scope = FutexScope::process_shared);

// Wakes up to `n` waiters of `word`; returns how many were woken.
int futex_wake(const std::atomic<std::uint32_t>& word, int n, FutexScope scope = FutexScope::process_shared);
// FUTEX_CMP_REQUEUE: if `*from == expected`, wakes up to `n_wake` waiters of
// `from` and moves up to `n_requeue` others to wait on `to` (both words in
// the same scope); returns how many were woken or moved, or -1 when
// `*from != expected`. Used for wait morphing (threading::Condition).
int futex_requeue(const std::atomic<std::uint32_t>& from, std::uint32_t expected, const std::atomic<std::uint32_t>& to,
                  int n_wake, int n_requeue, FutexScope scope);
// Wakes every waiter of `word`.
int futex_wake_all(const std::atomic<std::uint32_t>& word, FutexScope scope = FutexScope::process_shared);

}  // namespace concur::detail
