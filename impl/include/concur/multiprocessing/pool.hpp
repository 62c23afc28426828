// concur/multiprocessing/pool.hpp — multiprocessing.Pool
// (seeds 000/004 §1.2 "进程池", §1.3 "源码拓展" (default size = CPU count,
// apply_async callbacks, "Pool not running", join's "Pool is still running"),
// seed 001 map/map_async/imap_unordered/apply/apply_async, seed 003
// map/imap, seed 004 §1.6 initializer/initargs and maxtasksperchild;
// CPython Lib/multiprocessing/pool.py).
//
// Guarantees
//  * Pool(processes = cpu_count(), initializer, initargs, maxtasksperchild,
//    context) starts `processes` daemonic worker processes named as
//    CPython's: ForkPoolWorker-N, SpawnPoolWorker-N, ForkServerPoolWorker-N.
//    Each runs initializer(initargs...) once, then tasks.
//  * apply (blocks) / apply_async, map (blocks) / map_async, starmap /
//    starmap_async, imap (ordered, results as they become available) and
//    imap_unordered (completion order) have CPython's semantics, chunking
//    (map's default chunksize is CPython's: ceil(len / (4 * processes))) and
//    results (pool_results.hpp). Every task runs exactly once unless its
//    worker dies while running it.
//  * close() stops new work; workers finish the queued tasks and exit.
//    terminate() kills the workers at once (SIGTERM). join() waits for the
//    workers and requires close() or terminate() first. Errors are CPython's:
//    ValueError("Pool not running") for new work after close/terminate,
//    ValueError("Pool is still running") for join before close,
//    ValueError("Number of processes must be at least 1"),
//    ValueError("maxtasksperchild must be a positive int or None"),
//    ValueError("Chunksize must be 1+, not N") — for map/starmap too, where
//    CPython 3.11 instead returns a list of None without running anything
//    (a deliberate difference, declared in conformance/cpython/pool_errors).
//  * maxtasksperchild: a worker exits after that many tasks (chunks) and is
//    replaced by a new process (a new pid).
//  * Beyond CPython: a worker that dies while running a task (SIGKILL,
//    SIGSEGV, _exit) makes that task fail at once with WorkerLostError
//    naming the worker, its pid and the signal; tasks queued behind it run
//    on other workers; a replacement worker starts and the pool stays
//    usable. (CPython's Pool waits forever for such a task.)
//
// Crossing the boundary
//  * Tasks are free functions R(*)(P...) (a captureless lambda converts with
//    unary +). Arguments are converted to the parameter types and
//    serialized (serialization.hpp) for every start method, as CPython
//    pickles them; results come back serialized. Under fork any such
//    function works; under spawn/forkserver it must be registered with
//    CONCUR_REGISTER_TARGET (spawn.hpp). A task whose function or arguments
//    cannot cross fails through its result (get() raises, error_callback
//    runs) with PicklingError, or with the object's own error: a Queue task
//    argument raises RuntimeError("Queue objects should only be shared
//    between processes through inheritance"), as in seed 004. Pass such
//    objects through initializer/initargs: they cross like Process
//    arguments (by inheritance).
//  * The initializer follows Process target rules: any callable under fork,
//    a registered function under spawn/forkserver (PicklingError from the
//    constructor otherwise).
//
// Threads: a Pool runs ONE hidden daemon thread in the parent, its result
// handler (CPython runs three). It dispatches queued tasks, receives results,
// runs callbacks and replaces workers. Under fork, replacement workers are
// forked from that thread; concur does not log its multi-threaded-fork
// warning for them (the child runs only the worker loop, your initializer and
// your tasks; CPython's equivalent warning is a DeprecationWarning, hidden by
// default).
//
// Transport: per worker, one SharedRing for tasks and one for results
// (shared memory, no syscall while both sides are busy); a pipe doorbell and
// the workers' sentinels (pidfds) wake the handler, so death is seen at once.
// A worker is given at most its fair share of the queued tasks ahead (up to
// 64), so idle workers never wait behind a busy one while work is queued.
// Arguments and results of any size cross (larger than the 1 MiB rings too);
// the parent never blocks sending to a busy worker, so big messages cannot
// deadlock. Workers whose parent died (SIGKILL) notice within about a second
// and end.
//
// Thread-safety: every member may be called from any thread of the process
// that created the pool. Fork-safety: a forked child must not use its copy
// of the pool. Lifetime: the destructor terminates and joins (Python's
// `with Pool() as p:` calls terminate() on exit); results outlive the pool.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/shared_block.hpp"
#include "concur/errors.hpp"
#include "concur/multiprocessing/connection.hpp"
#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/pool_results.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/shared_ring.hpp"
#include "concur/multiprocessing/spawn.hpp"
#include "concur/serialization.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing {

