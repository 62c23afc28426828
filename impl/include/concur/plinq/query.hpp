// concur/plinq/query.hpp — .NET's PLINQ (System.Linq.ParallelEnumerable):
// from(range).as_parallel() and its operators (seed 000, .NET half, "数据并行":
// list.AsParallel().Select(x => x * x), .AsOrdered(), .Sum(),
// .Aggregate(seed, func), .WithCancellation(token)).
//
//   namespace plinq = concur::plinq;
//   std::vector<long> list(1000000);
//   std::iota(list.begin(), list.end(), 0L);
//   long s = plinq::from(list).as_parallel().sum();                 // 499999500000
//   auto sq = plinq::from({1, 2, 3, 4, 5, 7, 8, 9}).as_parallel()
//                 .as_ordered().select([](int x) { return x * x; })
//                 .to_vector();                                     // 1 4 9 16 25 49 64 81
//
// Guarantees
//  * from(r) accepts any input range. A random-access sized range is read in
//    place: an lvalue container is borrowed (it must outlive every terminal
//    call and not change during one), an rvalue container is moved into the
//    query (shared by copies of the query), a view (iota, span, ...) is
//    copied. Any other range (std::list, an input view) is copied into a
//    std::vector at from(). from({a, b, c}) takes an initializer list.
//  * Operators are lazy and composable in any order: select(f), where(pred),
//    as_ordered(), as_unordered(), with_degree_of_parallelism(n),
//    with_cancellation(token). Each returns a new query; the query they are
//    called on is unchanged. Nothing runs until a terminal: sum(), count(),
//    min(), max(), average(), aggregate(seed, func),
//    aggregate(seed_factory, update_accumulator, combine_accumulators,
//    result_selector), to_vector(), for_all(action). A query can run its
//    terminals any number of times, from any number of threads at once.
//  * Order. Unordered (the default, as in .NET) to_vector() returns the same
//    multiset as a sequential run, in an unspecified order; after
//    as_ordered() it is exactly source order. for_all() never orders (.NET's
//    ForAll). aggregate(seed, func) folds in source order on the calling
//    thread (.NET runs this overload sequentially; the select/where stages
//    before it still run in parallel). sum/count/min/max/average and the
//    four-function aggregate combine partial results in an unspecified
//    grouping: combine_accumulators must be associative and commutative, and
//    floating-point sums may differ from a sequential sum in the last bits.
//  * sum() of an integer type wraps modulo 2^bits (it is computed in the
//    unsigned type); .NET throws OverflowException instead. average() of an
//    integer type returns double, of float/double the same type. Empty
//    sequences: sum() is 0 and count() 0; min(), max() and average() throw
//    concur::InvalidOperationException("Sequence contains no elements"), as
//    .NET does; aggregate returns its seed (through result_selector).
//  * User functions (select, where, for_all's action, aggregate's functions)
//    are called concurrently from several threads: they must be callable as
//    const and safe to run at once. An exception thrown by one stops the
//    query as soon as the running chunks finish (no new chunk starts) and is
//    rethrown, with every other exception thrown before the query stopped,
//    inside one concur::AggregateException (inner_exceptions() in source
//    order of the chunks that threw). This happens on every path, including
//    the sequential one, as PLINQ does.
//  * with_cancellation(token): the token is checked when the terminal starts
//    and before every chunk (a chunk is planned to take about 50 µs; .NET
//    asks for about 1 ms). Once it is cancelled the terminal throws
//    concur::OperationCanceledException, also when user functions threw only
//    OperationCanceledException; if they threw anything else, everything is
//    gathered into an AggregateException (.NET's "How to: Cancel a PLINQ
//    Query"). A cancellation that arrives after the last chunk finished does
//    not discard the result.
//  * with_degree_of_parallelism(n): at most n threads, the caller included,
//    work on one terminal; 1 <= n <= 512, else
//    concur::ArgumentOutOfRangeException. Using it, or with_cancellation
//    with a cancelable token, twice in one query throws
//    concur::InvalidOperationException with .NET's text. The default degree
//    is the number of hardware threads (the CPU affinity mask). The engine
//    never runs more threads than that: a larger n splits the work the same
//    way but runs it on the threads there are.
//
// Engine and adaptive grain. Terminals run on concur's own fork-join pool
// (concur/detail/plinq_engine.hpp): the caller and up to n - 1 worker
// threads drain a shared counter of chunks; the caller never waits for a
// worker to arrive, so nested queries cannot deadlock. Each query shape (its
// source, operators and terminal: one C++ type) keeps a measured cost per
// element for each size class (2^k to 2^(k+1) elements: cache or memory).
// The first run of a shape and size class times a growing prefix (1, 1, 4,
// 16, ... elements, up to ~5 µs) on the calling thread. A run whose estimated
// sequential time is below ~10 µs (below ~60 µs while the pool's workers
// sleep, so a run would first have to wake them) runs entirely on the calling
// thread with no synchronization at all: small or cheap queries cost what a
// plain loop costs (benchmarks/parallel_sum_benchmark.cpp, DESIGN.md). Larger
// runs split into chunks of ~50 µs (at least 4 per thread), and every run
// refreshes the estimate.
//
// Hidden threads: the first terminal that goes parallel starts the pool's
// worker threads ("plinq-worker", hardware threads - 1, detached). They stay
// for the life of the process: after each run they poll for the next one for
// a few tens of µs, then sleep on a futex. Queries that stay sequential
// (small inputs, degree 1) never start them.
// Thread-safety: a query object is immutable; terminals on one query may run
// concurrently. Process-safety: none (in-process). Fork-safety: forking after
// a parallel terminal ran forks a multi-threaded process (concur logs a
// warning); the child has no workers until its first parallel terminal starts
// its own pool. Do not fork while another thread is inside a terminal.
// Blocking: a terminal blocks its caller until every chunk finished; the
// caller works on chunks meanwhile. Lifetime: borrowed sources must outlive
// the terminal calls; queries own everything else.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/plinq_engine.hpp"
#include "concur/errors.hpp"
#include "concur/tpl/cancellation.hpp"

