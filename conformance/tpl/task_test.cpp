// Conformance of concur::tpl::Task<T>, when_all, when_any and delay against
// .NET's documented behaviour (seed 000, .NET half: Task.Run, Task.WhenAll,
// Task.WhenAny, CancelAfter + Task.Delay(…, token); .NET docs
// "Task-based asynchronous programming", Task.Result, Task.Wait,
// Task.ContinueWith, Task.WhenAll, Task.WhenAny, Task.Delay).
#include "concur/tpl/task.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/tpl.hpp"

using namespace std::chrono_literals;
using namespace concur::tpl;
using Clock = std::chrono::steady_clock;

namespace {
std::string inner_message(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}
}  // namespace

// Task.Run "queues the specified work to run on the ThreadPool"; Result
// returns its value.
TEST(TaskConformance, RunExecutesOnAWorkerAndResultReturnsTheValue) {
  auto caller = std::this_thread::get_id();
  auto t = Task<>::run([&] { return std::this_thread::get_id() != caller ? 42 : -1; });
  static_assert(std::is_same_v<decltype(t), Task<int>>);
  while (!t.is_completed()) std::this_thread::sleep_for(1ms);  // no inlining: a worker runs it
  EXPECT_EQ(t.result(), 42);
  EXPECT_TRUE(t.is_completed());
  EXPECT_TRUE(t.is_completed_successfully());
  EXPECT_FALSE(t.is_faulted());
  EXPECT_FALSE(t.is_canceled());
  EXPECT_EQ(t.status(), TaskStatus::ran_to_completion);
  auto v = run([] {});
  v.wait();
  EXPECT_TRUE(v.is_completed_successfully());
}

// Task.Result of a faulted task throws AggregateException wrapping the
// failure; await (get()) rethrows the failure itself; .Exception holds it.
TEST(TaskConformance, ResultOfFaultedTaskThrowsAggregateExceptionWrappingTheFailure) {
  auto t = run([]() -> int { throw std::out_of_range("bad index"); });
  try {
    (void)t.result();
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    ASSERT_EQ(e.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(e.inner_exceptions()[0]), std::out_of_range);
    EXPECT_STREQ(e.what(), "One or more errors occurred. (bad index)");
  }
  EXPECT_TRUE(t.is_faulted());
  EXPECT_TRUE(t.is_completed());
  EXPECT_THROW(t.get(), std::out_of_range);
  EXPECT_THROW(t.wait(), concur::AggregateException);
  ASSERT_TRUE(t.exception().has_value());
  EXPECT_EQ(t.exception()->inner_exceptions().size(), 1u);
  EXPECT_FALSE(run([] { return 1; }).exception().has_value());
}

// Task.Wait(TimeSpan): false when the timeout passes first, true once done.
TEST(TaskConformance, WaitWithTimeoutReturnsFalseWhileRunningAndTrueWhenDone) {
  std::atomic<bool> release{false};
  auto t = run([&] {
    while (!release) std::this_thread::sleep_for(1ms);
  });
  auto start = Clock::now();
  EXPECT_FALSE(t.wait(50ms));
  EXPECT_GE(Clock::now() - start, 45ms);
  EXPECT_FALSE(t.is_completed());
  release = true;
  EXPECT_TRUE(t.wait(10s));
  EXPECT_TRUE(t.is_completed());
}

// Task.Run(fn, token): a token cancelled before the task starts cancels it
// without running fn; Result throws AggregateException(TaskCanceledException).
TEST(TaskConformance, RunWithCancelledTokenEndsCanceledWithoutRunning) {
  CancellationTokenSource cts;
  cts.cancel();
  std::atomic<bool> ran{false};
  auto t = run([&] { ran = true; }, cts.token());
  try {
    t.wait();
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    ASSERT_EQ(e.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(e.inner_exceptions()[0]), concur::TaskCanceledException);
  }
  EXPECT_TRUE(t.is_canceled());
  EXPECT_FALSE(t.is_faulted());
  EXPECT_FALSE(ran);
  EXPECT_THROW(t.get(), concur::TaskCanceledException);
}