// Python's keyword arguments of Pool(): processes=, maxtasksperchild=,
// context=. Use with designated initializers:
// Pool({.processes = 4, .maxtasksperchild = 2}).
struct PoolOptions {
  std::optional<int> processes = std::nullopt;           // default: cpu_count()
  std::optional<long> maxtasksperchild = std::nullopt;   // default: unlimited
  const Context* context = nullptr;                      // default: get_context()
};

namespace detail {

// The channels between the parent and one worker.
struct WorkerChannels {
  SharedRing tasks;               // parent -> worker: TaskMsg
  SharedRing results;             // worker -> parent: ResultMsg
  connection::Connection doorbell;  // worker -> handler: "a result is waiting"
  concur::detail::SharedBlock flags;  // the handler's "I am asleep" word
  template <class A>
  void serialize(A& ar) {
    ar(tasks, results, doorbell, flags);
  }
};

// A pool worker: runs the initializer (its Process target), then the task
// loop. Registered for spawn/forkserver in pool.cpp.
class PoolWorkerProcess : public Process {
 public:
  PoolWorkerProcess() = default;
  template <class F, class... A>
  void set_initializer(F&& f, A&&... a) {
    set_target(std::forward<F>(f), std::forward<A>(a)...);
  }
  void run() override;

  WorkerChannels channels;
  long maxtasks = 0;  // 0: unlimited
  template <class A>
  void serialize(A& ar) {
    ar(channels, maxtasks);
  }
};

// How a worker finds a task's function: by registered name (every method),
// or by address and invoker (fork only: the child is a copy of the parent).
struct TaskRef {
  std::string name;
  std::uint64_t fn = 0;
  std::uint64_t invoker = 0;
  std::string error;  // non-empty: the function cannot cross (PicklingError text)
};

TaskRef make_task_ref(GenericFn fn, TaskInvoker invoker, bool fork, const std::type_info& type);

// One chunk to run: its serialized argument tuples, or the error raised
// while serializing them.
struct ChunkArgs {
  std::string bytes;
  std::exception_ptr error;
};

class PoolCore;

struct PoolConfig {
  int processes = 1;
  std::optional<long> maxtasks;
  const Context* context = nullptr;
  std::function<std::unique_ptr<PoolWorkerProcess>()> make_process;
  // concurrent.futures: at most this many tasks handed to workers at once
  // (max_workers + 1), and a lost worker breaks the pool.
  std::optional<std::size_t> max_inflight;
  bool break_on_worker_loss = false;
  // concurrent.futures: the workers (and the handler thread) start at the
  // first submit, not in the constructor (CPython 3.11's
  // _start_executor_manager_thread), so a failing initializer breaks the
  // pool only after the first submit() returned its future.
  bool start_on_first_submit = false;
};

// The untyped engine behind Pool and ProcessPoolExecutor (pool.cpp).
class PoolHandle {
 public:
  PoolHandle() = default;
  explicit PoolHandle(PoolConfig config);
  PoolHandle(PoolHandle&&) noexcept;
  PoolHandle& operator=(PoolHandle&&) noexcept;
  ~PoolHandle();

