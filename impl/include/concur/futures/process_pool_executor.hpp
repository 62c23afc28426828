// concur/futures/process_pool_executor.hpp — concurrent.futures.ProcessPoolExecutor
// (seed 001 "concurrent.futures": ProcessPoolExecutor(3) with map(is_prime,
// PRIMES); CPython Lib/concurrent/futures/process.py).
//
// Guarantees
//  * ProcessPoolExecutor({.max_workers = cpu_count(), .context,
//    .max_tasks_per_child}, initializer, initargs...) runs calls in worker
//    processes started by the context's method. It uses the engine of
//    multiprocessing::Pool (pool.hpp): the same crossing rules (free
//    functions; registered with CONCUR_REGISTER_TARGET under
//    spawn/forkserver; serializable arguments and results), the same
//    per-worker shared-memory channels, initializer/initargs crossing like
//    Process arguments.
//  * The worker processes (and the handler thread) start at the first
//    submit() or map(), as CPython 3.11 starts them in
//    _start_executor_manager_thread; so the first submit() always returns
//    its future, even when the initializer fails (the future then fails with
//    BrokenProcessPool, conformance/cpython/futures_executor_initializer).
//  * submit(fn, args...) returns a Future (future.hpp). At most
//    max_workers + 1 calls are handed to workers at a time (CPython's call
//    queue); a future becomes RUNNING when handed over and can be cancelled
//    until then. map(fn, iterable, timeout, chunksize) sends chunks of
//    `chunksize` calls and returns the results in input order.
//  * A worker process that ends abruptly (signal, exit, failed initializer)
//    breaks the executor: every pending future fails with
//    BrokenProcessPool("A process in the process pool was terminated abruptly
//    while the future was running or pending."), the other workers are
//    stopped, and later submit() raises BrokenProcessPool("A child process
//    terminated abruptly, the process pool is not usable anymore").
//  * shutdown(wait = true, cancel_futures = false): no new work
//    (RuntimeError("cannot schedule new futures after shutdown"));
//    cancel_futures cancels the calls not yet handed to a worker; wait
//    returns once the workers ended. The destructor is shutdown(true).
//  * Errors are CPython's: ValueError("max_workers must be greater than 0"),
//    ValueError("max_tasks_per_child must be >= 1"), ValueError("max_tasks_per_child
//    is incompatible with the 'fork' multiprocessing start method; supply a
//    different mp_context."), ValueError("chunksize must be >= 1."). With
//    max_tasks_per_child and no context, the context is "spawn", as CPython's.
//
// Threads: one hidden handler thread in the parent (see pool.hpp).
// Thread-safety: every member may be called from any thread of the creating
// process. Fork-safety: a forked child must not use its copy.
#pragma once

#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/futures/future.hpp"
#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/pool.hpp"
#include "concur/timeout.hpp"

namespace concur::futures {

// ProcessPoolExecutor's keyword arguments.
struct ProcessPoolExecutorOptions {
  std::optional<int> max_workers = std::nullopt;
  const multiprocessing::Context* context = nullptr;  // mp_context
  std::optional<long> max_tasks_per_child = std::nullopt;
};

namespace detail {

// Connects one pool job (one chunk) to a Future of the chunk's values.
template <class S, class T>
struct FutureSink final : multiprocessing::detail::ValueSink<S> {
  explicit FutureSink(Future<T> f, bool whole_chunk) : future(std::move(f)), whole(whole_chunk) {}
  bool on_dispatch(std::uint32_t) override { return future.set_running_or_notify_cancel(); }
  void deliver(std::uint32_t, std::vector<S> values) override {
    try {
      if constexpr (std::is_same_v<T, std::vector<S>>) {
        future.set_result(std::move(values));
      } else if constexpr (std::is_void_v<T>) {
        future.set_result();
      } else {
        future.set_result(std::move(values.at(0)));
      }
    } catch (const InvalidStateError&) {
    }
  }
  void fail(std::uint32_t, std::exception_ptr e, bool) override {
    try {
      future.set_exception(std::move(e));
    } catch (const InvalidStateError&) {
    }
  }
  void cancel(std::uint32_t) override { future.cancel(); }
  Future<T> future;
  bool whole;
};

void check_executor_options(const ProcessPoolExecutorOptions& o, multiprocessing::detail::PoolConfig& config);

}  // namespace detail

class ProcessPoolExecutor {
 public:
  explicit ProcessPoolExecutor(ProcessPoolExecutorOptions options = {}) : ProcessPoolExecutor(options, nullptr) {}
  explicit ProcessPoolExecutor(int max_workers) : ProcessPoolExecutor(ProcessPoolExecutorOptions{.max_workers = max_workers}) {}
  template <class F, class... A>
  ProcessPoolExecutor(ProcessPoolExecutorOptions options, F&& initializer, A&&... initargs) {
    multiprocessing::detail::PoolConfig config;
    detail::check_executor_options(options, config);
    if constexpr (std::is_null_pointer_v<std::decay_t<F>>) {
      config.make_process = [] { return std::make_unique<multiprocessing::detail::PoolWorkerProcess>(); };
    } else {
      config.make_process = [init = std::decay_t<F>(std::forward<F>(initializer)),
                             args = std::make_tuple(std::decay_t<A>(std::forward<A>(initargs))...)] {
        auto p = std::make_unique<multiprocessing::detail::PoolWorkerProcess>();
        std::apply([&](const auto&... a) { p->set_initializer(init, a...); }, args);
        return p;
      };
    }
    handle_ = multiprocessing::detail::PoolHandle(std::move(config));
  }
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  ~ProcessPoolExecutor();

