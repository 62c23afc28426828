// Conformance of concur::tpl::IProgress<T> / Progress<T> (seed 000, .NET
// half: "进度方面的可以使用IProgress<T>"; .NET docs IProgress<T>.Report,
// Progress<T>(Action<T>), Progress<T>.ProgressChanged). concur calls the
// handlers synchronously and serialized (documented deviation).
#include "concur/tpl/progress.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "concur/tpl/parallel.hpp"
#include "concur/tpl/task.hpp"

using namespace concur::tpl;

namespace {
// An operation written against IProgress<int>, as .NET APIs take one.
int count_to(int n, IProgress<int>* progress) {
  for (int i = 1; i <= n; ++i) {
    if (progress) progress->report(i * 100 / n);
  }
  return n;
}
}  // namespace

// Progress<T>(handler): every Report(value) invokes the handler with value.
TEST(ProgressConformance, ReportInvokesTheHandlerWithEachValueInOrder) {
  std::vector<int> seen;
  Progress<int> progress([&](const int& percent) { seen.push_back(percent); });
  EXPECT_EQ(count_to(4, &progress), 4);
  EXPECT_EQ(seen, (std::vector<int>{25, 50, 75, 100}));
  EXPECT_EQ(count_to(2, nullptr), 2);  // .NET code passes null for "no progress"
}

// ProgressChanged: added handlers run after the constructor's, in order.
TEST(ProgressConformance, ProgressChangedHandlersAlsoRun) {
  std::vector<std::string> log;
  Progress<std::string> progress([&](const std::string& s) { log.push_back("ctor:" + s); });
  progress.progress_changed([&](const std::string& s) { log.push_back("event:" + s); });
  IProgress<std::string>& p = progress;
  p.report("half");
  EXPECT_EQ(log, (std::vector<std::string>{"ctor:half", "event:half"}));
}

// Reports from parallel work reach the handler one at a time (no data race
// on the handler's state; TSan checks it).
TEST(ProgressConformance, ReportsFromManyThreadsAreSerialized) {
  long long sum = 0;
  int calls = 0;
  Progress<int> progress([&](const int& v) {
    sum += v;
    ++calls;
  });
  Parallel::for_(0, 1000, [&](long long i) { progress.report(static_cast<int>(i)); });
  auto t = run([&] { progress.report(1000); });
  t.wait();
  EXPECT_EQ(calls, 1001);
  EXPECT_EQ(sum, 999 * 1000 / 2 + 1000);
}