  StartMethod method() const;
  int processes() const;
  // ValueError("Pool not running") unless running; BrokenProcessPool when
  // broken (executor mode).
  void check_running() const;
  // Queues one job. Chunks whose args failed to serialize fail at once.
  void submit(std::shared_ptr<JobSink> sink, const TaskRef& ref, std::vector<ChunkArgs> chunks);
  void close();
  void terminate();
  void join(Timeout timeout = std::nullopt);
  // Executor mode: drops every queued (not yet dispatched) chunk, calling
  // its sink's cancel().
  void cancel_pending();
  bool broken() const;
  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  std::shared_ptr<PoolCore> core_;
};

int default_pool_size();
void check_chunksize(long long chunksize, bool imap_unordered);
// CPython Pool._map_async: chunksize, extra = divmod(len, 4 * processes).
std::size_t default_chunksize(std::size_t length, int processes);

// Serializes the calls of one chunk.
template <class Tuple, class It>
ChunkArgs serialize_chunk(It first, It last) {
  ChunkArgs c;
  try {
    using Chunk = chunk_t<Tuple>;
    if constexpr (serialization::serializable<Chunk>) {
      Chunk calls;
      calls.reserve(static_cast<std::size_t>(std::distance(first, last)));
      for (; first != last; ++first) {
        if constexpr (std::tuple_size_v<Tuple> == 1) {
          calls.push_back(std::get<0>(*first));
        } else {
          calls.push_back(*first);
        }
      }
      c.bytes = serialization::dumps(calls);
    } else {
      throw PicklingError("Can't pickle the arguments (" + std::string(typeid(Tuple).name()) +
                          "): give each parameter type a cereal serialize() function");
    }
  } catch (...) {
    c.error = std::current_exception();
  }
  return c;
}

}  // namespace detail

class Pool {
 public:
  // Pool() / Pool(5): cpu_count() or `processes` workers.
  Pool() : Pool(PoolOptions{}) {}
  explicit Pool(int processes) : Pool(PoolOptions{.processes = processes}) {}
  explicit Pool(PoolOptions options) : Pool(std::move(options), nullptr) {}
  // Pool({...}, initializer, initargs...): Python's Pool(initializer=init,
  // initargs=(q,)). Throws ValueError for a bad size, PicklingError for an
  // initializer that cannot reach a spawn/forkserver worker.
  template <class F, class... A>
  Pool(PoolOptions options, F&& initializer, A&&... initargs);

  Pool(Pool&&) noexcept = default;
  Pool& operator=(Pool&&) = delete;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // terminate() and join(), as Python's `with Pool() as p:`.
  ~Pool();

  // apply(fn, {args...}): runs one call in a worker and waits for it.
  template <class R, class... P>
  R apply(R (*fn)(P...), std::type_identity_t<detail::ParamTuple<R, P...>> args = {}) {
    return apply_async(fn, std::move(args)).get();
  }

  // apply_async(fn, {args...}, callback, error_callback) -> AsyncResult<R>.
  template <class R, class... P>
  AsyncResult<R> apply_async(R (*fn)(P...), std::type_identity_t<detail::ParamTuple<R, P...>> args = {},
                             typename AsyncResult<R>::Callback callback = {}, ErrorCallback error_callback = {}) {
    handle_.check_running();
    auto result = AsyncResult<R>::make(std::move(callback), std::move(error_callback));
    std::vector<detail::ChunkArgs> chunks;
    std::array<detail::ParamTuple<R, P...>, 1> one{std::move(args)};
    chunks.push_back(detail::serialize_chunk<detail::ParamTuple<R, P...>>(one.begin(), one.end()));
    submit(result.sink(), fn, std::move(chunks));
    return result;
  }

  // map(fn, iterable, chunksize): [fn(x) for x in iterable], blocking.
  template <class R, class P, class Range>
  std::vector<detail::task_value_t<R>> map(R (*fn)(P), const Range& iterable,
                                           std::optional<long long> chunksize = std::nullopt) {
    return map_async(fn, iterable, chunksize).get();
  }
  template <class R, class P, class Range>
  MapResult<R> map_async(R (*fn)(P), const Range& iterable, std::optional<long long> chunksize = std::nullopt,
                         typename MapResult<R>::Callback callback = {}, ErrorCallback error_callback = {}) {
    return map_impl<R, std::tuple<std::remove_cvref_t<P>>>(reinterpret_cast<detail::GenericFn>(fn),
                                                          detail::task_invoker_for<R, P>(), typeid(fn),
                                                          as_tuples<P>(iterable), chunksize, std::move(callback),
                                                          std::move(error_callback));
  }

