#include "concur/detail/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "concur/detail/fd.hpp"

namespace concur::detail {

Deadline deadline_after(const Timeout& timeout) {
  if (!timeout) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  double s = timeout->count();
  if (!(s > 0)) return now;  // negative, zero (and NaN) do not wait
  // Cap absurd timeouts (years) so the time_point arithmetic cannot overflow.
  if (s > 1e9) return std::nullopt;
  return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

bool deadline_passed(const Deadline& deadline) {
  return deadline && std::chrono::steady_clock::now() >= *deadline;
}

namespace {

std::uint32_t* address(const std::atomic<std::uint32_t>& word) {
  return reinterpret_cast<std::uint32_t*>(const_cast<std::atomic<std::uint32_t>*>(&word));
}

}  // namespace

WaitResult futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline& deadline,
                      FutexScope scope) {
  const int op = FUTEX_WAIT_BITSET | (scope == FutexScope::process_private ? FUTEX_PRIVATE_FLAG : 0);
  timespec ts{};
  if (deadline) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
    if (ns < 0) ns = 0;
    ts.tv_sec = static_cast<time_t>(ns / 1000000000);
    ts.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  for (;;) {
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC timeout (without
    // FUTEX_CLOCK_REALTIME), which steady_clock is on Linux.
    long r = ::syscall(SYS_futex, address(word), op, expected, deadline ? &ts : nullptr, nullptr,
                       FUTEX_BITSET_MATCH_ANY);
    if (r == 0) return WaitResult::woken;
    switch (errno) {
      case EINTR:
        if (deadline_passed(deadline)) return WaitResult::timed_out;
        if (word.load(std::memory_order_acquire) != expected) return WaitResult::woken;
        continue;
      case EAGAIN:
        return WaitResult::changed;
      case ETIMEDOUT:
        return WaitResult::timed_out;
      default:
        throw_errno("futex(FUTEX_WAIT_BITSET)");
    }
  }
}

int futex_wake(const std::atomic<std::uint32_t>& word, int n, FutexScope scope) {
  const int op = FUTEX_WAKE | (scope == FutexScope::process_private ? FUTEX_PRIVATE_FLAG : 0);
  long r = ::syscall(SYS_futex, address(word), op, n, nullptr, nullptr, 0);
  if (r < 0) throw_errno("futex(FUTEX_WAKE)");
  return static_cast<int>(r);
}

int futex_requeue(const std::atomic<std::uint32_t>& from, std::uint32_t expected, const std::atomic<std::uint32_t>& to,
                  int n_wake, int n_requeue, FutexScope scope) {
  const int op = FUTEX_CMP_REQUEUE | (scope == FutexScope::process_private ? FUTEX_PRIVATE_FLAG : 0);
  // The 4th argument (timeout slot) carries nr_requeue for FUTEX_CMP_REQUEUE.
  long r = ::syscall(SYS_futex, address(from), op, n_wake, static_cast<unsigned long>(n_requeue), address(to),
                     expected);
  if (r < 0) {
    if (errno == EAGAIN) return -1;
    throw_errno("futex(FUTEX_CMP_REQUEUE)");
  }
  return static_cast<int>(r);
}

int futex_wake_all(const std::atomic<std::uint32_t>& word, FutexScope scope) { return futex_wake(word, INT_MAX, scope); }

}  // namespace concur::detail
