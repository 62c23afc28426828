// Conformance of concur::tpl::CancellationTokenSource / CancellationToken /
// CancellationTokenRegistration against .NET's documented behaviour (seed
// 000, .NET half: "cts.CancelAfter(3000); await Task.Delay(5000,
// cts.Token)"; .NET docs "Cancellation in managed threads",
// CancellationToken.Register, CancellationTokenSource.Cancel/CancelAfter).
#include "concur/tpl/cancellation.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"

using namespace std::chrono_literals;
using concur::tpl::CancellationToken;
using concur::tpl::CancellationTokenRegistration;
using concur::tpl::CancellationTokenSource;

namespace {
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}
}  // namespace

// .NET: "IsCancellationRequested ... true after Cancel" on the source and
// every token it handed out.
TEST(CancellationConformance, CancelSetsIsCancellationRequestedOnSourceAndTokens) {
  CancellationTokenSource cts;
  auto t1 = cts.token();
  EXPECT_FALSE(cts.is_cancellation_requested());
  EXPECT_FALSE(t1.is_cancellation_requested());
  EXPECT_TRUE(t1.can_be_canceled());
  cts.cancel();
  EXPECT_TRUE(cts.is_cancellation_requested());
  EXPECT_TRUE(t1.is_cancellation_requested());
  EXPECT_TRUE(cts.token().is_cancellation_requested());
  EXPECT_TRUE(t1 == cts.token());
}

// .NET ThrowIfCancellationRequested: throws OperationCanceledException
// ("The operation was canceled.") once cancellation was requested.
TEST(CancellationConformance, ThrowIfCancellationRequestedThrowsOperationCanceledException) {
  CancellationTokenSource cts;
  EXPECT_NO_THROW(cts.token().throw_if_cancellation_requested());
  cts.cancel();
  try {
    cts.token().throw_if_cancellation_requested();
    FAIL() << "no exception";
  } catch (const concur::OperationCanceledException& e) {
    EXPECT_STREQ(e.what(), "The operation was canceled.");
  }
  EXPECT_THROW(cts.token().throw_if_cancellation_requested(), std::runtime_error);  // the std family
}