namespace concur::plinq {

namespace detail {

// ---- sources: random-access, sized ranges behind a uniform range() ----

template <class R>
concept indexable = std::ranges::random_access_range<R> && std::ranges::sized_range<R>;

template <class R>
struct BorrowedSource {
  R* r;
  R& range() const noexcept { return *r; }
};
template <class R>
struct ViewSource {
  mutable R v;
  R& range() const noexcept { return v; }
};
template <class R>
struct OwnedSource {
  std::shared_ptr<R> p;
  R& range() const noexcept { return *p; }
};

template <class R>
auto make_source(R&& r) {
  using Rn = std::remove_reference_t<R>;
  if constexpr (!indexable<Rn&>) {
    using V = std::ranges::range_value_t<Rn>;
    auto p = std::make_shared<std::vector<V>>();
    if constexpr (std::ranges::sized_range<Rn>) p->reserve(static_cast<std::size_t>(std::ranges::size(r)));
    for (auto&& x : r) p->push_back(std::forward<decltype(x)>(x));
    return OwnedSource<std::vector<V>>{std::move(p)};
  } else if constexpr (std::ranges::view<std::remove_cv_t<Rn>>) {
    return ViewSource<std::remove_cv_t<Rn>>{r};
  } else if constexpr (std::is_lvalue_reference_v<R>) {
    return BorrowedSource<Rn>{&r};
  } else {
    return OwnedSource<Rn>{std::make_shared<Rn>(std::move(r))};
  }
}

template <class Src>
using source_ref_t = std::ranges::range_reference_t<decltype(std::declval<const Src&>().range())>;

// ---- stages: push one element through select/where into a sink ----

struct Identity {
  template <class X, class Sink>
  void operator()(X&& x, Sink&& sink) const {
    sink(std::forward<X>(x));
  }
};

template <class Prev, class F>
struct Select {
  Prev prev;
  F f;
  template <class X, class Sink>
  void operator()(X&& x, Sink&& sink) const {
    prev(std::forward<X>(x), [&](auto&& y) { sink(std::invoke(f, std::forward<decltype(y)>(y))); });
  }
};

template <class Prev, class P>
struct Where {
  Prev prev;
  P pred;
  template <class X, class Sink>
  void operator()(X&& x, Sink&& sink) const {
    prev(std::forward<X>(x), [&](auto&& y) {
      if (std::invoke(pred, std::as_const(y))) sink(std::forward<decltype(y)>(y));
    });
  }
};

// ---- options ----

struct Options {
  bool ordered = false;
  unsigned degree = 0;  // 0: not set (default_degree())
  std::optional<tpl::CancellationToken> token;
};

// ---- the adaptive grain ----

// Estimated sequential time below which a terminal runs on the caller only:
// while the pool's workers are awake (polling after a recent run) and while
// they sleep (a run would first pay the futex wake of an idle vCPU, tens of
// µs on a VM). Tuned with benchmarks/parallel_sum_benchmark.cpp (DESIGN.md).
inline constexpr double kSequentialBelowNs = 10'000.0;
inline constexpr double kSequentialBelowColdNs = 60'000.0;
// Planned time of one parallel chunk (and of one sequential cancellation
// check interval).
inline constexpr double kChunkNs = 50'000.0;
// Sequential runs estimated below this are not timed (two clock reads would
// show on a 1 µs loop).
inline constexpr double kUntimedBelowNs = 2'000.0;
// The first run of a query shape times a growing prefix up to this long.
inline constexpr double kProbeNs = 5'000.0;

// Nanoseconds per element, per query shape and per size class (bit width of
// the input's length: a 10^7-element sum streams from memory, a 10^5 one
// from cache; 0: never measured).
template <class Shape>
struct Cost {
  static inline std::array<std::atomic<double>, 65> ns_per_item{};
};

// A lower measurement replaces the estimate at once, a higher one is
// averaged in: the outliers of a busy machine (preemption, cold caches, page
// faults) are all slow ones.
inline void update_cost(std::atomic<double>& cell, double measured) {
  if (!(measured > 0.0)) return;
  double old = cell.load(std::memory_order_relaxed);
  cell.store(old > 0.0 && measured > old ? (old + measured) / 2 : measured, std::memory_order_relaxed);
}

using Clock = std::chrono::steady_clock;
inline double ns_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// .NET: a cancelled query whose user functions threw nothing but
// OperationCanceledException throws one OperationCanceledException;
// otherwise everything is gathered into an AggregateException.
[[noreturn]] inline void throw_failure(std::vector<std::exception_ptr> errors, const tpl::CancellationToken* token) {
  if (token != nullptr && token->is_cancellation_requested()) {
    bool only_canceled = true;
    for (const auto& e : errors) {
      try {
        std::rethrow_exception(e);
      } catch (const OperationCanceledException&) {
      } catch (...) {
        only_canceled = false;
      }
    }
    if (only_canceled) throw OperationCanceledException();
  }
  throw AggregateException(std::move(errors));
}

template <class T>
struct alignas(64) Padded {
  std::optional<T> value;
};

// ---- reducers: partial_type, identity(), add(partial, x), merge(into, from) ----

template <class T>
using sum_acc_t = std::conditional_t<std::is_integral_v<T> && std::is_signed_v<T> && !std::is_same_v<T, bool>,
                                     std::make_unsigned_t<T>, T>;

template <class T>
struct SumReducer {
  using partial_type = sum_acc_t<T>;
  partial_type identity() const { return partial_type{}; }
  template <class X>
  void add(partial_type& a, X&& x) const {
    a += static_cast<partial_type>(std::forward<X>(x));
  }
  void merge(partial_type& a, partial_type&& b) const { a += b; }
};

struct CountReducer {
  using partial_type = std::size_t;
  partial_type identity() const { return 0; }
  template <class X>
  void add(partial_type& a, X&&) const {
    ++a;
  }
  void merge(partial_type& a, partial_type&& b) const { a += b; }
};

template <class T, bool Max>
struct MinMaxReducer {
  using partial_type = std::optional<T>;
  partial_type identity() const { return std::nullopt; }
  static bool better(const T& x, const T& current) {
    if constexpr (Max) {
      return current < x;
    } else {
      return x < current;
    }
  }
  template <class X>
  void add(partial_type& a, X&& x) const {
    if (!a || better(x, *a)) a.emplace(std::forward<X>(x));
  }
  void merge(partial_type& a, partial_type&& b) const {
    if (b && (!a || better(*b, *a))) a = std::move(b);
  }
};

template <class T>
struct AverageReducer {
  using sum_type = std::conditional_t<std::is_integral_v<T>, std::uint64_t, double>;
  struct partial_type {
    sum_type sum{};
    std::size_t count = 0;
  };
  partial_type identity() const { return {}; }
  template <class X>
  void add(partial_type& a, X&& x) const {
    if constexpr (std::is_integral_v<T>) {
      a.sum += static_cast<std::uint64_t>(static_cast<std::int64_t>(x));
    } else {
      a.sum += static_cast<double>(x);
    }
    ++a.count;
  }
  void merge(partial_type& a, partial_type&& b) const {
    a.sum += b.sum;
    a.count += b.count;
  }
};

template <class T>
struct VectorReducer {
  using partial_type = std::vector<T>;
  partial_type identity() const { return {}; }
  template <class X>
  void add(partial_type& a, X&& x) const {
    a.emplace_back(std::forward<X>(x));
  }
  void merge(partial_type& a, partial_type&& b) const {
    if (a.empty()) {
      a = std::move(b);
    } else {
      a.insert(a.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
    }
  }
};

struct Unit {};

template <class A>
struct ForAllReducer {
  const A& action;
  using partial_type = Unit;
  partial_type identity() const { return {}; }
  template <class X>
  void add(partial_type&, X&& x) const {
    std::invoke(action, std::forward<X>(x));
  }
  void merge(partial_type&, partial_type&&) const {}
};

template <class Acc, class SeedF, class Update, class Combine>
struct AggregateReducer {
  const SeedF& seed_factory;
  const Update& update;
  const Combine& combine;
  using partial_type = Acc;
  partial_type identity() const { return std::invoke(seed_factory); }
  template <class X>
  void add(partial_type& a, X&& x) const {
    a = std::invoke(update, std::move(a), std::forward<X>(x));
  }
  void merge(partial_type& a, partial_type&& b) const { a = std::invoke(combine, std::move(a), std::move(b)); }
};

}  // namespace detail

template <class Src, class Stage, class Ref>
class ParallelQuery;

// What from() returns: a source that is not parallel yet (.NET's
// IEnumerable<T> before AsParallel()).
template <class Src>
class Enumerable {
 public:
  explicit Enumerable(Src src) : src_(std::move(src)) {}