  // starmap(fn, iterable of argument tuples): [fn(*args) for args in iterable].
  template <class R, class... P, class Range>
  std::vector<detail::task_value_t<R>> starmap(R (*fn)(P...), const Range& iterable,
                                               std::optional<long long> chunksize = std::nullopt) {
    return starmap_async(fn, iterable, chunksize).get();
  }
  template <class R, class... P, class Range>
  MapResult<R> starmap_async(R (*fn)(P...), const Range& iterable, std::optional<long long> chunksize = std::nullopt,
                             typename MapResult<R>::Callback callback = {}, ErrorCallback error_callback = {}) {
    using Tuple = detail::ParamTuple<R, P...>;
    std::vector<Tuple> calls;
    for (const auto& t : iterable) calls.push_back(Tuple(t));
    return map_impl<R, Tuple>(reinterpret_cast<detail::GenericFn>(fn), detail::task_invoker_for<R, P...>(), typeid(fn),
                              std::move(calls), chunksize, std::move(callback), std::move(error_callback));
  }

  // imap(fn, iterable, chunksize=1): results in order, each as soon as it
  // (and those before it) are done.
  template <class R, class P, class Range>
  IMapIterator<R> imap(R (*fn)(P), const Range& iterable, long long chunksize = 1) {
    return imap_impl<R, P>(fn, iterable, chunksize, true);
  }
  // imap_unordered(fn, iterable, chunksize=1): results in completion order.
  template <class R, class P, class Range>
  IMapIterator<R> imap_unordered(R (*fn)(P), const Range& iterable, long long chunksize = 1) {
    return imap_impl<R, P>(fn, iterable, chunksize, false);
  }

  // No new work; workers exit once the queued work is done.
  void close();
  // Stops the workers now; unfinished results fail (see pool_results.hpp).
  void terminate();
  // Waits for the workers to exit. Precondition: close() or terminate()
  // (ValueError("Pool is still running")).
  void join();

  // Number of worker processes.
  int processes() const { return handle_.processes(); }

 private:
  template <class P, class Range>
  static std::vector<std::tuple<std::remove_cvref_t<P>>> as_tuples(const Range& iterable) {
    std::vector<std::tuple<std::remove_cvref_t<P>>> calls;
    if constexpr (requires { std::size(iterable); }) calls.reserve(std::size(iterable));
    for (const auto& x : iterable) calls.emplace_back(std::remove_cvref_t<P>(x));
    return calls;
  }

  template <class Fn>
  void submit(std::shared_ptr<detail::JobSink> sink, Fn fn, std::vector<detail::ChunkArgs> chunks) {
    using Traits = FnTraits<Fn>;
    submit_erased(std::move(sink), reinterpret_cast<detail::GenericFn>(fn), Traits::invoker(), typeid(Fn), std::move(chunks));
  }
  template <class Fn>
  struct FnTraits;
  template <class R, class... P>
  struct FnTraits<R (*)(P...)> {
    static constexpr detail::TaskInvoker invoker() { return detail::task_invoker_for<R, P...>(); }
  };

  void submit_erased(std::shared_ptr<detail::JobSink> sink, detail::GenericFn fn, detail::TaskInvoker invoker,
                     const std::type_info& type, std::vector<detail::ChunkArgs> chunks);

