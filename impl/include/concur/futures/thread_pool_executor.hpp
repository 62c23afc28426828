// concur/futures/thread_pool_executor.hpp — concurrent.futures.ThreadPoolExecutor
// (seed 001 "concurrent.futures": ThreadPoolExecutor(3), executor.map(is_prime,
// PRIMES), submit; CPython Lib/concurrent/futures/thread.py).
//
// Guarantees
//  * ThreadPoolExecutor(max_workers = min(32, cpu_count() + 4),
//    thread_name_prefix, initializer, initargs...). Worker threads
//    (concur::threading::Thread, named "<prefix>_<i>", default prefix
//    "ThreadPoolExecutor-<n>") start lazily, one per submit while no worker
//    is idle, up to max_workers, as CPython's _adjust_thread_count.
//  * submit(fn, args...) returns a Future (future.hpp) that becomes RUNNING
//    when a worker takes it; cancel() succeeds until then. Calls run in
//    submission order. map(fn, iterable, timeout) returns the results in
//    input order (MapIterator); chunksize is ignored, as in CPython.
//  * shutdown(wait = true, cancel_futures = false): no new work
//    (RuntimeError("cannot schedule new futures after shutdown")); with
//    cancel_futures the queued calls are cancelled; with wait the call
//    returns once every worker ended. The destructor is shutdown(true), as
//    `with ThreadPoolExecutor() as e:`.
//  * An initializer that throws breaks the executor: queued futures fail
//    with BrokenThreadPool("A thread initializer failed, the thread pool is
//    not usable anymore"), and so does every later submit().
//  * Errors: ValueError("max_workers must be greater than 0").
//
// Thread-safety: every member may be called from any thread.
// Fork-safety: a forked child must not use its copy.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/futures/future.hpp"
#include "concur/timeout.hpp"

namespace concur::futures {

namespace detail {
class ThreadExecutorCore;
struct WorkItem {
  std::function<void()> run;                         // set_running_or_notify_cancel, call, set_result
  std::function<void(std::exception_ptr)> fail;      // broken executor
  std::function<void()> cancel;                      // shutdown(cancel_futures)
};
}  // namespace detail

class ThreadPoolExecutor {
 public:
  explicit ThreadPoolExecutor(std::optional<int> max_workers = std::nullopt, std::string thread_name_prefix = "")
      : ThreadPoolExecutor(max_workers, std::move(thread_name_prefix), nullptr) {}
  template <class F, class... A>
  ThreadPoolExecutor(std::optional<int> max_workers, std::string thread_name_prefix, F&& initializer,
                     A&&... initargs) {
    std::function<void()> init;
    if constexpr (!std::is_null_pointer_v<std::decay_t<F>>) {
      init = [f = std::decay_t<F>(std::forward<F>(initializer)),
              args = std::make_tuple(std::decay_t<A>(std::forward<A>(initargs))...)]() mutable { std::apply(f, args); };
    }
    start(max_workers, std::move(thread_name_prefix), std::move(init));
  }
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
  ~ThreadPoolExecutor();

  // submit(fn, args...): fn(args...) in a worker thread.
  template <class F, class... A, class R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<A>&...>>
  Future<R> submit(F&& fn, A&&... args) {
    Future<R> fut;
    auto call = [f = std::decay_t<F>(std::forward<F>(fn)),
                 t = std::make_tuple(std::decay_t<A>(std::forward<A>(args))...)]() mutable -> R { return std::apply(f, t); };
    detail::WorkItem item;
    item.run = [fut, call = std::move(call)]() mutable {
      if (!fut.set_running_or_notify_cancel()) return;
      try {
        if constexpr (std::is_void_v<R>) {
          call();
          fut.set_result();
        } else {
          fut.set_result(call());
        }
      } catch (...) {
        fut.set_exception(std::current_exception());
      }
    };
    item.fail = [fut](std::exception_ptr e) mutable {
      if (fut.set_running_or_notify_cancel()) fut.set_exception(std::move(e));
    };
    item.cancel = [fut]() mutable { fut.cancel(); };
    enqueue(std::move(item));
    return fut;
  }

  // map(fn, iterable, timeout, chunksize): results in input order.
  template <class F, class Range,
            class R = std::invoke_result_t<std::decay_t<F>&, const std::ranges::range_value_t<Range>&>>
  MapIterator<detail::value_t<R>> map(F fn, const Range& iterable, Timeout timeout = std::nullopt, long long chunksize = 1) {
    (void)chunksize;
    using S = detail::value_t<R>;
    std::vector<Future<std::vector<S>>> fs;
    for (const auto& x : iterable) {
      fs.push_back(submit(
          [fn](const auto& item) mutable -> std::vector<S> {
            if constexpr (std::is_void_v<R>) {
              fn(item);
              return std::vector<S>(1);
            } else {
              return std::vector<S>{fn(item)};
            }
          },
          x));
    }
    return MapIterator<S>(std::move(fs), timeout);
  }

  void shutdown(bool wait = true, bool cancel_futures = false);

 private:
  void start(std::optional<int> max_workers, std::string prefix, std::function<void()> init);
  void enqueue(detail::WorkItem item);
  std::shared_ptr<detail::ThreadExecutorCore> core_;
};

}  // namespace concur::futures