  // submit(fn, args...): fn(args...) in a worker process.
  template <class R, class... P, class... A>
  Future<R> submit(R (*fn)(P...), A&&... args) {
    static_assert(sizeof...(P) == sizeof...(A), "submit: wrong number of arguments for the function");
    using Tuple = multiprocessing::detail::ParamTuple<R, P...>;
    using S = multiprocessing::detail::task_value_t<R>;
    handle_.check_running();
    Future<R> fut;
    std::array<Tuple, 1> one{Tuple(std::forward<A>(args)...)};
    std::vector<multiprocessing::detail::ChunkArgs> chunks;
    chunks.push_back(multiprocessing::detail::serialize_chunk<Tuple>(one.begin(), one.end()));
    submit_erased(std::make_shared<detail::FutureSink<S, R>>(fut, false), reinterpret_cast<multiprocessing::detail::GenericFn>(fn),
                  multiprocessing::detail::task_invoker_for<R, P...>(), typeid(fn), std::move(chunks));
    return fut;
  }

  // map(fn, iterable, timeout, chunksize): results in input order.
  template <class R, class P, class Range>
  MapIterator<multiprocessing::detail::task_value_t<R>> map(R (*fn)(P), const Range& iterable,
                                                            Timeout timeout = std::nullopt, long long chunksize = 1) {
    if (chunksize < 1) throw ValueError("chunksize must be >= 1.");
    using Tuple = std::tuple<std::remove_cvref_t<P>>;
    using S = multiprocessing::detail::task_value_t<R>;
    std::vector<Tuple> calls;
    for (const auto& x : iterable) calls.emplace_back(std::remove_cvref_t<P>(x));
    std::vector<Future<std::vector<S>>> fs;
    const auto cs = static_cast<std::size_t>(chunksize);
    for (std::size_t at = 0; at < calls.size(); at += cs) {
      handle_.check_running();
      Future<std::vector<S>> fut;
      std::vector<multiprocessing::detail::ChunkArgs> chunks;
      auto first = calls.begin() + static_cast<std::ptrdiff_t>(at);
      auto last = calls.begin() + static_cast<std::ptrdiff_t>(std::min(calls.size(), at + cs));
      chunks.push_back(multiprocessing::detail::serialize_chunk<Tuple>(first, last));
      submit_erased(std::make_shared<detail::FutureSink<S, std::vector<S>>>(fut, true),
                    reinterpret_cast<multiprocessing::detail::GenericFn>(fn),
                    multiprocessing::detail::task_invoker_for<R, P>(), typeid(fn), std::move(chunks));
      fs.push_back(std::move(fut));
    }
    return MapIterator<S>(std::move(fs), timeout);
  }

  void shutdown(bool wait = true, bool cancel_futures = false);

 private:
  void submit_erased(std::shared_ptr<multiprocessing::detail::JobSink> sink, multiprocessing::detail::GenericFn fn,
                     multiprocessing::detail::TaskInvoker invoker, const std::type_info& type,
                     std::vector<multiprocessing::detail::ChunkArgs> chunks);
  multiprocessing::detail::PoolHandle handle_;
  bool shut_down_ = false;
};

}  // namespace concur::futures