// .NET: a task whose body throws OperationCanceledException for its own
// token ends Canceled; for another token it ends Faulted.
TEST(TaskConformance, OperationCanceledForTheTasksTokenEndsCanceledOtherwiseFaulted) {
  CancellationTokenSource cts;
  auto token = cts.token();
  auto t = run(
      [token, &cts] {
        cts.cancel();
        token.throw_if_cancellation_requested();
      },
      token);
  EXPECT_THROW(t.wait(), concur::AggregateException);
  EXPECT_TRUE(t.is_canceled());
  auto f = run([] { throw concur::OperationCanceledException(); });
  EXPECT_THROW(f.wait(), concur::AggregateException);
  EXPECT_TRUE(f.is_faulted());
}

// ContinueWith: the continuation receives the antecedent and runs whatever
// its outcome; promise-style then(value) runs only after success.
TEST(TaskConformance, ThenRunsContinuationAfterTheAntecedent) {
  auto t = run([] { return 20; });
  auto doubled = t.then([](int v) { return v * 2; });
  EXPECT_EQ(doubled.result(), 40);
  auto text = t.then([](Task<int> ante) { return std::to_string(ante.result()); });
  EXPECT_EQ(text.result(), "20");
  auto chained = run([] {}).then([] { return 7; }).then([](int v) { return v + 1; });
  EXPECT_EQ(chained.result(), 8);

  auto failed = run([]() -> int { throw std::runtime_error("first"); });
  std::atomic<bool> called{false};
  auto skipped = failed.then([&](int v) {
    called = true;
    return v;
  });
  EXPECT_THROW(skipped.wait(), concur::AggregateException);
  EXPECT_TRUE(skipped.is_faulted());
  EXPECT_FALSE(called);
  auto observed = failed.then([](Task<int> ante) { return ante.is_faulted(); });
  EXPECT_TRUE(observed.result());
  auto throwing = t.then([](int) -> int { throw std::logic_error("in continuation"); });
  EXPECT_THROW(throwing.get(), std::logic_error);
}

// Task.Run(Func<Task<T>>) unwraps the inner task.
TEST(TaskConformance, RunOfAFunctionReturningATaskUnwrapsIt) {
  auto t = run([] { return run([] { return std::string("inner"); }); });
  static_assert(std::is_same_v<decltype(t), Task<std::string>>);
  EXPECT_EQ(t.result(), "inner");
}

// Task.FromResult / FromException / FromCanceled / CompletedTask.
TEST(TaskConformance, FromResultFromExceptionFromCanceledAreAlreadyCompleted) {
  EXPECT_EQ(Task<int>::from_result(5).result(), 5);
  EXPECT_TRUE(Task<>::completed_task().is_completed_successfully());
  EXPECT_TRUE(Task<int>::from_exception(std::make_exception_ptr(std::runtime_error("x"))).is_faulted());
  EXPECT_TRUE(Task<int>::from_canceled().is_canceled());
}

// Seed 000 "1.批量任务": `return await Task.WhenAll(tasks)` — results in
// input order, whatever order the tasks finish in.
TEST(TaskConformance, WhenAllReturnsResultsInInputOrder) {
  std::vector<Task<std::string>> tasks;
  for (int i = 0; i < 5; ++i) {
    tasks.push_back(run([i] {
      std::this_thread::sleep_for(std::chrono::milliseconds((5 - i) * 10));
      return "page" + std::to_string(i);
    }));
  }
  auto all = when_all(tasks);
  EXPECT_EQ(all.result(), (std::vector<std::string>{"page0", "page1", "page2", "page3", "page4"}));
  auto pair = when_all(Task<int>::from_result(1), run([] { return 2; }));
  EXPECT_EQ(pair.result(), (std::vector<int>{1, 2}));
  EXPECT_TRUE(when_all(std::vector<Task<int>>{}).result().empty());
  std::atomic<int> n{0};
  when_all(std::vector<Task<void>>{run([&] { ++n; }), run([&] { ++n; })}).wait();
  EXPECT_EQ(n.load(), 2);
}

// Task.WhenAll: "the returned task will ... contain the unwrapped exceptions
// of each of the supplied tasks" — one AggregateException with all of them.
TEST(TaskConformance, WhenAllGathersEveryFailureIntoOneAggregateException) {
  std::vector<Task<int>> tasks{run([]() -> int { throw std::runtime_error("msg1"); }), run([] { return 1; }),
                               run([]() -> int { throw std::logic_error("msg2"); })};
  auto all = when_all(tasks);
  try {
    (void)all.result();
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    ASSERT_EQ(e.inner_exceptions().size(), 2u);
    EXPECT_EQ(inner_message(e.inner_exceptions()[0]), "msg1");
    EXPECT_EQ(inner_message(e.inner_exceptions()[1]), "msg2");
    EXPECT_STREQ(e.what(), "One or more errors occurred. (msg1) (msg2)");
  }
  EXPECT_TRUE(all.is_faulted());
  // No fault but a cancellation: the WhenAll task is canceled.
  auto c = when_all(std::vector<Task<int>>{Task<int>::from_result(1), Task<int>::from_canceled()});
  EXPECT_THROW(c.wait(), concur::AggregateException);
  EXPECT_TRUE(c.is_canceled());
}