  // .NET's AsParallel(): an unordered parallel query over the source.
  auto as_parallel() const {
    return ParallelQuery<Src, detail::Identity, detail::source_ref_t<Src>>(src_, detail::Identity{}, {});
  }

 private:
  Src src_;
};

// A source for PLINQ operators (see the contract at the top of the file).
template <std::ranges::input_range R>
auto from(R&& range) {
  auto src = detail::make_source(std::forward<R>(range));
  return Enumerable<decltype(src)>(std::move(src));
}

template <class T>
auto from(std::initializer_list<T> items) {
  return from(std::vector<T>(items));
}

// from(range).as_parallel() in one call: .NET's list.AsParallel().
template <std::ranges::input_range R>
auto as_parallel(R&& range) {
  return from(std::forward<R>(range)).as_parallel();
}

template <class Src, class Stage, class Ref>
class ParallelQuery {
 public:
  // The element type after select/where (cv and references removed).
  using value_type = std::remove_cvref_t<Ref>;

  ParallelQuery(Src src, Stage stage, detail::Options options)
      : src_(std::move(src)), stage_(std::move(stage)), opts_(std::move(options)) {}

  // .NET's Select: f(element) for every element. f must be callable as const
  // and must not return void.
  template <class F>
  auto select(F f) const {
    static_assert(std::is_invocable_v<const F&, Ref>, "select(f): f must accept the element type (as a const call)");
    using Out = std::invoke_result_t<const F&, Ref>;
    static_assert(!std::is_void_v<Out>, "select(f): f must return a value");
    return ParallelQuery<Src, detail::Select<Stage, F>, Out>(src_, detail::Select<Stage, F>{stage_, std::move(f)},
                                                              opts_);
  }

