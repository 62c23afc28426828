// concur/tpl/parallel.hpp — .NET's System.Threading.Tasks.Parallel:
// Parallel.Invoke, Parallel.For, Parallel.ForEach with ParallelOptions (seed
// 000, .NET half, "任务并行（并行调用）": Parallel.Invoke(() => …, () => …);
// "Parallel.Invoke(new ParallelOptions() { CancellationToken = token },
// actions)"; .NET docs "Data parallelism", "How to: Cancel a Parallel.For or
// ForEach Loop", "Exception handling (Task Parallel Library)").
//
// Guarantees
//  * Parallel::invoke(actions...) and invoke(options, actions...) (the
//    options may also come last: invoke(actions..., options)) run every
//    action, possibly in parallel, and return when all returned.
//  * Parallel::for_(from, to, body[, options]) calls body(i) for every i in
//    [from, to) (nothing if from >= to); for_each(range, body[, options])
//    calls body(element) for every element (by reference). The body may take
//    a second argument, ParallelLoopState&: stop() ends the loop as soon as
//    possible (ParallelLoopState.Stop); break_() (Break; `break` is a C++
//    keyword) still runs every iteration below the current one and starts
//    none above it. Both return ParallelLoopResult: is_completed (false after
//    stop/break) and lowest_break_iteration.
//  * ParallelOptions{max_degree_of_parallelism, cancellation_token}: at most
//    max_degree_of_parallelism bodies run at once (-1, the default: as many
//    as the tpl pool runs, see task.hpp; 0 or less than -1 throws ValueError,
//    as .NET throws ArgumentOutOfRangeException). The calling thread runs
//    bodies too, so max_degree_of_parallelism = 1 runs everything on it.
//  * Exceptions: a body that throws makes the loop start no further
//    iterations; once the running ones returned, the call throws one
//    AggregateException holding every exception thrown (in no fixed order).
//  * Cancellation: a token cancelled before or during the call makes it
//    start no further bodies and, once the running ones returned, throw
//    OperationCanceledException (if no body threw; else the
//    AggregateException). Bodies already running are not interrupted: they
//    may poll the token themselves.
//  * Iteration order is unspecified; indices are handed out in increasing
//    order in chunks.
//
// Threads: the calling thread plus up to max_degree_of_parallelism - 1 tpl
// workers (task.hpp, "Threads"). Every call returns only after every body it
// started returned: no work of the call outlives it.
// Thread-safety: calls may come from any thread, also from inside a body
// (nested loops); the bodies must be safe to run concurrently.
// Process-safety: none. Fork-safety: as task.hpp.
// Blocking: every call blocks until the loop ended.
// Lifetime: the body and range are used only during the call.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/errors.hpp"
#include "concur/threading/lock.hpp"
#include "concur/tpl/cancellation.hpp"
#include "concur/tpl/task.hpp"

namespace concur::tpl {

struct ParallelOptions {
  int max_degree_of_parallelism = -1;
  CancellationToken cancellation_token{};
};

struct ParallelLoopResult {
  bool is_completed = true;
  std::optional<long long> lowest_break_iteration;
};

namespace detail {
struct LoopShared;
}

class ParallelLoopState {
 public:
  // Stop(): no further iterations start.
  void stop() noexcept;
  // Break(): iterations above this one do not start; those below still run.
  void break_() noexcept;
  bool is_stopped() const noexcept;
  // ShouldExitCurrentIteration: stop, break (above us), an exception or a
  // cancellation has been requested.
  bool should_exit_current_iteration() const noexcept;
  std::optional<long long> lowest_break_iteration() const noexcept;

 private:
  friend struct detail::LoopShared;
  ParallelLoopState(detail::LoopShared& shared, long long index) : shared_(shared), index_(index) {}
  detail::LoopShared& shared_;
  long long index_;
};

namespace detail {

// The state one Parallel call shares between the caller and its helpers.
struct LoopShared {
  long long count;
  long long chunk;
  CancellationToken token;
  std::atomic<long long> next{0};
  std::atomic<bool> stopped{false};
  std::atomic<bool> failed{false};
  std::atomic<long long> break_index{std::numeric_limits<long long>::max()};
  threading::Lock errors_lock;
  std::vector<std::exception_ptr> errors;

  bool halted() const noexcept {
    return stopped.load(std::memory_order_relaxed) || failed.load(std::memory_order_relaxed) ||
           token.is_cancellation_requested();
  }

  ParallelLoopState make_state(long long index) { return ParallelLoopState(*this, index); }

