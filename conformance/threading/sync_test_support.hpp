// conformance/threading/sync_test_support.hpp — helpers shared by the
// conformance tests of the threading synchronization primitives (lock_test,
// condition_test, semaphore_test, event_test, barrier_test).
//
//  * raises_exactly<E>(f, text): f() throws an E whose what() is exactly
//    `text` (CPython's message, checked with /usr/bin/python3 3.11).
//  * eventually(pred): polls pred() until it holds or 20 s pass — for states a
//    test can observe (a Condition's waiter count, a Barrier's n_waiting, a
//    counter) instead of sleeping to order threads.
//  * settle(): a short pause used only to give a thread that SHOULD stay
//    blocked the chance to (wrongly) proceed; a test that uses it can pass by
//    luck on a broken implementation, never fail on a correct one.
//  * kAddr: the "0x..." part of CPython's reprs, as a regex.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "support/proc_helpers.hpp"

namespace concur_test {

inline constexpr const char* kAddr = "0x[0-9a-f]+";

template <class E, class F>
::testing::AssertionResult raises_exactly(F&& f, std::string_view text) {
  static_assert(std::is_base_of_v<std::exception, E>);
  try {
    f();
  } catch (const std::exception& e) {
    if (auto wrong = wrong_type<E>(e)) return *wrong;
    if (std::string_view(e.what()) == text) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << demangle(typeid(e).name()) << " message was \"" << e.what()
                                         << "\", expected exactly \"" << text << "\"";
  } catch (...) {
    return ::testing::AssertionFailure() << "threw a non-std exception instead of " << demangle(typeid(E).name());
  }
  return ::testing::AssertionFailure() << "did not throw " << demangle(typeid(E).name());
}

inline bool eventually(const std::function<bool()>& pred, std::chrono::duration<double> limit = 20s) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(limit);
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

inline void settle() { std::this_thread::sleep_for(50ms); }

}  // namespace concur_test