  // .NET's Where: keeps the elements for which pred(element) is true.
  template <class P>
  auto where(P pred) const {
    static_assert(std::is_invocable_v<const P&, const value_type&> &&
                      std::is_convertible_v<std::invoke_result_t<const P&, const value_type&>, bool>,
                  "where(pred): pred must accept a const element and return bool");
    return ParallelQuery<Src, detail::Where<Stage, P>, Ref>(src_, detail::Where<Stage, P>{stage_, std::move(pred)},
                                                             opts_);
  }

  // .NET's AsOrdered / AsUnordered: whether to_vector() keeps source order.
  ParallelQuery as_ordered() const { return with_ordered(true); }
  ParallelQuery as_unordered() const { return with_ordered(false); }
  bool is_ordered() const noexcept { return opts_.ordered; }

  // .NET's WithDegreeOfParallelism. Throws ArgumentOutOfRangeException
  // unless 1 <= n <= 512, InvalidOperationException if already set.
  ParallelQuery with_degree_of_parallelism(int n) const {
    if (n < 1 || n > 512) {
      throw ArgumentOutOfRangeException("degreeOfParallelism");
    }
    if (opts_.degree != 0) {
      throw InvalidOperationException("The WithDegreeOfParallelism operator may be used at most once in a query.");
    }
    detail::Options o = opts_;
    o.degree = static_cast<unsigned>(n);
    return ParallelQuery(src_, stage_, std::move(o));
  }

