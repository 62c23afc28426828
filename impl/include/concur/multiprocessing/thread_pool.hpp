// concur/multiprocessing/thread_pool.hpp — multiprocessing.pool.ThreadPool,
// also known as multiprocessing.dummy.Pool (seed 003 "ThreadPool";
// CPython Lib/multiprocessing/pool.py ThreadPool, Lib/multiprocessing/dummy).
//
// Guarantees
//  * The Pool API (pool.hpp) on threads of this process: apply /
//    apply_async(fn, args, callback, error_callback), map / map_async,
//    starmap / starmap_async, imap, imap_unordered, close, terminate, join,
//    with the same result objects (pool_results.hpp), chunking, and CPython's
//    messages ("Pool not running", "Pool is still running", "Number of
//    processes must be at least 1", "Chunksize must be 1+, not N").
//  * ThreadPool(processes = cpu_count(), initializer, initargs...): the
//    workers are concur::threading::Thread objects (daemonic, as CPython's
//    DummyProcess workers); each runs initializer(initargs...) once.
//  * Tasks are any callables; nothing is serialized. Errors reach get() and
//    error_callback with their original C++ type.
//  * Callbacks run in the worker thread that finished the job's last chunk.
//  * close(): workers finish the queued tasks and end. terminate(): queued
//    tasks that have not started are dropped and their results fail with
//    ProcessError("Pool terminated before the task finished"); a task that
//    runs cannot be interrupted (threads cannot be killed), so terminate()
//    waits for running tasks to return. join() waits for the workers and
//    requires close() or terminate() first.
//
// Thread-safety: every member may be called from any thread. Fork-safety: a
// forked child must not use its copy. Lifetime: the destructor terminates
// and joins, as `with ThreadPool() as p:` does.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/errors.hpp"
#include "concur/multiprocessing/pool_results.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing {

namespace detail {

// The thread pool engine (thread_pool.cpp): a FIFO of chunks run by N
// threading::Thread workers.
class ThreadPoolCore;
class ThreadPoolHandle {
 public:
  ThreadPoolHandle() = default;
  ThreadPoolHandle(int processes, std::function<void()> initializer);
  ThreadPoolHandle(ThreadPoolHandle&&) noexcept;
  ThreadPoolHandle& operator=(ThreadPoolHandle&&) noexcept;
  ~ThreadPoolHandle();

  int processes() const;
  void check_running() const;  // ValueError("Pool not running")
  // Queues run(); cancel() is called instead if the pool is terminated first.
  void submit(std::vector<std::pair<std::function<void()>, std::function<void()>>> chunks);
  void close();
  void terminate();
  void join();
  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  std::shared_ptr<ThreadPoolCore> core_;
};

int default_pool_size();
void check_chunksize(long long chunksize, bool imap_unordered);
std::size_t default_chunksize(std::size_t length, int processes);

}  // namespace detail

class ThreadPool {
 public:
  ThreadPool() : ThreadPool(std::nullopt) {}
  explicit ThreadPool(std::optional<int> processes) : ThreadPool(processes, nullptr) {}
  // ThreadPool(processes, initializer, initargs...). Throws ValueError for
  // processes < 1.
  template <class F, class... A>
  ThreadPool(std::optional<int> processes, F&& initializer, A&&... initargs) {
    int n = processes ? *processes : detail::default_pool_size();
    if (n < 1) throw ValueError("Number of processes must be at least 1");
    std::function<void()> init;
    if constexpr (!std::is_null_pointer_v<std::decay_t<F>>) {
      init = [f = std::decay_t<F>(std::forward<F>(initializer)),
              args = std::make_tuple(std::decay_t<A>(std::forward<A>(initargs))...)]() mutable { std::apply(f, args); };
    }
    handle_ = detail::ThreadPoolHandle(n, std::move(init));
  }
  ThreadPool(ThreadPool&&) noexcept = default;
  ThreadPool& operator=(ThreadPool&&) = delete;
  ~ThreadPool();

