// Conformance tests of concur::plinq (concur/plinq/query.hpp): .NET's PLINQ
// (System.Linq.ParallelEnumerable) as seed 000's .NET half teaches it
// ("数据并行": AsParallel().Select(x => x * x), AsOrdered(), Sum(),
// Aggregate(seed, func), WithCancellation(token)) and as the .NET docs
// specify it (learn.microsoft.com: ParallelEnumerable.Aggregate,
// WithDegreeOfParallelism, "How to: Cancel a PLINQ Query", Enumerable.Min/
// Max/Average "Sequence contains no elements").
//
// No timing assertions. Tests that need two chunks to run at the same time
// meet at a rendezvous with a generous deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <list>
#include <mutex>
#include <numeric>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/plinq.hpp"
#include "concur/tpl/cancellation.hpp"

namespace plinq = concur::plinq;
namespace tpl = concur::tpl;
using namespace std::chrono_literals;

namespace {

// The unordered multiset test sorts three results: under ThreadSanitizer
// (5-15x slower) on a loaded 2-core CI machine, a million elements passed the
// suite's 60 s limit. A quarter million still spreads over many chunks.
#if defined(__SANITIZE_THREAD__)
constexpr long kLargeUnordered = 250'000;
#else
constexpr long kLargeUnordered = 1'000'000;
#endif

std::vector<long> zero_to(long n) {
  std::vector<long> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0L);
  return v;
}

