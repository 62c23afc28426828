// conformance/support/leak_checked.hpp — the per-test leak checks shared by
// the process-level conformance suites: LeakChecked (no zombie children, the
// open-fd count back to its baseline) and StartMethodTest (a test
// parameterized over the start methods that leaves no zombie).
//
// Process-lifetime helpers are not leaks: the resource tracker is started
// before the baseline (spawn and forkserver children share it, as in CPython),
// and the forkserver's control socket may appear once when the test was the
// first to use the forkserver.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "support/proc_helpers.hpp"

namespace concur_test {

class LeakChecked {
 protected:
  void record_baseline() {
    concur::multiprocessing::resource_tracker::ensure_running();
    had_forkserver_ = !forkserver_pids().empty();
    baseline_fds_ = count_open_fds();
    baseline_desc_ = describe_open_fds();
  }
  void check_leaks(bool forkserver_may_start) {
    int allowed = baseline_fds_;
    if (forkserver_may_start && !had_forkserver_ && !forkserver_pids().empty()) allowed += 1;
    // A child that just ended may still be tracked: a forkserver child's exit
    // status reaches its status socket a moment after the pid is gone, and
    // active_children() reaps (and closes) only what has arrived. Give that
    // up to 5 s; a real leak outlives it.
    for (int i = 0; i < 500; ++i) {
      (void)concur::multiprocessing::active_children();
      if (zombie_children().empty() && count_open_fds() == allowed) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto zombies = zombie_children();
    EXPECT_TRUE(zombies.empty()) << "zombie children left: " << zombies.size() << " (first pid "
                                 << (zombies.empty() ? 0 : zombies[0]) << ")";
    EXPECT_EQ(count_open_fds(), allowed) << "open fds before: " << baseline_desc_
                                         << "\nopen fds now: " << describe_open_fds();
  }

 private:
  bool had_forkserver_ = false;
  int baseline_fds_ = 0;
  std::string baseline_desc_;
};

// A plain test fixture that checks for leaks: baseline in SetUp, no zombie
// and no extra fd in TearDown (a forkserver is not expected to start).
class LeakCheckedTest : public ::testing::Test, protected LeakChecked {
 protected:
  void SetUp() override { record_baseline(); }
  void TearDown() override { check_leaks(false); }
};

// A test parameterized over the start methods ("fork", "spawn",
// "forkserver") that ends with no zombie children and owns a temp dir.
class StartMethodTest : public ::testing::TestWithParam<std::string> {
 protected:
  const concur::multiprocessing::Context& ctx() const { return concur::multiprocessing::get_context(GetParam()); }
  void TearDown() override {
    auto zombies = zombie_children();
    EXPECT_TRUE(zombies.empty()) << "zombie children left: " << zombies.size();
  }
  TempDir dir_;
};

}  // namespace concur_test