  // .NET's WithCancellation. A second cancelable token in one query throws
  // InvalidOperationException (.NET's text, "may by" included).
  ParallelQuery with_cancellation(tpl::CancellationToken token) const {
    if (opts_.token && opts_.token->can_be_canceled() && token.can_be_canceled()) {
      throw InvalidOperationException("The WithCancellation operator may by used at most once in a query.");
    }
    detail::Options o = opts_;
    if (!o.token || !o.token->can_be_canceled()) o.token = std::move(token);
    return ParallelQuery(src_, stage_, std::move(o));
  }

  // ---- terminals ----

  // .NET's Sum: 0 for an empty sequence; integers wrap (see the contract).
  value_type sum() const {
    static_assert(std::is_default_constructible_v<value_type>, "sum(): the element type needs a zero value");
    return static_cast<value_type>(run(detail::SumReducer<value_type>{}, false));
  }

  // .NET's Count (of the elements left after where).
  std::size_t count() const { return run(detail::CountReducer{}, false); }

  // .NET's Min / Max (by operator<). Empty: InvalidOperationException.
  value_type min() const { return extreme<false>(); }
  value_type max() const { return extreme<true>(); }

  // .NET's Average: double for integers, float/double for those. Empty:
  // InvalidOperationException.
  auto average() const {
    static_assert(std::is_arithmetic_v<value_type>, "average(): the element type must be arithmetic");
    auto p = run(detail::AverageReducer<value_type>{}, false);
    if (p.count == 0) throw InvalidOperationException("Sequence contains no elements");
    if constexpr (std::is_integral_v<value_type>) {
      return static_cast<double>(static_cast<std::int64_t>(p.sum)) / static_cast<double>(p.count);
    } else {
      using R = std::conditional_t<std::is_same_v<value_type, float>, float, double>;
      return static_cast<R>(p.sum / static_cast<double>(p.count));
    }
  }

  // .NET's Aggregate(seed, func): acc = func(acc, x) for every element, in
  // source order, on the calling thread; returns acc (seed when empty).
  template <class Acc, class F>
  Acc aggregate(Acc seed, F func) const {
    static_assert(std::is_invocable_r_v<Acc, const F&, Acc, const value_type&>,
                  "aggregate(seed, func): func(acc, element) must return the accumulator type");
    const tpl::CancellationToken* token = opts_.token ? &*opts_.token : nullptr;
    if constexpr (std::is_same_v<Stage, detail::Identity>) {
      if (token != nullptr && token->is_cancellation_requested()) throw OperationCanceledException();
      auto& range = src_.range();
      std::size_t i = 0;
      try {
        for (auto&& x : range) {
          if (token != nullptr && (++i & 4095) == 0) token->throw_if_cancellation_requested();
          seed = std::invoke(func, std::move(seed), std::as_const(x));
        }
      } catch (...) {
        detail::throw_failure({std::current_exception()}, token);
      }
      return seed;
    } else {
      std::vector<value_type> items = with_ordered(true).to_vector();
      try {
        for (const auto& x : items) seed = std::invoke(func, std::move(seed), x);
      } catch (...) {
        detail::throw_failure({std::current_exception()}, token);
      }
      return seed;
    }
  }