// Waits until `count` callers arrived, for at most 10 s; true if all did.
bool rendezvous(std::atomic<int>& arrived, int count) {
  arrived.fetch_add(1);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (arrived.load() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

// The inner exceptions of an AggregateException, rethrown and described as
// "<kind>:<what()>".
std::vector<std::string> describe(const concur::AggregateException& e) {
  std::vector<std::string> out;
  for (const auto& p : e.inner_exceptions()) {
    try {
      std::rethrow_exception(p);
    } catch (const concur::OperationCanceledException& x) {
      out.push_back(std::string("canceled:") + x.what());
    } catch (const std::runtime_error& x) {
      out.push_back(std::string("runtime_error:") + x.what());
    } catch (...) {
      out.push_back("other");
    }
  }
  return out;
}

}  // namespace

// ---- seed 000 examples ----

// Seed 000: list.AsParallel().AsOrdered().Select(x => x * x) over
// {1,2,3,4,5,7,8,9} prints 1 4 9 16 25 49 64 81, in that order.
TEST(PlinqConformance, AsOrderedSelectReturnsTheSquaresInSourceOrder) {
  auto squares = plinq::from({1, 2, 3, 4, 5, 7, 8, 9})
                     .as_parallel()
                     .as_ordered()
                     .select([](int x) { return x * x; })
                     .to_vector();
  EXPECT_EQ(squares, (std::vector<int>{1, 4, 9, 16, 25, 49, 64, 81}));
}

// Seed 000: without AsOrdered the squares come "不管顺序" (in any order):
// the same multiset.
TEST(PlinqConformance, UnorderedSelectReturnsTheSameMultisetOfSquares) {
  std::vector<int> list{1, 2, 3, 4, 5, 7, 8, 9};
  auto squares = plinq::from(list).as_parallel().select([](int x) { return x * x; }).to_vector();
  std::sort(squares.begin(), squares.end());
  EXPECT_EQ(squares, (std::vector<int>{1, 4, 9, 16, 25, 49, 64, 81}));
}

// Seed 000: list.AsParallel().Sum() over the longs 0..999999 prints
// 499999500000.
TEST(PlinqConformance, SumOfZeroTo999999Is499999500000) {
  auto list = zero_to(1'000'000);
  EXPECT_EQ(plinq::from(list).as_parallel().sum(), 499999500000L);
  EXPECT_EQ(plinq::from(list).as_parallel().sum(), 499999500000L);  // a second run (parallel once measured)
}

// Seed 000: .Aggregate(seed: 0, func: (sum, item) => sum + item) computes the
// same sum.
TEST(PlinqConformance, AggregateWithSeedAndFuncAgreesWithSum) {
  auto list = zero_to(1'000'000);
  auto q = plinq::from(list).as_parallel();
  EXPECT_EQ(q.aggregate(0L, [](long sum, long item) { return sum + item; }), 499999500000L);
  EXPECT_EQ(q.aggregate(0L, [](long sum, long item) { return sum + item; }), q.sum());
}

// ---- ordering ----

// .NET AsOrdered: ToArray keeps source order, also through Where and across
// chunks run by several threads.
TEST(PlinqConformance, AsOrderedToVectorKeepsSourceOrderThroughWhereOnLargeInputs) {
  auto list = zero_to(2'000'000);
  auto q = plinq::from(list).as_parallel().as_ordered().where([](long x) { return x % 3 == 0; }).select([](long x) {
    return x * 2;
  });
  std::vector<long> expected;
  for (long x : list) {
    if (x % 3 == 0) expected.push_back(x * 2);
  }
  for (int run = 0; run < 3; ++run) EXPECT_EQ(q.to_vector(), expected);
  EXPECT_TRUE(q.is_ordered());
}

// .NET: an unordered query's results are the same elements in an
// unspecified order; as_unordered() undoes as_ordered().
TEST(PlinqConformance, UnorderedToVectorOnLargeInputsIsTheSameMultiset) {
  auto list = zero_to(kLargeUnordered);
  auto q = plinq::from(list).as_parallel().as_ordered().as_unordered().where([](long x) { return x % 7 != 0; });
  EXPECT_FALSE(q.is_ordered());
  for (int run = 0; run < 3; ++run) {
    auto got = q.to_vector();
    std::sort(got.begin(), got.end());
    std::vector<long> expected;
    for (long x : list) {
      if (x % 7 != 0) expected.push_back(x);
    }
    EXPECT_EQ(got, expected);
  }
}

// .NET Aggregate(seed, func) runs sequentially in source order: a
// non-commutative func sees the elements in order (the stages before it
// still run in parallel).
TEST(PlinqConformance, AggregateWithSeedFoldsInSourceOrder) {
  auto digits = plinq::from(std::views::iota(0, 10)).as_parallel().select([](int x) { return x; });
  auto text = digits.aggregate(std::string(), [](std::string acc, int d) { return acc + std::to_string(d); });
  EXPECT_EQ(text, "0123456789");
}

// ---- terminals ----

TEST(PlinqConformance, CountMinMaxAverageOfANonEmptySequence) {
  auto list = zero_to(100'001);
  auto q = plinq::from(list).as_parallel();
  EXPECT_EQ(q.count(), 100'001U);
  EXPECT_EQ(q.where([](long x) { return x % 2 == 0; }).count(), 50'001U);
  EXPECT_EQ(q.min(), 0);
  EXPECT_EQ(q.max(), 100'000);
  EXPECT_EQ(q.select([](long x) { return -x; }).min(), -100'000);
  EXPECT_DOUBLE_EQ(q.average(), 50'000.0);
}

// .NET Average: double for integer sources, float for float sources.
TEST(PlinqConformance, AverageOfIntegersIsDoubleAndOfFloatsIsFloat) {
  auto ints = plinq::from({1, 2}).as_parallel();
  static_assert(std::is_same_v<decltype(ints.average()), double>);
  EXPECT_DOUBLE_EQ(ints.average(), 1.5);
  auto floats = plinq::from({1.0F, 2.0F, 4.5F}).as_parallel();
  static_assert(std::is_same_v<decltype(floats.average()), float>);
  EXPECT_FLOAT_EQ(floats.average(), 2.5F);
}

// .NET: Sum of an empty sequence is 0; Count is 0.
TEST(PlinqConformance, SumAndCountOfAnEmptySequenceAreZero) {
  std::vector<long> empty;
  EXPECT_EQ(plinq::from(empty).as_parallel().sum(), 0);
  EXPECT_EQ(plinq::from(empty).as_parallel().count(), 0U);
  EXPECT_EQ(plinq::from({1, 2, 3}).as_parallel().where([](int) { return false; }).sum(), 0);
}

// .NET Min/Max/Average: InvalidOperationException "Sequence contains no
// elements" on an empty sequence (also one emptied by Where).
TEST(PlinqConformance, MinMaxAverageOfAnEmptySequenceThrowInvalidOperationException) {
  std::vector<int> empty;
  auto q = plinq::from(empty).as_parallel();
  auto filtered = plinq::from({1, 2, 3}).as_parallel().where([](int x) { return x > 3; });
  for (auto call : {0, 1, 2}) {
    for (bool use_filtered : {false, true}) {
      try {
        if (call == 0) (void)(use_filtered ? filtered.min() : q.min());
        if (call == 1) (void)(use_filtered ? filtered.max() : q.max());
        if (call == 2) (void)(use_filtered ? filtered.average() : q.average());
        ADD_FAILURE() << "no exception for call " << call;
      } catch (const concur::InvalidOperationException& e) {
        EXPECT_STREQ(e.what(), "Sequence contains no elements");
      }
    }
  }
}

// concur divergence (documented): integer sums wrap instead of .NET's
// OverflowException.
TEST(PlinqConformance, IntegerSumWrapsAroundInsteadOfThrowing) {
  std::vector<std::int64_t> v{std::numeric_limits<std::int64_t>::max(), 1};
  EXPECT_EQ(plinq::from(v).as_parallel().sum(), std::numeric_limits<std::int64_t>::min());
}

// .NET Aggregate(seedFactory, updateAccumulatorFunc, combineAccumulatorsFunc,
// resultSelector): one accumulator per partition, combined, then the result
// selector.
TEST(PlinqConformance, AggregateWithSeedFactoryUpdatesCombinesAndSelectsTheResult) {
  auto list = zero_to(1'000'000);
  std::atomic<int> seeds{0};
  auto q = plinq::from(list).as_parallel();
  for (int run = 0; run < 3; ++run) {
    auto mean = q.aggregate(
        [&seeds] {
          seeds.fetch_add(1);
          return std::pair<long, long>{0, 0};
        },
        [](std::pair<long, long> acc, long x) { return std::pair<long, long>{acc.first + x, acc.second + 1}; },
        [](std::pair<long, long> a, std::pair<long, long> b) {
          return std::pair<long, long>{a.first + b.first, a.second + b.second};
        },
        [](std::pair<long, long> acc) { return static_cast<double>(acc.first) / static_cast<double>(acc.second); });
    EXPECT_DOUBLE_EQ(mean, 499999.5);
  }
  EXPECT_GE(seeds.load(), 3);
}

// .NET: an empty source aggregates to resultSelector(seed).
TEST(PlinqConformance, AggregateOfAnEmptySequenceReturnsTheSeed) {
  std::vector<int> empty;
  auto q = plinq::from(empty).as_parallel();
  EXPECT_EQ(q.aggregate(42, [](int a, int x) { return a + x; }), 42);
  EXPECT_EQ(q.aggregate([] { return 7; }, [](int a, int x) { return a + x; }, [](int a, int b) { return a + b; },
                        [](int a) { return a * 2; }),
            14);
}

// .NET ForAll: the action runs once for every element, in parallel, in no
// particular order.
TEST(PlinqConformance, ForAllRunsTheActionOnceForEveryElement) {
  constexpr int n = 300'000;
  std::vector<std::atomic<int>> seen(n);
  plinq::from(std::views::iota(0, n)).as_parallel().select([](int x) { return x; }).for_all([&seen](int x) {
    seen[static_cast<std::size_t>(x)].fetch_add(1, std::memory_order_relaxed);
  });
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](const std::atomic<int>& c) { return c.load() == 1; }));
}

// ---- composition and sources ----

TEST(PlinqConformance, SelectAndWhereComposeInAnyOrderAndChangeTheElementType) {
  auto words = plinq::from({1, 2, 3, 4, 5, 6})
                   .as_parallel()
                   .as_ordered()
                   .where([](int x) { return x % 2 == 0; })
                   .select([](int x) { return std::string(static_cast<std::size_t>(x), '*'); })
                   .where([](const std::string& s) { return s.size() > 2; })
                   .select([](const std::string& s) { return s + "!"; })
                   .to_vector();
  EXPECT_EQ(words, (std::vector<std::string>{"****!", "******!"}));
}

// A query is a value: operators return new queries and leave the original
// unchanged; a terminal can run again, also from several threads at once.
TEST(PlinqConformance, QueriesAreImmutableAndTheirTerminalsCanRunRepeatedlyAndConcurrently) {
  auto list = zero_to(500'000);
  auto base = plinq::from(list).as_parallel();
  auto evens = base.where([](long x) { return x % 2 == 0; });
  EXPECT_EQ(base.count(), 500'000U);
  EXPECT_EQ(evens.count(), 250'000U);
  std::vector<long> sums(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < sums.size(); ++i) {
    threads.emplace_back([&, i] { sums[i] = evens.sum(); });
  }
  for (auto& t : threads) t.join();
  for (long s : sums) EXPECT_EQ(s, 62'499'750'000L);
}

// from(): views are copied, rvalue containers are owned, lvalue containers
// are borrowed (changes before the terminal are seen), other ranges are
// copied at from().
TEST(PlinqConformance, FromAcceptsViewsOwnedAndBorrowedContainersAndNonRandomAccessRanges) {
  EXPECT_EQ(plinq::from(std::views::iota(0L, 1'000'000L)).as_parallel().sum(), 499999500000L);
  auto owned = plinq::from(zero_to(1000)).as_parallel();
  EXPECT_EQ(owned.sum(), 499500);
  std::vector<int> borrowed{1, 2, 3};
  auto q = plinq::from(borrowed).as_parallel();
  borrowed[0] = 100;
  EXPECT_EQ(q.sum(), 105);
  std::list<int> linked{5, 6, 7};
  auto from_list = plinq::from(linked).as_parallel().as_ordered();
  linked.clear();
  EXPECT_EQ(from_list.to_vector(), (std::vector<int>{5, 6, 7}));
  EXPECT_EQ(plinq::as_parallel(std::vector<int>{4, 5}).sum(), 9);
}

// A query inside another query's user function (nested parallelism).
TEST(PlinqConformance, NestedQueriesInsideUserFunctionsGiveCorrectResults) {
  auto inner = zero_to(20'000);
  auto totals = plinq::from(std::views::iota(0, 64))
                    .as_parallel()
                    .as_ordered()
                    .select([&inner](int k) { return plinq::from(inner).as_parallel().sum() + k; })
                    .to_vector();
  ASSERT_EQ(totals.size(), 64U);
  for (int k = 0; k < 64; ++k) EXPECT_EQ(totals[static_cast<std::size_t>(k)], 199'990'000L + k);
}

// ---- degree of parallelism and the adaptive grain ----

// .NET WithDegreeOfParallelism(1): one thread; concur runs it on the caller.
TEST(PlinqConformance, DegreeOfParallelismOneRunsEverythingOnTheCallingThread) {
  std::mutex m;
  std::set<std::thread::id> ids;
  plinq::from(std::views::iota(0, 200)).as_parallel().with_degree_of_parallelism(1).for_all([&](int) {
    std::this_thread::sleep_for(100us);
    std::lock_guard<std::mutex> g(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids, std::set<std::thread::id>{std::this_thread::get_id()});
}

// The adaptive grain: small, cheap inputs are not worth a thread; they run on
// the calling thread (PLINQ's known weakness is being slower than a loop).
// The first run of a query shape measures its cost (and may be misled by a
// preemption on a busy machine); the runs after it are checked.
TEST(PlinqConformance, SmallCheapInputsRunSequentiallyOnTheCallingThread) {
  std::atomic<bool> elsewhere{false};
  std::atomic<bool> measuring{true};
  const auto caller = std::this_thread::get_id();
  auto q = plinq::from(std::views::iota(0, 16)).as_parallel();
  auto action = [&](int) {
    if (!measuring.load() && std::this_thread::get_id() != caller) elsewhere.store(true);
  };
  q.for_all(action);
  measuring.store(false);
  for (int run = 0; run < 5; ++run) q.for_all(action);
  EXPECT_FALSE(elsewhere.load());
}

// Expensive elements go parallel, on at most `degree` threads (and at most
// the hardware threads: concur never oversubscribes).
TEST(PlinqConformance, ExpensiveElementsRunOnSeveralThreadsButAtMostTheDegree) {
  std::mutex m;
  std::set<std::thread::id> ids;
  plinq::from(std::views::iota(0, 64)).as_parallel().with_degree_of_parallelism(2).for_all([&](int) {
    std::this_thread::sleep_for(1ms);
    std::lock_guard<std::mutex> g(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_LE(ids.size(), 2U);
  if (std::thread::hardware_concurrency() >= 2) {
    EXPECT_EQ(ids.size(), 2U);
  }
}

// .NET WithDegreeOfParallelism: ArgumentOutOfRangeException when
// degreeOfParallelism < 1 or > 512.
TEST(PlinqConformance, DegreeOfParallelismOutsideOneTo512ThrowsArgumentOutOfRangeException) {
  auto q = plinq::from({1, 2, 3}).as_parallel();
  for (int bad : {0, -1, 513}) {
    try {
      (void)q.with_degree_of_parallelism(bad);
      ADD_FAILURE() << bad;
    } catch (const concur::ArgumentOutOfRangeException& e) {
      EXPECT_EQ(e.param_name(), "degreeOfParallelism");
      EXPECT_STREQ(e.what(), "Specified argument was out of the range of valid values. (Parameter 'degreeOfParallelism')");
    }
  }
  EXPECT_EQ(q.with_degree_of_parallelism(512).sum(), 6);
  EXPECT_EQ(q.with_degree_of_parallelism(1).sum(), 6);
}

// .NET QuerySettings.Merge: WithDegreeOfParallelism and WithCancellation
// may each be used at most once in a query (InvalidOperationException, .NET's
// texts; WithCancellation's really says "may by").
TEST(PlinqConformance, WithDegreeOfParallelismOrWithCancellationTwiceThrowsInvalidOperationException) {
  auto q = plinq::from({1, 2, 3}).as_parallel().with_degree_of_parallelism(2);
  try {
    (void)q.select([](int x) { return x; }).with_degree_of_parallelism(2);
    ADD_FAILURE();
  } catch (const concur::InvalidOperationException& e) {
    EXPECT_STREQ(e.what(), "The WithDegreeOfParallelism operator may be used at most once in a query.");
  }
  tpl::CancellationTokenSource a, b;
  auto c = q.with_cancellation(a.token());
  try {
    (void)c.with_cancellation(b.token());
    ADD_FAILURE();
  } catch (const concur::InvalidOperationException& e) {
    EXPECT_STREQ(e.what(), "The WithCancellation operator may by used at most once in a query.");
  }
  // A token that can never be canceled (CancellationToken.None) does not count.
  EXPECT_EQ(q.with_cancellation(tpl::CancellationToken::none()).with_cancellation(a.token()).sum(), 6);
}

// ---- cancellation ----

// .NET WithCancellation: a query whose token is already canceled throws
// OperationCanceledException (not wrapped) and runs no user function.
TEST(PlinqConformance, CanceledTokenThrowsOperationCanceledExceptionBeforeAnyElementRuns) {
  tpl::CancellationTokenSource cts;
  cts.cancel();
  std::atomic<int> calls{0};
  auto q = plinq::from(zero_to(1000)).as_parallel().with_cancellation(cts.token()).select([&calls](long x) {
    calls.fetch_add(1);
    return x;
  });
  EXPECT_THROW((void)q.sum(), concur::OperationCanceledException);
  EXPECT_THROW((void)q.to_vector(), concur::OperationCanceledException);
  EXPECT_THROW(q.for_all([](long) {}), concur::OperationCanceledException);
  EXPECT_THROW((void)q.aggregate(0L, [](long a, long x) { return a + x; }), concur::OperationCanceledException);
  EXPECT_EQ(calls.load(), 0);
}

// .NET "How to: Cancel a PLINQ Query": cancellation while the query runs
// stops it (no new chunk starts) and surfaces as OperationCanceledException.
TEST(PlinqConformance, CancelingWhileTheQueryRunsStopsItWithOperationCanceledException) {
  for (int degree : {1, 2}) {
    tpl::CancellationTokenSource cts;
    std::atomic<long> calls{0};
    auto q = plinq::from(std::views::iota(0L, 2'000'000L))
                 .as_parallel()
                 .with_degree_of_parallelism(degree)
                 .with_cancellation(cts.token())
                 .select([&](long x) {
                   if (calls.fetch_add(1) == 1000) cts.cancel();
                   return x;
                 });
    EXPECT_THROW((void)q.sum(), concur::OperationCanceledException) << "degree " << degree;
    EXPECT_LT(calls.load(), 2'000'000L) << "degree " << degree;
  }
}

// .NET: if user delegates throw OperationCanceledException and the query's
// token is canceled, PLINQ throws one OperationCanceledException rather than
// an AggregateException.
TEST(PlinqConformance, UserOperationCanceledExceptionOnTheQueryTokenIsNotWrapped) {
  tpl::CancellationTokenSource cts;
  auto token = cts.token();
  auto q = plinq::from(zero_to(100)).as_parallel().with_cancellation(token).select([&cts, token](long x) {
    if (x == 50) {
      cts.cancel();
      token.throw_if_cancellation_requested();
    }
    return x;
  });
  EXPECT_THROW((void)q.sum(), concur::OperationCanceledException);
}

// ---- exceptions ----

// .NET: an exception thrown by a user delegate reaches the caller inside an
// AggregateException (also when the query ran on one thread).
TEST(PlinqConformance, ExceptionInSelectIsWrappedInAggregateException) {
  for (int degree : {1, 2}) {
    auto q = plinq::from(zero_to(100'000)).as_parallel().with_degree_of_parallelism(degree).select([](long x) {
      if (x == 777) throw std::runtime_error("boom");
      return x;
    });
    for (int run = 0; run < 2; ++run) {
      try {
        (void)q.sum();
        ADD_FAILURE();
      } catch (const concur::AggregateException& e) {
        EXPECT_EQ(describe(e), std::vector<std::string>{"runtime_error:boom"});
      }
    }
  }
}

// Every user function's exception is wrapped: where, for_all, aggregate's
// func, combine_accumulators and result_selector.
TEST(PlinqConformance, ExceptionsFromEveryKindOfUserFunctionAreWrappedInAggregateException) {
  auto q = plinq::from({1, 2, 3}).as_parallel();
  auto thrower = [](auto a, auto&&...) -> decltype(a) { throw std::runtime_error("user"); };
  EXPECT_THROW((void)q.where([](int) -> bool { throw std::runtime_error("where"); }).count(),
               concur::AggregateException);
  EXPECT_THROW(q.for_all([](int) { throw std::runtime_error("for_all"); }), concur::AggregateException);
  EXPECT_THROW((void)q.aggregate(0, thrower), concur::AggregateException);
  EXPECT_THROW((void)q.select([](int x) { return x; }).aggregate(0, thrower), concur::AggregateException);
  // combine_accumulators runs when partitions meet: a large input.
  auto big = plinq::from(zero_to(1'000'000)).as_parallel().with_degree_of_parallelism(2);
  EXPECT_THROW((void)big.aggregate([] { return 0L; }, [](long a, long x) { return a + x; }, thrower,
                                   [](long a) { return a; }),
               concur::AggregateException);
  EXPECT_THROW((void)q.aggregate([] { return 0; }, [](int a, int x) { return a + x; }, [](int a, int b) { return a + b; },
                                 thrower),
               concur::AggregateException);
}

// .NET: exceptions thrown concurrently by several user delegates are all
// gathered, every one of them, into one AggregateException.
TEST(PlinqConformance, ConcurrentExceptionsAreAllGatheredIntoOneAggregateException) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs two hardware threads";
  std::atomic<int> arrived{0};
  bool prime = true;
  auto q = plinq::from({0, 1}).as_parallel().with_degree_of_parallelism(2);
  auto action = [&](int x) {
    if (prime) {
      std::this_thread::sleep_for(1ms);  // teaches the adaptive grain that elements are expensive
      return;
    }
    bool both = rendezvous(arrived, 2);
    throw std::runtime_error(std::string(both ? "met-" : "alone-") + std::to_string(x));
  };
  q.for_all(action);
  prime = false;
  try {
    q.for_all(action);
    ADD_FAILURE();
  } catch (const concur::AggregateException& e) {
    EXPECT_EQ(describe(e), (std::vector<std::string>{"runtime_error:met-0", "runtime_error:met-1"}));
  }
}

// .NET "How to: Cancel a PLINQ Query": if one delegate throws
// OperationCanceledException and another a different exception, both are
// rolled into an AggregateException.
TEST(PlinqConformance, CancellationTogetherWithAnotherExceptionIsGatheredIntoAggregateException) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs two hardware threads";
  tpl::CancellationTokenSource cts;
  auto token = cts.token();
  std::atomic<int> arrived{0};
  bool prime = true;
  auto q = plinq::from({0, 1}).as_parallel().with_degree_of_parallelism(2).with_cancellation(token);
  auto action = [&](int x) {
    if (prime) {
      std::this_thread::sleep_for(1ms);
      return;
    }
    ASSERT_TRUE(rendezvous(arrived, 2));
    if (x == 0) {
      cts.cancel();
      token.throw_if_cancellation_requested();
    }
    throw std::runtime_error("other");
  };
  q.for_all(action);
  prime = false;
  try {
    q.for_all(action);
    ADD_FAILURE();
  } catch (const concur::AggregateException& e) {
    EXPECT_EQ(describe(e), (std::vector<std::string>{"canceled:The operation was canceled.", "runtime_error:other"}));
  }
}