  // apply(fn, {args...}) / apply_async(fn, {args...}, callback,
  // error_callback) for a function; any callable with a std::tuple of args.
  template <class R, class... P>
  R apply(R (*fn)(P...), std::type_identity_t<std::tuple<std::decay_t<P>...>> args = {}) {
    return apply_async(fn, std::move(args)).get();
  }
  template <class F, class... A>
    requires(!std::is_pointer_v<std::decay_t<F>>)
  auto apply(F f, std::tuple<A...> args = {}) {
    return apply_async(std::move(f), std::move(args)).get();
  }
  template <class R, class... P>
  AsyncResult<R> apply_async(R (*fn)(P...), std::type_identity_t<std::tuple<std::decay_t<P>...>> args = {},
                             typename AsyncResult<R>::Callback callback = {}, ErrorCallback error_callback = {}) {
    return apply_impl<R>(fn, std::move(args), std::move(callback), std::move(error_callback));
  }
  template <class F, class... A, class R = std::invoke_result_t<F&, A&...>>
    requires(!std::is_pointer_v<std::decay_t<F>>)
  AsyncResult<R> apply_async(F f, std::tuple<A...> args = {}, typename AsyncResult<R>::Callback callback = {},
                             ErrorCallback error_callback = {}) {
    return apply_impl<R>(std::move(f), std::move(args), std::move(callback), std::move(error_callback));
  }

  // map(fn, iterable, chunksize) / map_async: [fn(x) for x in iterable].
  template <class F, class Range, class R = std::invoke_result_t<F&, const std::ranges::range_value_t<Range>&>>
  std::vector<detail::task_value_t<R>> map(F f, const Range& iterable, std::optional<long long> chunksize = std::nullopt) {
    return map_async(std::move(f), iterable, chunksize).get();
  }
  template <class F, class Range, class R = std::invoke_result_t<F&, const std::ranges::range_value_t<Range>&>>
  MapResult<R> map_async(F f, const Range& iterable, std::optional<long long> chunksize = std::nullopt,
                         typename MapResult<R>::Callback callback = {}, ErrorCallback error_callback = {}) {
    return map_impl<R>([f](const auto& x) mutable -> R { return f(x); }, iterable, chunksize, std::move(callback),
                       std::move(error_callback));
  }

  // starmap(fn, iterable of tuples) / starmap_async: [fn(*args) ...].
  template <class F, class Range,
            class R = decltype(std::apply(std::declval<F&>(), std::declval<const std::ranges::range_value_t<Range>&>()))>
  std::vector<detail::task_value_t<R>> starmap(F f, const Range& iterable,
                                               std::optional<long long> chunksize = std::nullopt) {
    return starmap_async(std::move(f), iterable, chunksize).get();
  }
  template <class F, class Range,
            class R = decltype(std::apply(std::declval<F&>(), std::declval<const std::ranges::range_value_t<Range>&>()))>
  MapResult<R> starmap_async(F f, const Range& iterable, std::optional<long long> chunksize = std::nullopt,
                             typename MapResult<R>::Callback callback = {}, ErrorCallback error_callback = {}) {
    return map_impl<R>([f](const auto& t) mutable -> R { return std::apply(f, t); }, iterable, chunksize,
                       std::move(callback), std::move(error_callback));
  }

  // imap / imap_unordered(fn, iterable, chunksize = 1).
  template <class F, class Range, class R = std::invoke_result_t<F&, const std::ranges::range_value_t<Range>&>>
  IMapIterator<R> imap(F f, const Range& iterable, long long chunksize = 1) {
    return imap_impl<R>(std::move(f), iterable, chunksize, true);
  }
  template <class F, class Range, class R = std::invoke_result_t<F&, const std::ranges::range_value_t<Range>&>>
  IMapIterator<R> imap_unordered(F f, const Range& iterable, long long chunksize = 1) {
    return imap_impl<R>(std::move(f), iterable, chunksize, false);
  }

  void close() { handle_.close(); }
  void terminate() { handle_.terminate(); }
  void join() { handle_.join(); }
  int processes() const { return handle_.processes(); }