// Seed 000 "2.返回首先完成的Task": `var task = await Task.WhenAny(tasks);
// return await task;` — the first task to complete.
TEST(TaskConformance, WhenAnyReturnsTheFirstCompletedTask) {
  std::vector<Task<std::string>> tasks{run([] {
                                         std::this_thread::sleep_for(400ms);
                                         return std::string("slow");
                                       }),
                                       run([] {
                                         std::this_thread::sleep_for(10ms);
                                         return std::string("fast");
                                       })};
  auto first = when_any(tasks).result();
  EXPECT_EQ(first.get(), "fast");
  EXPECT_TRUE(first == tasks[1]);
  // A faulted task can win: WhenAny itself never faults.
  auto any = when_any(Task<int>::from_exception(std::make_exception_ptr(std::runtime_error("x"))), run([] {
                        std::this_thread::sleep_for(200ms);
                        return 1;
                      }));
  EXPECT_TRUE(any.result().is_faulted());
  EXPECT_TRUE(any.is_completed_successfully());
  EXPECT_THROW(when_any(std::vector<Task<int>>{}), concur::ValueError);
}

// Seed 000 "3.超时取消": CancelAfter(3 s) on Task.Delay(5 s, token) ends the
// delay canceled (TaskCanceledException) — scaled to 300 ms / 500 ms.
TEST(TaskConformance, DelayCancelledByCancelAfterEndsCanceled) {
  CancellationTokenSource cts;
  auto start = Clock::now();  // before cancel_after: its 300 ms start there
  cts.cancel_after(300ms);
  auto d = delay(500ms, cts.token());
  EXPECT_THROW(d.get(), concur::TaskCanceledException);
  auto elapsed = Clock::now() - start;
  EXPECT_TRUE(d.is_canceled());
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 490ms);  // cancelled before the delay would have ended
  // The seed's catch (TaskCanceledException) returns "false".
  auto outcome = delay(500ms, CancellationTokenSource(30ms).token()).then([](Task<void> t) {
    return t.is_canceled() ? std::string("false") : std::string("ok");
  });
  EXPECT_EQ(outcome.result(), "false");
}

// Task.Delay without cancellation completes after the duration.
TEST(TaskConformance, DelayCompletesAfterTheDuration) {
  auto start = Clock::now();
  auto d = delay(100ms);
  EXPECT_FALSE(d.is_completed());
  d.wait();
  EXPECT_GE(Clock::now() - start, 95ms);
  EXPECT_TRUE(d.is_completed_successfully());
  CancellationTokenSource cts;
  cts.cancel();
  EXPECT_TRUE(delay(10s, cts.token()).is_canceled());  // already cancelled: at once
}

// Task.Wait inlines a task that has not started: waiting tasks on a busy pool
// do not deadlock (many tasks each waiting for a nested task).
TEST(TaskConformance, NestedWaitsDoNotStarveThePool) {
  std::vector<Task<int>> outer;
  for (int i = 0; i < 16; ++i) {
    outer.push_back(run([i] {
      auto inner = run([i] {
        std::this_thread::sleep_for(5ms);
        return i;
      });
      return inner.result() * 2;
    }));
  }
  auto values = when_all(outer).result();
  for (int i = 0; i < 16; ++i) EXPECT_EQ(values[i], i * 2);
}

// Handles are shared: results written by the worker are visible to every
// waiter (many threads waiting on one task; TSan checks the publication).
TEST(TaskConformance, ManyWaitersSeeTheSameResult) {
  auto t = run([] {
    std::this_thread::sleep_for(20ms);
    return std::vector<int>{1, 2, 3};
  });
  std::vector<std::thread> waiters;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([t, &ok] {
      if (t.result() == std::vector<int>{1, 2, 3}) ++ok;
    });
  }
  for (auto& w : waiters) w.join();
  EXPECT_EQ(ok.load(), 4);
}
