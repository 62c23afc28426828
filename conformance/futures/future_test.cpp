// concurrent.futures.Future, wait() and as_completed()
// (concur/futures/future.hpp). Sources: seed 001 "concurrent.futures"
// (submit returns a Future; result()), CPython Lib/concurrent/futures/_base.py
// (state machine, cancel, add_done_callback, wait's return_when,
// as_completed's "%d (of %d) futures unfinished", InvalidStateError).
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "support/proc_helpers.hpp"

namespace fu = concur::futures;
using namespace std::chrono_literals;
using concur_test::raises;

namespace {

// _base.py: PENDING -> RUNNING -> FINISHED; result() returns the value.
TEST(Future, StatesAndResult) {
  fu::Future<int> f;
  EXPECT_FALSE(f.done());
  EXPECT_FALSE(f.running());
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_TRUE(f.running());
  EXPECT_FALSE(f.cancel()) << "cancel() is false once running";
  f.set_result(42);
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.result(), 42);
  EXPECT_EQ(f.exception(), nullptr);
}

// _base.py result(timeout): TimeoutError (the builtin one since 3.11).
TEST(Future, ResultWithTimeoutRaisesTimeoutError) {
  fu::Future<int> f;
  EXPECT_THROW(f.result(0.05s), concur::TimeoutError);
  EXPECT_THROW(f.exception(0.05s), concur::TimeoutError);
}

// result() re-raises the exception; exception() returns it.
TEST(Future, ExceptionIsRaisedByResultAndReturnedByException) {
  fu::Future<int> f;
  f.set_running_or_notify_cancel();
  f.set_exception(std::make_exception_ptr(concur::ValueError("boom")));
  EXPECT_TRUE(raises<concur::ValueError>([&] { f.result(); }, "boom"));
  EXPECT_NE(f.exception(), nullptr);
}

// cancel() of a pending future: cancelled, done, result raises
// CancelledError; a second cancel() is still true.
TEST(Future, CancelPendingFuture) {
  fu::Future<int> f;
  EXPECT_TRUE(f.cancel());
  EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(f.done());
  EXPECT_TRUE(f.cancel());
  EXPECT_THROW(f.result(), fu::CancelledError);
  EXPECT_THROW(f.exception(), fu::CancelledError);
  EXPECT_FALSE(f.set_running_or_notify_cancel());
}

// _base.py set_result on a done future: InvalidStateError("FINISHED: ...").
TEST(Future, SetResultTwiceRaisesInvalidStateError) {
  fu::Future<int> f;
  f.set_result(1);
  EXPECT_TRUE(raises<fu::InvalidStateError>([&] { f.set_result(2); }, "FINISHED: <Future"));
  fu::Future<int> c;
  c.cancel();
  EXPECT_TRUE(raises<fu::InvalidStateError>([&] { c.set_exception(std::make_exception_ptr(std::runtime_error("x"))); },
                                            "CANCELLED: <Future"));
}

// add_done_callback: runs once when done, at once if already done; a
// failing callback does not stop the others.
TEST(Future, AddDoneCallbackRunsOnceAndAtOnceWhenDone) {
  fu::Future<void> f;
  int calls = 0;
  f.add_done_callback([&](fu::Future<void> g) {
    EXPECT_TRUE(g.done());
    ++calls;
  });
  f.add_done_callback([](fu::Future<void>) { throw std::runtime_error("ignored"); });
  f.add_done_callback([&](fu::Future<void>) { ++calls; });
  EXPECT_EQ(calls, 0);
  f.set_result();
  EXPECT_EQ(calls, 2);
  f.add_done_callback([&](fu::Future<void>) { ++calls; });
  EXPECT_EQ(calls, 3);
  fu::Future<int> c;
  bool ran = false;
  c.add_done_callback([&](fu::Future<int> g) { ran = g.cancelled(); });
  c.cancel();
  EXPECT_TRUE(ran);
}

// wait(): FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED and timeout.
TEST(Future, WaitReturnWhen) {
  fu::Future<int> a, b, c;
  std::vector<fu::Future<int>> fs{a, b, c, a};
  auto r = fu::wait(fs, 0.05s);
  EXPECT_EQ(r.done.size(), 0u);
  EXPECT_EQ(r.not_done.size(), 3u) << "duplicates are removed";
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    b.set_result(2);
  });
  r = fu::wait(fs, std::nullopt, fu::FIRST_COMPLETED);
  t.join();
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_TRUE(r.done[0] == b);
  a.set_result(1);
  std::thread t2([&] {
    std::this_thread::sleep_for(50ms);
    c.set_exception(std::make_exception_ptr(std::runtime_error("x")));
  });
  fu::Future<int> never;
  r = fu::wait(std::vector<fu::Future<int>>{a, b, c, never}, 30s, fu::FIRST_EXCEPTION);
  t2.join();
  EXPECT_EQ(r.done.size(), 3u);
  EXPECT_EQ(r.not_done.size(), 1u);
  r = fu::wait(std::vector<fu::Future<int>>{a, b, c});
  EXPECT_EQ(r.done.size(), 3u);
}

// as_completed: done futures first, then in completion order; each once;
// timeout raises TimeoutError("N (of M) futures unfinished").
TEST(Future, AsCompletedYieldsInCompletionOrder) {
  fu::Future<int> a, b, c;
  c.set_result(3);
  std::thread t([&] {
    std::this_thread::sleep_for(30ms);
    b.set_result(2);
    std::this_thread::sleep_for(30ms);
    a.set_result(1);
  });
  std::vector<int> order;
  for (const auto& f : fu::as_completed(std::vector<fu::Future<int>>{a, b, c, c})) order.push_back(f.result());
  t.join();
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
  fu::Future<int> x, y;
  y.set_result(0);
  auto it = fu::as_completed(std::vector<fu::Future<int>>{x, y}, 0.05s);
  EXPECT_TRUE(it.next().has_value());
  EXPECT_TRUE(raises<concur::TimeoutError>([&] { it.next(); }, "1 (of 2) futures unfinished"));
}

}  // namespace
