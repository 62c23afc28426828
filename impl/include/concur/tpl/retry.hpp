// concur/tpl/retry.hpp — retry with exponential back-off, the pattern of the
// seed's DownloadStringAsync (seed 000, .NET half: "3次重试机会，第一次1s，
// 第二次2s，第三次4s ... 最后一次尝试，错误就抛出").
//
// Guarantees
//  * retry(fn, attempts, first_delay[, token]) calls fn() and returns its
//    result. While fn throws and fewer than `attempts` retries were used, it
//    waits first_delay, 2×first_delay, 4×first_delay, … and calls fn again;
//    after `attempts` failed calls it calls fn one final time and that
//    call's exception propagates unchanged. So fn runs at most attempts + 1
//    times, and the seed's loop is retry(fn, 3, 1s). The exceptions of the
//    retried calls are discarded, as the seed's `catch { }` does.
//  * If fn returns a Task<U>, each call waits for that task (.NET's await):
//    a faulted task counts as a failure with its first inner exception, and
//    the result is the U.
//  * The token cancels the back-off: a cancellation seen before a call or
//    during a wait throws OperationCanceledException at once (fn is not
//    interrupted). attempts < 0 throws ValueError.
//  * retry_async(fn, attempts, first_delay[, token]) is the same loop as a
//    Task<U>: each call runs on a tpl worker, the waits are tpl::delay (no
//    thread sleeps); the task faults with the final call's exception, or
//    ends canceled when the token fires.
//
// Threads: retry runs fn and sleeps on the calling thread; retry_async uses
// the tpl workers and timer thread (task.hpp, cancellation.hpp).
// Thread-safety: fn is called by one thread at a time, never concurrently.
// Process-safety: none. Fork-safety: as task.hpp.
// Blocking: retry blocks through every call and wait; retry_async does not.
// Lifetime: retry_async keeps fn (a copy) until the task completed.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "concur/errors.hpp"
#include "concur/threading/event.hpp"
#include "concur/tpl/cancellation.hpp"
#include "concur/tpl/task.hpp"

namespace concur::tpl {

namespace detail {

template <class F, class R = std::invoke_result_t<F&>>
struct RetryResult {
  using type = R;
};
template <class F, class U>
struct RetryResult<F, Task<U>> {
  using type = U;
};

// One attempt; a returned Task is awaited. Returns by value: the task (and
// the result it holds) is a temporary.
template <class F>
typename RetryResult<F>::type call_awaiting(F& fn) {
  using R = std::invoke_result_t<F&>;
  if constexpr (is_task<R>::value) {
    auto task = fn();
    return task.get();
  } else {
    return fn();
  }
}

// Sleeps for `d` unless the token fires first; throws OperationCanceledException then.
inline void cancellable_sleep(std::chrono::duration<double> d, const CancellationToken& token) {
  token.throw_if_cancellation_requested();
  auto woken = std::make_shared<threading::Event>();
  auto reg = token.register_callback([woken] { woken->set(); });
  woken->wait(d);
  token.throw_if_cancellation_requested();
}

template <class U, class F>
void retry_step(std::shared_ptr<TaskState<U>> out, std::shared_ptr<F> fn, int left,
                std::chrono::duration<double> next_delay, CancellationToken token) {
  if (token.is_cancellation_requested()) {
    out->complete(TaskStatus::canceled);
    return;
  }
  auto attempt = Task<>::run([fn] { return (*fn)(); });
  TaskAccess::state(attempt)->on_completed(
      [out, fn, left, next_delay, token, attempt] {
        const auto& st = TaskAccess::state(attempt);
        auto s = st->status.load(std::memory_order_acquire);
        if (s == TaskStatus::ran_to_completion || left == 0) {
          forward_outcome<U>(out, attempt);
          return;
        }
        auto wait = delay(next_delay, token);
        TaskAccess::state(wait)->on_completed(
            [out, fn, left, next_delay, token, wait] {
              if (wait.is_canceled()) {
                out->complete(TaskStatus::canceled);
              } else {
                retry_step<U>(out, fn, left - 1, next_delay * 2, token);
              }
            },
            true);
      },
      true);
}

}  // namespace detail

template <class F>
auto retry(F fn, int attempts, std::chrono::duration<double> first_delay, CancellationToken token = {}) ->
    typename detail::RetryResult<F>::type {
  if (attempts < 0) throw ValueError("attempts must be >= 0");
  auto next_delay = first_delay;
  for (int i = 0; i < attempts; ++i) {
    token.throw_if_cancellation_requested();
    try {
      return detail::call_awaiting(fn);
    } catch (...) {
      // The seed's `catch { }`: retried failures are dropped.
    }
    detail::cancellable_sleep(next_delay, token);
    next_delay *= 2;
  }
  token.throw_if_cancellation_requested();
  return detail::call_awaiting(fn);  // the final attempt: its exception propagates
}

template <class F>
auto retry_async(F fn, int attempts, std::chrono::duration<double> first_delay, CancellationToken token = {})
    -> Task<typename detail::RetryResult<F>::type> {
  using U = typename detail::RetryResult<F>::type;
  if (attempts < 0) throw ValueError("attempts must be >= 0");
  auto out = std::make_shared<detail::TaskState<U>>();
  out->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
  detail::retry_step<U>(out, std::make_shared<F>(std::move(fn)), attempts, first_delay, token);
  return detail::TaskAccess::make<U>(out);
}

}  // namespace concur::tpl