  template <class R, class Tuple>
  MapResult<R> map_impl(detail::GenericFn fn, detail::TaskInvoker invoker, const std::type_info& type,
                        std::vector<Tuple> calls, std::optional<long long> chunksize,
                        typename MapResult<R>::Callback callback, ErrorCallback error_callback) {
    handle_.check_running();
    if (chunksize) detail::check_chunksize(*chunksize, false);
    const std::size_t n = calls.size();
    std::size_t cs = chunksize ? static_cast<std::size_t>(*chunksize) : detail::default_chunksize(n, processes());
    if (cs == 0) cs = 1;
    std::vector<std::size_t> offsets;
    std::vector<detail::ChunkArgs> chunks;
    for (std::size_t at = 0; at < n; at += cs) {
      offsets.push_back(at);
      auto first = calls.begin() + static_cast<std::ptrdiff_t>(at);
      auto last = calls.begin() + static_cast<std::ptrdiff_t>(std::min(n, at + cs));
      chunks.push_back(detail::serialize_chunk<Tuple>(first, last));
    }
    auto result = MapResult<R>::make(std::move(offsets), n, std::move(callback), std::move(error_callback));
    submit_erased(result.sink(), fn, invoker, type, std::move(chunks));
    return result;
  }

  template <class R, class P, class Range>
  IMapIterator<R> imap_impl(R (*fn)(P), const Range& iterable, long long chunksize, bool ordered) {
    using Tuple = std::tuple<std::remove_cvref_t<P>>;
    handle_.check_running();
    detail::check_chunksize(chunksize, !ordered);
    auto calls = as_tuples<P>(iterable);
    const std::size_t n = calls.size();
    const auto cs = static_cast<std::size_t>(chunksize);
    std::vector<detail::ChunkArgs> chunks;
    for (std::size_t at = 0; at < n; at += cs) {
      auto first = calls.begin() + static_cast<std::ptrdiff_t>(at);
      auto last = calls.begin() + static_cast<std::ptrdiff_t>(std::min(n, at + cs));
      chunks.push_back(detail::serialize_chunk<Tuple>(first, last));
    }
    auto result = IMapIterator<R>::make(chunks.size(), ordered);
    submit(result.sink(), fn, std::move(chunks));
    return result;
  }

  detail::PoolHandle handle_;
};

template <class F, class... A>
Pool::Pool(PoolOptions options, F&& initializer, A&&... initargs) {
  detail::PoolConfig config;
  config.processes = options.processes ? *options.processes : detail::default_pool_size();
  if (config.processes < 1) throw ValueError("Number of processes must be at least 1");
  if (options.maxtasksperchild && *options.maxtasksperchild <= 0) {
    throw ValueError("maxtasksperchild must be a positive int or None");
  }
  config.maxtasks = options.maxtasksperchild;
  config.context = options.context ? options.context : &get_context();
  if constexpr (std::is_null_pointer_v<std::decay_t<F>>) {
    static_assert(sizeof...(A) == 0, "Pool: initargs without an initializer");
    config.make_process = [] { return std::make_unique<detail::PoolWorkerProcess>(); };
  } else {
    config.make_process = [init = std::decay_t<F>(std::forward<F>(initializer)),
                           args = std::make_tuple(std::decay_t<A>(std::forward<A>(initargs))...)] {
      auto p = std::make_unique<detail::PoolWorkerProcess>();
      std::apply([&](const auto&... a) { p->set_initializer(init, a...); }, args);
      return p;
    };
  }
  handle_ = detail::PoolHandle(std::move(config));
}

template <class... A>
Pool Context::Pool(A&&... args) const {
  if constexpr (sizeof...(A) == 0) {
    return multiprocessing::Pool(PoolOptions{.context = this});
  } else {
    return [this]<class First, class... Rest>(First&& first, Rest&&... rest) {
      if constexpr (std::is_same_v<std::remove_cvref_t<First>, PoolOptions>) {
        PoolOptions options = std::forward<First>(first);
        options.context = this;
        return multiprocessing::Pool(std::move(options), std::forward<Rest>(rest)...);
      } else {
        static_assert(sizeof...(Rest) == 0 && std::is_convertible_v<First, int>,
                      "ctx.Pool: pass processes, or PoolOptions then the initializer and its arguments");
        return multiprocessing::Pool(PoolOptions{.processes = static_cast<int>(first), .context = this});
      }
    }(std::forward<A>(args)...);
  }
}

}  // namespace concur::multiprocessing