 private:
  template <class R, class S, class Call, class Item>
  static void run_chunk(const std::shared_ptr<detail::ValueSink<S>>& sink, std::uint32_t chunk, Call& call,
                        const std::vector<Item>& items, std::size_t first, std::size_t last) {
    std::vector<S> values;
    try {
      values.reserve(last - first);
      for (std::size_t i = first; i < last; ++i) {
        if constexpr (std::is_void_v<R>) {
          call(items[i]);
          values.emplace_back();
        } else {
          values.push_back(call(items[i]));
        }
      }
    } catch (...) {
      sink->fail(chunk, std::current_exception());
      return;
    }
    sink->deliver(chunk, std::move(values));
  }

  template <class R, class F, class Tuple>
  AsyncResult<R> apply_impl(F f, Tuple args, typename AsyncResult<R>::Callback callback, ErrorCallback error_callback) {
    handle_.check_running();
    auto result = AsyncResult<R>::make(std::move(callback), std::move(error_callback));
    using S = detail::task_value_t<R>;
    std::shared_ptr<detail::ValueSink<S>> sink = result.sink();
    auto items = std::make_shared<std::vector<Tuple>>();
    items->push_back(std::move(args));
    auto call = std::make_shared<std::function<R(const Tuple&)>>([f](const Tuple& t) mutable -> R {
      return std::apply(f, t);
    });
    std::vector<std::pair<std::function<void()>, std::function<void()>>> chunks;
    chunks.emplace_back([sink, call, items] { run_chunk<R, S>(sink, 0, *call, *items, 0, 1); },
                        [sink] { sink->fail(0, detail::pool_terminated_error(), false); });
    handle_.submit(std::move(chunks));
    return result;
  }

  template <class R, class Call, class Range>
  MapResult<R> map_impl(Call call, const Range& iterable, std::optional<long long> chunksize,
                        typename MapResult<R>::Callback callback, ErrorCallback error_callback) {
    handle_.check_running();
    if (chunksize) detail::check_chunksize(*chunksize, false);
    using Item = std::ranges::range_value_t<Range>;
    auto items = std::make_shared<std::vector<Item>>(std::begin(iterable), std::end(iterable));
    const std::size_t n = items->size();
    std::size_t cs = chunksize ? static_cast<std::size_t>(*chunksize) : detail::default_chunksize(n, processes());
    if (cs == 0) cs = 1;
    std::vector<std::size_t> offsets;
    for (std::size_t at = 0; at < n; at += cs) offsets.push_back(at);
    auto result = MapResult<R>::make(offsets, n, std::move(callback), std::move(error_callback));
    submit_chunks<R>(result.sink(), std::move(call), items, cs);
    return result;
  }

  template <class R, class F, class Range>
  IMapIterator<R> imap_impl(F f, const Range& iterable, long long chunksize, bool ordered) {
    handle_.check_running();
    detail::check_chunksize(chunksize, !ordered);
    using Item = std::ranges::range_value_t<Range>;
    auto items = std::make_shared<std::vector<Item>>(std::begin(iterable), std::end(iterable));
    const auto cs = static_cast<std::size_t>(chunksize);
    auto result = IMapIterator<R>::make((items->size() + cs - 1) / cs, ordered);
    submit_chunks<R>(result.sink(), [f](const Item& x) mutable -> R { return f(x); }, items, cs);
    return result;
  }

  template <class R, class S, class Call, class Item>
  void submit_chunks(std::shared_ptr<S> state, Call call, std::shared_ptr<std::vector<Item>> items, std::size_t cs) {
    using V = detail::task_value_t<R>;
    std::shared_ptr<detail::ValueSink<V>> sink = state;
    auto shared_call = std::make_shared<Call>(std::move(call));
    std::vector<std::pair<std::function<void()>, std::function<void()>>> chunks;
    const std::size_t n = items->size();
    std::uint32_t chunk = 0;
    for (std::size_t at = 0; at < n; at += cs, ++chunk) {
      const std::size_t last = std::min(n, at + cs);
      chunks.emplace_back([sink, shared_call, items, chunk, at, last] {
        run_chunk<R, V>(sink, chunk, *shared_call, *items, at, last);
      }, [sink, chunk] { sink->fail(chunk, detail::pool_terminated_error(), false); });
    }
    handle_.submit(std::move(chunks));
  }

  detail::ThreadPoolHandle handle_;
};

// multiprocessing.dummy.Pool is ThreadPool.
namespace dummy {
using Pool = ThreadPool;
}

}  // namespace concur::multiprocessing