  // .NET's Aggregate(seedFactory, updateAccumulatorFunc,
  // combineAccumulatorsFunc, resultSelector): one accumulator per worker
  // thread (seed_factory() each), folded with update_accumulator(acc, x),
  // combined with combine_accumulators(a, b) (associative, commutative), and
  // result_selector(acc) is the result.
  template <class SeedF, class Update, class Combine, class Result>
  auto aggregate(SeedF seed_factory, Update update_accumulator, Combine combine_accumulators,
                 Result result_selector) const {
    using Acc = std::remove_cvref_t<std::invoke_result_t<const SeedF&>>;
    static_assert(std::is_invocable_r_v<Acc, const Update&, Acc, Ref>,
                  "aggregate: update_accumulator(acc, element) must return the accumulator type");
    static_assert(std::is_invocable_r_v<Acc, const Combine&, Acc, Acc>,
                  "aggregate: combine_accumulators(acc, acc) must return the accumulator type");
    detail::AggregateReducer<Acc, SeedF, Update, Combine> red{seed_factory, update_accumulator, combine_accumulators};
    Acc acc = run(red, false);
    try {
      return std::invoke(result_selector, std::move(acc));
    } catch (...) {
      detail::throw_failure({std::current_exception()}, opts_.token ? &*opts_.token : nullptr);
    }
  }

  // .NET's ToArray/ToList: every element; source order after as_ordered().
  std::vector<value_type> to_vector() const { return run(detail::VectorReducer<value_type>{}, opts_.ordered); }

  // .NET's ForAll: action(element) for every element, in parallel, in no
  // particular order.
  template <class A>
  void for_all(A action) const {
    static_assert(std::is_invocable_v<const A&, Ref>, "for_all(action): action must accept the element type");
    run(detail::ForAllReducer<A>{action}, false);
  }

 private:
  ParallelQuery with_ordered(bool ordered) const {
    detail::Options o = opts_;
    o.ordered = ordered;
    return ParallelQuery(src_, stage_, std::move(o));
  }

  template <bool Max>
  value_type extreme() const {
    auto best = run(detail::MinMaxReducer<value_type, Max>{}, false);
    if (!best) throw InvalidOperationException("Sequence contains no elements");
    return std::move(*best);
  }

  // Runs the query into reducer `red`. in_order: one partial per chunk,
  // merged in chunk order; otherwise one per worker thread.
  template <class Red>
  typename Red::partial_type run(const Red& red, bool in_order) const {
    using P = typename Red::partial_type;
    const tpl::CancellationToken* token = opts_.token ? &*opts_.token : nullptr;
    if (token != nullptr && token->is_cancellation_requested()) throw OperationCanceledException();

    auto& range = src_.range();
    auto first = std::ranges::begin(range);
    using Diff = std::iter_difference_t<decltype(first)>;
    const auto n = static_cast<std::size_t>(std::ranges::size(range));
    auto fold = [&](P& acc, std::size_t b, std::size_t e) {
      auto sink = [&acc, &red](auto&& y) { red.add(acc, std::forward<decltype(y)>(y)); };
      for (std::size_t i = b; i < e; ++i) stage_(first[static_cast<Diff>(i)], sink);
    };

    auto& cost = detail::Cost<std::tuple<Src, Stage, Red>>::ns_per_item[std::bit_width(n)];
    const unsigned degree = opts_.degree != 0 ? opts_.degree : (n > 1 ? concur::detail::plinq::default_degree() : 1U);
    std::optional<P> result;
    std::size_t done = 0;
    double c = cost.load(std::memory_order_relaxed);
    try {
      result.emplace(red.identity());
      if (n == 0) return std::move(*result);
      if (!(c > 0.0)) {
        // First run of this shape and size class: time a growing prefix in
        // blocks of 1, 1, 4, 16, ... elements; the estimate is the last
        // block's (the first element also pays cold caches and page faults).
        auto t0 = detail::Clock::now();
        double elapsed = 0.0;
        double last = 0.0;
        for (std::size_t i = 0, block = 1; done < n; ++i, block = i < 2 ? 1 : block * 4) {
          const std::size_t e = std::min(n, done + block);
          fold(*result, done, e);
          const auto t1 = detail::Clock::now();
          const double took = std::chrono::duration<double, std::nano>(t1 - t0).count();
          last = took / static_cast<double>(e - done);
          elapsed += took;
          done = e;
          t0 = t1;
          if (elapsed >= detail::kProbeNs && i >= 1) break;
        }
        c = std::max(last, 1e-3);
        detail::update_cost(cost, c);
        if (done == n) return std::move(*result);
        if (token != nullptr) token->throw_if_cancellation_requested();
      }
      const double estimate = c * static_cast<double>(n - done);
      const bool sequential = degree == 1 || n - done < 2 || estimate < detail::kSequentialBelowNs ||
                              (estimate < detail::kSequentialBelowColdNs && !concur::detail::plinq::workers_awake());
      if (sequential) {
        const bool timed = estimate >= detail::kUntimedBelowNs;
        const auto t0 = timed ? detail::Clock::now() : detail::Clock::time_point{};
        const std::size_t start = done;
        if (token == nullptr) {
          fold(*result, done, n);
        } else {
          const auto step = static_cast<std::size_t>(std::max(1.0, detail::kChunkNs / c));
          for (; done < n; done = std::min(n, done + step)) {
            token->throw_if_cancellation_requested();
            fold(*result, done, std::min(n, done + step));
          }
        }
        if (timed) detail::update_cost(cost, detail::ns_since(t0) / static_cast<double>(n - start));
        return std::move(*result);
      }
    } catch (...) {
      detail::throw_failure({std::current_exception()}, token);
    }
    run_parallel(red, in_order, fold, *result, done, n, degree, c, cost, token);
    return std::move(*result);
  }