// CancellationToken.None: "can never be canceled".
TEST(CancellationConformance, DefaultTokenNeverCancelsAndNeverRunsCallbacks) {
  CancellationToken none;
  EXPECT_FALSE(none.can_be_canceled());
  EXPECT_FALSE(none.is_cancellation_requested());
  EXPECT_NO_THROW(none.throw_if_cancellation_requested());
  bool ran = false;
  auto reg = none.register_callback([&] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_TRUE(none == CancellationToken::none());
}

// Register: callbacks run when Cancel is called, on the cancelling thread,
// once; Cancel is idempotent.
TEST(CancellationConformance, RegisteredCallbackRunsOnceAtCancel) {
  CancellationTokenSource cts;
  int runs = 0;
  std::thread::id where;
  auto reg = cts.token().register_callback([&] {
    ++runs;
    where = std::this_thread::get_id();
  });
  EXPECT_EQ(runs, 0);
  cts.cancel();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(where, std::this_thread::get_id());
  cts.cancel();
  EXPECT_EQ(runs, 1);
}

// .NET: "If this token is already in the canceled state, the delegate will be
// run immediately and synchronously."
TEST(CancellationConformance, RegisterOnCancelledTokenRunsCallbackAtOnce) {
  CancellationTokenSource cts;
  cts.cancel();
  bool ran = false;
  auto reg = cts.token().register_callback([&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_THROW(cts.token().register_callback([] { throw std::logic_error("boom"); }), std::logic_error);
}

// .NET runs the registered callbacks in reverse order of registration.
TEST(CancellationConformance, CallbacksRunInReverseRegistrationOrder) {
  CancellationTokenSource cts;
  std::vector<int> order;
  auto r1 = cts.token().register_callback([&] { order.push_back(1); });
  auto r2 = cts.token().register_callback([&] { order.push_back(2); });
  auto r3 = cts.token().register_callback([&] { order.push_back(3); });
  cts.cancel();
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

// CancellationTokenRegistration.Dispose: the callback is unregistered.
TEST(CancellationConformance, DisposedRegistrationDoesNotRun) {
  CancellationTokenSource cts;
  bool a = false, b = false;
  {
    auto reg = cts.token().register_callback([&] { a = true; });
  }  // destructor disposes
  auto reg2 = cts.token().register_callback([&] { b = true; });
  reg2.dispose();
  auto reg3 = cts.token().register_callback([] {});
  EXPECT_TRUE(reg3.unregister());
  EXPECT_FALSE(reg3.unregister());
  cts.cancel();
  EXPECT_FALSE(a);
  EXPECT_FALSE(b);
}

// CancellationTokenRegistration.Dispose "will block until the callback
// completes" when it is running on another thread.
TEST(CancellationConformance, DisposeWaitsForARunningCallback) {
  CancellationTokenSource cts;
  std::atomic<bool> started{false}, finished{false};
  auto reg = cts.token().register_callback([&] {
    started = true;
    std::this_thread::sleep_for(100ms);
    finished = true;
  });
  std::thread canceller([&] { cts.cancel(); });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  reg.dispose();
  EXPECT_TRUE(finished.load());
  canceller.join();
}

// Cancel(false): "all registered callbacks ... will be executed, and any
// exceptions thrown will be aggregated into an AggregateException".
TEST(CancellationConformance, CallbackExceptionsAreAggregatedAfterAllCallbacksRan) {
  CancellationTokenSource cts;
  bool ran = false;
  auto r1 = cts.token().register_callback([] { throw std::runtime_error("first"); });
  auto r2 = cts.token().register_callback([&] { ran = true; });
  auto r3 = cts.token().register_callback([] { throw std::logic_error("third"); });
  try {
    cts.cancel();
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    EXPECT_TRUE(ran);
    ASSERT_EQ(e.inner_exceptions().size(), 2u);
    EXPECT_STREQ(e.what(), "One or more errors occurred. (third) (first)");
  }
  EXPECT_TRUE(cts.is_cancellation_requested());
}

// Seed 000: CancelAfter(3000) cancels a 5000 ms wait; scaled: 300 ms / 500 ms.
TEST(CancellationConformance, CancelAfterCancelsOnceTheDelayPassed) {
  CancellationTokenSource cts;
  std::atomic<bool> fired{false};
  auto reg = cts.token().register_callback([&] { fired = true; });
  auto start = std::chrono::steady_clock::now();
  cts.cancel_after(300ms);
  EXPECT_FALSE(cts.is_cancellation_requested());
  ASSERT_TRUE(eventually([&] { return cts.token().is_cancellation_requested(); }));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 500ms + 2000ms);  // generous slack
  EXPECT_TRUE(eventually([&] { return fired.load(); }));
}

// CancelAfter again "re-schedules": the later deadline wins.
TEST(CancellationConformance, SecondCancelAfterReplacesTheDeadline) {
  CancellationTokenSource cts;
  cts.cancel_after(50ms);
  cts.cancel_after(400ms);
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(cts.is_cancellation_requested());
  EXPECT_TRUE(eventually([&] { return cts.is_cancellation_requested(); }));
}

// new CancellationTokenSource(TimeSpan): cancels after the delay.
TEST(CancellationConformance, SourceConstructedWithDelayCancelsAfterIt) {
  CancellationTokenSource cts(50ms);
  EXPECT_TRUE(eventually([&] { return cts.is_cancellation_requested(); }));
}

// CreateLinkedTokenSource: cancelled when any linked token is.
TEST(CancellationConformance, LinkedTokenSourceIsCancelledWithAnyLinkedToken) {
  CancellationTokenSource a, b;
  auto linked = CancellationTokenSource::create_linked_token_source(a.token(), b.token());
  EXPECT_FALSE(linked.is_cancellation_requested());
  b.cancel();
  EXPECT_TRUE(linked.is_cancellation_requested());
  EXPECT_FALSE(a.is_cancellation_requested());
  CancellationTokenSource c;
  c.cancel();
  auto linked2 = CancellationTokenSource::create_linked_token_source(c.token(), CancellationToken::none());
  EXPECT_TRUE(linked2.is_cancellation_requested());
}

// Many threads observing one token while another cancels (TSan: the flag
// and callbacks are race-free).
TEST(CancellationConformance, TokenIsSafeToObserveFromManyThreads) {
  CancellationTokenSource cts;
  std::atomic<int> callbacks{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, token = cts.token()] {
      auto reg = token.register_callback([&] { ++callbacks; });
      while (!token.is_cancellation_requested()) std::this_thread::yield();
      EXPECT_THROW(token.throw_if_cancellation_requested(), concur::OperationCanceledException);
    });
  }
  std::this_thread::sleep_for(20ms);
  cts.cancel();
  for (auto& t : threads) t.join();
  EXPECT_LE(callbacks.load(), 4);
}

// AggregateException's Message in .NET Core: "One or more errors occurred."
// followed by each inner message in parentheses; InnerExceptions keeps all.
TEST(ErrorsConformance, AggregateExceptionMessageListsEveryInnerMessage) {
  std::vector<std::exception_ptr> inners{std::make_exception_ptr(std::runtime_error("msg1")),
                                         std::make_exception_ptr(concur::InvalidOperationException("msg2"))};
  concur::AggregateException e(inners);
  EXPECT_STREQ(e.what(), "One or more errors occurred. (msg1) (msg2)");
  EXPECT_EQ(e.inner_exceptions().size(), 2u);
  EXPECT_EQ(e.inner_exception(), inners[0]);
  EXPECT_STREQ(concur::AggregateException({}).what(), "One or more errors occurred.");
  concur::AggregateException nested({std::make_exception_ptr(e), std::make_exception_ptr(std::logic_error("m3"))});
  EXPECT_EQ(nested.flatten().inner_exceptions().size(), 3u);
  EXPECT_THROW(throw concur::InvalidOperationException("Sequence contains no elements"), std::logic_error);
  EXPECT_STREQ(concur::TaskCanceledException().what(), "A task was canceled.");
}