  // One replica: takes chunks of indices until none is left or the loop halts.
  template <class Body>
  void replica(Body& body) {
    for (;;) {
      if (halted()) return;
      long long begin = next.fetch_add(chunk, std::memory_order_relaxed);
      if (begin >= count || begin > break_index.load(std::memory_order_relaxed)) return;
      long long end = std::min(count, begin + chunk);
      for (long long i = begin; i < end; ++i) {
        if (halted() || i > break_index.load(std::memory_order_relaxed)) return;
        try {
          body(i, *this);
        } catch (...) {
          {
            std::unique_lock guard(errors_lock);
            errors.push_back(std::current_exception());
          }
          failed.store(true, std::memory_order_relaxed);
          return;
        }
      }
    }
  }
};

int validated_degree(const ParallelOptions& options);

// Runs body(i, shared) for i in [0, count) on the caller plus helpers, then
// throws as the contract says.
template <class Body>
ParallelLoopResult run_loop(long long count, Body body, const ParallelOptions& options, long long max_chunk = 1024) {
  int degree = validated_degree(options);
  options.cancellation_token.throw_if_cancellation_requested();
  ParallelLoopResult result;
  if (count <= 0) return result;
  LoopShared shared;
  shared.count = count;
  shared.token = options.cancellation_token;
  long long replicas = std::min<long long>(degree, count);
  shared.chunk = std::max<long long>(1, std::min<long long>(max_chunk, count / (replicas * 8)));
  std::vector<Task<void>> helpers;
  helpers.reserve(static_cast<std::size_t>(replicas - 1));
  for (long long r = 1; r < replicas; ++r) {
    helpers.push_back(start_task<void>([&shared, &body] { shared.replica(body); }, CancellationToken{}));
  }
  shared.replica(body);
  // Waits (inlining helpers no worker started: they find no work left).
  for (auto& h : helpers) TaskAccess::state(h)->wait_completed(std::nullopt);
  if (!shared.errors.empty()) throw AggregateException(std::move(shared.errors));
  options.cancellation_token.throw_if_cancellation_requested();
  long long brk = shared.break_index.load(std::memory_order_relaxed);
  if (brk != std::numeric_limits<long long>::max()) {
    result.is_completed = false;
    result.lowest_break_iteration = brk;
  }
  if (shared.stopped.load(std::memory_order_relaxed)) result.is_completed = false;
  return result;
}

template <class Body, class Arg>
decltype(auto) call_body(Body& body, Arg&& arg, LoopShared& shared, long long i) {
  if constexpr (std::is_invocable_v<Body&, Arg, ParallelLoopState&>) {
    ParallelLoopState state = shared.make_state(i);
    return body(std::forward<Arg>(arg), state);
  } else {
    return body(std::forward<Arg>(arg));
  }
}

template <class T>
struct is_parallel_options : std::is_same<std::remove_cvref_t<T>, ParallelOptions> {};

}  // namespace detail

inline void ParallelLoopState::stop() noexcept { shared_.stopped.store(true, std::memory_order_relaxed); }
inline void ParallelLoopState::break_() noexcept {
  long long cur = shared_.break_index.load(std::memory_order_relaxed);
  while (index_ < cur && !shared_.break_index.compare_exchange_weak(cur, index_, std::memory_order_relaxed)) {
  }
}
inline bool ParallelLoopState::is_stopped() const noexcept { return shared_.stopped.load(std::memory_order_relaxed); }
inline bool ParallelLoopState::should_exit_current_iteration() const noexcept {
  return shared_.halted() || index_ > shared_.break_index.load(std::memory_order_relaxed);
}
inline std::optional<long long> ParallelLoopState::lowest_break_iteration() const noexcept {
  long long b = shared_.break_index.load(std::memory_order_relaxed);
  if (b == std::numeric_limits<long long>::max()) return std::nullopt;
  return b;
}

class Parallel {
 public:
  // Parallel.Invoke(options, actions...).
  template <class... Actions>
    requires(std::is_invocable_v<Actions&> && ...)
  static void invoke(const ParallelOptions& options, Actions&&... actions) {
    std::vector<std::function<void()>> list{std::function<void()>(std::forward<Actions>(actions))...};
    invoke_all(list, options);
  }

  // Parallel.Invoke(actions...) and invoke(actions..., options).
  template <class... Args>
    requires(sizeof...(Args) > 0 && !detail::is_parallel_options<std::tuple_element_t<0, std::tuple<Args...>>>::value)
  static void invoke(Args&&... args) {
    using Last = std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>;
    std::vector<std::function<void()>> list;
    ParallelOptions options;
    auto add = [&](auto&& a) {
      if constexpr (detail::is_parallel_options<decltype(a)>::value) {
        options = a;
      } else {
        list.emplace_back(std::forward<decltype(a)>(a));
      }
    };
    (add(std::forward<Args>(args)), ...);
    static_assert(detail::is_parallel_options<Last>::value ||
                      !(detail::is_parallel_options<Args>::value || ...),
                  "ParallelOptions must come first or last");
    invoke_all(list, options);
  }

  // Parallel.For(from, to, body[, options]).
  template <class Body>
  static ParallelLoopResult for_(long long from, long long to, Body body, const ParallelOptions& options = {}) {
    long long count = to > from ? to - from : 0;
    return detail::run_loop(
        count, [&body, from](long long i, detail::LoopShared& shared) { detail::call_body(body, from + i, shared, i); },
        options);
  }

  // Parallel.ForEach(range, body[, options]).
  template <std::ranges::range Range, class Body>
  static ParallelLoopResult for_each(Range&& range, Body body, const ParallelOptions& options = {}) {
    if constexpr (std::ranges::random_access_range<Range> && std::ranges::sized_range<Range>) {
      auto first = std::ranges::begin(range);
      auto count = static_cast<long long>(std::ranges::size(range));
      return detail::run_loop(
          count,
          [&body, first](long long i, detail::LoopShared& shared) {
            detail::call_body(body, first[static_cast<std::ranges::range_difference_t<Range>>(i)], shared, i);
          },
          options);
    } else {
      std::vector<std::ranges::iterator_t<Range>> its;
      for (auto it = std::ranges::begin(range); it != std::ranges::end(range); ++it) its.push_back(it);
      return detail::run_loop(
          static_cast<long long>(its.size()),
          [&body, &its](long long i, detail::LoopShared& shared) {
            detail::call_body(body, *its[static_cast<std::size_t>(i)], shared, i);
          },
          options);
    }
  }

 private:
  static void invoke_all(std::vector<std::function<void()>>& list, const ParallelOptions& options) {
    // One action per chunk: each may be long.
    detail::run_loop(
        static_cast<long long>(list.size()),
        [&list](long long i, detail::LoopShared&) { list[static_cast<std::size_t>(i)](); }, options, 1);
  }
};

}  // namespace concur::tpl