  template <class Red, class Fold>
  void run_parallel(const Red& red, bool in_order, Fold& fold, typename Red::partial_type& result, std::size_t base,
                    std::size_t n, unsigned degree, double c, std::atomic<double>& cost,
                    const tpl::CancellationToken* token) const {
    using P = typename Red::partial_type;
    const std::size_t m = n - base;
    const std::size_t most = (m + 4 * std::size_t{degree} - 1) / (4 * std::size_t{degree});
    const std::size_t grain =
        std::clamp(static_cast<std::size_t>(detail::kChunkNs / c), std::size_t{1}, std::max<std::size_t>(most, 1));
    const std::size_t chunks = (m + grain - 1) / grain;

    std::vector<std::optional<P>> per_chunk(in_order ? chunks : 0);
    std::vector<detail::Padded<P>> per_slot(in_order ? 0 : concur::detail::plinq::slot_count(degree));
    std::vector<std::exception_ptr> errors(chunks);
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::atomic<std::uint64_t> busy_ns{0};
    std::atomic<std::uint64_t> items{0};

    auto body = [&](std::size_t ci, std::size_t slot) noexcept {
      if (stop.load(std::memory_order_relaxed)) return;
      if (token != nullptr && token->is_cancellation_requested()) {
        stop.store(true, std::memory_order_relaxed);
        return;
      }
      const std::size_t b = base + ci * grain;
      const std::size_t e = std::min(n, b + grain);
      const auto t0 = detail::Clock::now();
      try {
        if (in_order) {
          P acc = red.identity();
          fold(acc, b, e);
          per_chunk[ci].emplace(std::move(acc));
        } else {
          std::optional<P>& mine = per_slot[slot].value;
          P acc = mine ? std::move(*mine) : red.identity();
          mine.reset();
          fold(acc, b, e);
          mine.emplace(std::move(acc));
        }
      } catch (...) {
        errors[ci] = std::current_exception();
        failed.store(true, std::memory_order_relaxed);
        stop.store(true, std::memory_order_relaxed);
        return;
      }
      busy_ns.fetch_add(static_cast<std::uint64_t>(detail::ns_since(t0)), std::memory_order_relaxed);
      items.fetch_add(e - b, std::memory_order_relaxed);
    };
    using Body = decltype(body);
    concur::detail::plinq::run_chunks(chunks, degree, &body, [](void* ctx, std::size_t ci, std::size_t slot) noexcept {
      (*static_cast<Body*>(ctx))(ci, slot);
    });

    if (failed.load(std::memory_order_relaxed)) {
      std::vector<std::exception_ptr> thrown;
      for (auto& e : errors) {
        if (e) thrown.push_back(std::move(e));
      }
      detail::throw_failure(std::move(thrown), token);
    }
    if (stop.load(std::memory_order_relaxed)) throw OperationCanceledException();
    if (const auto k = items.load(std::memory_order_relaxed); k != 0) {
      detail::update_cost(cost, static_cast<double>(busy_ns.load(std::memory_order_relaxed)) / static_cast<double>(k));
    }
    try {
      if (in_order) {
        for (auto& p : per_chunk) red.merge(result, std::move(*p));
      } else {
        for (auto& s : per_slot) {
          if (s.value) red.merge(result, std::move(*s.value));
        }
      }
    } catch (...) {
      detail::throw_failure({std::current_exception()}, token);
    }
  }

  Src src_;
  Stage stage_;
  detail::Options opts_;
};

}  // namespace concur::plinq
