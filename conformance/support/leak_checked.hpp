// conformance/support/leak_checked.hpp — the leak checks of the conformance
// suite, one mechanism at two scopes:
//  * ResourceSnapshot / settle_leaks: the counting (open fds with their list,
//    zombie children, the process-lifetime helpers that may add one fd each).
//  * LeakChecked / LeakCheckedTest: per test, for the process-level suites
//    (no zombie children, the open-fd count back to its baseline), and
//    StartMethodTest (a test parameterized over the start methods that leaves
//    no zombie).
//  * HygieneEnvironment: per test binary invocation (every conformance binary,
//    installed by conformance/main.cpp): the same comparison between the
//    first test's start and the last test's end, written as a verdict line to
//    $CONCUR_HYGIENE_DIR/<binary>.fds, which the suite-level check
//    (conformance/hygiene_check.sh, CTest label "hygiene") aggregates.
//
// Process-lifetime helpers are not leaks: the resource tracker's pipe and the
// forkserver's control socket may each appear once when the test (or the
// invocation) was the first to start them. LeakChecked starts the tracker
// before its baseline (spawn and forkserver children share it, as in CPython).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "support/proc_helpers.hpp"

namespace concur_test {

// What a leak check compares: the open fds of this process and whether the
// process-lifetime helpers (forkserver, resource tracker) were running.
struct ResourceSnapshot {
  int fds = 0;
  std::string fd_list;
  bool forkserver = false;
  bool tracker = false;

  static ResourceSnapshot take() {
    ResourceSnapshot s;
    s.forkserver = !forkserver_pids().empty();
    s.tracker = concur::multiprocessing::resource_tracker::tracker_pid() > 0;
    s.fds = count_open_fds();
    s.fd_list = describe_open_fds();
    return s;
  }
};

struct LeakReport {
  std::vector<pid_t> zombies;
  int fds_allowed = 0;
  int fds_now = 0;
  std::string fd_list_before;
  std::string fd_list_now;

  bool fds_ok() const { return fds_now == fds_allowed; }
  bool ok() const { return zombies.empty() && fds_ok(); }
  // One line: "fds <allowed>-><now> zombies <n> (pids ...) | before: ... | now: ...".
  std::string describe() const {
    std::string out = "fds " + std::to_string(fds_allowed) + "->" + std::to_string(fds_now) + " zombies " +
                      std::to_string(zombies.size());
    if (!zombies.empty()) {
      out += " (pids";
      for (pid_t z : zombies) out += " " + std::to_string(z);
      out += ")";
    }
    if (!fds_ok()) out += " | fds before: " + fd_list_before + "| fds now: " + fd_list_now;
    return out;
  }
};

// Compares the present with `base`. The fd count may exceed the baseline by
// one for each helper that started since (when `helpers_may_start`). A child
// that just ended may still be tracked: a forkserver child's exit status
// reaches its status socket a moment after the pid is gone, and
// active_children() reaps (and closes) only what has arrived. That gets up to
// `grace`; a real leak outlives it.
inline LeakReport settle_leaks(const ResourceSnapshot& base, bool helpers_may_start,
                               std::chrono::milliseconds grace = std::chrono::seconds(5)) {
  LeakReport r;
  r.fds_allowed = base.fds;
  r.fd_list_before = base.fd_list;
  if (helpers_may_start) {
    if (!base.forkserver && !forkserver_pids().empty()) r.fds_allowed += 1;
    if (!base.tracker && concur::multiprocessing::resource_tracker::tracker_pid() > 0) r.fds_allowed += 1;
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    (void)concur::multiprocessing::active_children();
    r.zombies = zombie_children();
    r.fds_now = count_open_fds();
    if ((r.zombies.empty() && r.fds_now == r.fds_allowed) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.fd_list_now = describe_open_fds();
  return r;
}

class LeakChecked {
 protected:
  void record_baseline() {
    concur::multiprocessing::resource_tracker::ensure_running();
    baseline_ = ResourceSnapshot::take();
  }
  // `forkserver_may_start`: the test may be the first to start the forkserver.
  void check_leaks(bool forkserver_may_start) {
    LeakReport r = settle_leaks(baseline_, forkserver_may_start);
    EXPECT_TRUE(r.zombies.empty()) << "zombie children left: " << r.zombies.size() << " (first pid "
                                   << (r.zombies.empty() ? 0 : r.zombies[0]) << ")";
    EXPECT_EQ(r.fds_now, r.fds_allowed) << "open fds before: " << r.fd_list_before
                                        << "\nopen fds now: " << r.fd_list_now;
  }

 private:
  ResourceSnapshot baseline_;
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

// The per-invocation check (issue 10, "Resource hygiene, as a test"): open
// fds and zombie children before the first test and after the last one of
// this binary invocation (CTest runs each TEST as its own invocation, so the
// verdict names the test through its --gtest_filter). Appends one line,
// "ok ..." or "LEAK ...", to $CONCUR_HYGIENE_DIR/<binary>.fds; without that
// variable (a binary run by hand) a leak is printed on stderr instead. The
// verdict does not fail the test itself: the suite-level "hygiene" check
// fails on any LEAK line and quotes it.
class HygieneEnvironment : public ::testing::Environment {
 public:
  explicit HygieneEnvironment(std::string binary) : binary_(std::move(binary)) {}
  void SetUp() override { base_ = ResourceSnapshot::take(); }
  void TearDown() override {
    LeakReport r = settle_leaks(base_, true);
    std::string line = std::string(r.ok() ? "ok " : "LEAK ") + binary_ + " pid " + std::to_string(::getpid()) +
                       " filter " + std::string(GTEST_FLAG_GET(filter)) + " " + r.describe() + "\n";
    const char* dir = std::getenv("CONCUR_HYGIENE_DIR");
    if (dir != nullptr && *dir != '\0') {
      append_text(std::string(dir) + "/" + binary_ + ".fds", line);
    } else if (!r.ok()) {
      std::fprintf(stderr, "hygiene: %s", line.c_str());
    }
  }

 private:
  std::string binary_;
  ResourceSnapshot base_;
};

// Installs the HygieneEnvironment for the binary `argv0` names. Call after
// InitGoogleTest.
inline void add_hygiene_environment(const char* argv0) {
  std::string name = argv0 != nullptr ? argv0 : "unknown";
  if (auto slash = name.rfind('/'); slash != std::string::npos) name.erase(0, slash + 1);
  ::testing::AddGlobalTestEnvironment(new HygieneEnvironment(name));
}

}  // namespace concur_test
