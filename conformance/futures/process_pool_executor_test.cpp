// concurrent.futures.ProcessPoolExecutor (concur/futures/process_pool_executor.hpp),
// over the three start methods. Sources: seed 001 "concurrent.futures"
// (ProcessPoolExecutor(3).map(is_prime, PRIMES)), CPython
// Lib/concurrent/futures/process.py (argument checks, max_tasks_per_child,
// BrokenProcessPool messages, shutdown(wait, cancel_futures)).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "concur/multiprocessing.hpp"
#include "futures/primes.hpp"
#include "support/leak_checked.hpp"
#include "support/proc_helpers.hpp"

namespace fu = concur::futures;
namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using concur_test::raises;
using concur_test::raises_containing;

namespace {

bool is_prime(std::int64_t n) { return concur_test::is_prime(n); }
CONCUR_REGISTER_TARGET(is_prime);

int getpid_task() { return static_cast<int>(::getpid()); }
CONCUR_REGISTER_TARGET(getpid_task);

int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
CONCUR_REGISTER_TARGET(sleep_ms);

int sleep_then_kill(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::raise(SIGKILL);
  return 0;
}
CONCUR_REGISTER_TARGET(sleep_then_kill);

int raise_value_error(int x) { throw concur::ValueError("bad " + std::to_string(x)); }
CONCUR_REGISTER_TARGET(raise_value_error);

std::string g_greeting;
void set_greeting(std::string g) { g_greeting = std::move(g); }
CONCUR_REGISTER_TARGET(set_greeting);
std::string greeting() { return g_greeting; }
CONCUR_REGISTER_TARGET(greeting);

void fail_init() { throw std::runtime_error("initializer failed"); }
CONCUR_REGISTER_TARGET(fail_init);

class ProcessPoolExecutorTest : public concur_test::StartMethodTest, protected concur_test::LeakChecked {
 protected:
  void SetUp() override { record_baseline(); }
  void TearDown() override {
    check_leaks(true);
    StartMethodTest::TearDown();
  }
  fu::ProcessPoolExecutorOptions opts(int n) const { return {.max_workers = n, .context = &ctx()}; }
};

// Seed 001: ProcessPoolExecutor(3).map(is_prime, PRIMES) and submit().
TEST_P(ProcessPoolExecutorTest, SeedPrimesGivesTheSeedsAnswers) {
  // CPython 3.11 running the seed prints True for all but the last number
  // (checked here with /usr/bin/python3); issue 5's text lists the second
  // as false, but 112582705942171 is prime. CPython is the oracle.
  const std::vector<bool> want{true, true, true, true, true, false};
  {
    fu::ProcessPoolExecutor executor(opts(3));
    EXPECT_EQ(executor.map(is_prime, concur_test::PRIMES).list(), want);
    EXPECT_EQ(executor.map(is_prime, concur_test::PRIMES, std::nullopt, 4).list(), want);
  }
  fu::ProcessPoolExecutor executor(opts(3));
  std::vector<fu::Future<bool>> results;
  for (auto number : concur_test::PRIMES) results.push_back(executor.submit(is_prime, number));
  std::vector<bool> got;
  for (auto& f : results) got.push_back(f.result(60s));
  EXPECT_EQ(got, want);
}

// process.py argument checks.
TEST_P(ProcessPoolExecutorTest, ArgumentErrorsFollowCPython) {
  EXPECT_TRUE(raises<concur::ValueError>([&] { fu::ProcessPoolExecutor e(opts(0)); }, "max_workers must be greater than 0"));
  EXPECT_TRUE(raises<concur::ValueError>(
      [&] { fu::ProcessPoolExecutor e({.max_workers = 1, .context = &ctx(), .max_tasks_per_child = 0}); },
      "max_tasks_per_child must be >= 1"));
  if (GetParam() == "fork") {
    EXPECT_TRUE(raises<concur::ValueError>(
        [&] { fu::ProcessPoolExecutor e({.max_workers = 1, .context = &ctx(), .max_tasks_per_child = 1}); },
        "max_tasks_per_child is incompatible with the 'fork' multiprocessing start method; supply a different "
        "mp_context."));
  }
  fu::ProcessPoolExecutor e(opts(1));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)e.map(is_prime, concur_test::PRIMES, std::nullopt, 0); },
                                         "chunksize must be >= 1."));
  e.shutdown();
  EXPECT_TRUE(raises<concur::RuntimeError>([&] { (void)e.submit(getpid_task); },
                                           "cannot schedule new futures after shutdown"));
}

// Errors raised in a worker keep their type and message.
TEST_P(ProcessPoolExecutorTest, TaskErrorsKeepTheirType) {
  fu::ProcessPoolExecutor e(opts(1));
  auto f = e.submit(raise_value_error, 3);
  EXPECT_TRUE(raises<concur::ValueError>([&] { f.result(30s); }, "bad 3"));
  EXPECT_NE(f.exception(), nullptr);
}

// initializer(initargs...) runs in each worker before its calls.
TEST_P(ProcessPoolExecutorTest, InitializerAndInitargs) {
  fu::ProcessPoolExecutor e(opts(2), set_greeting, std::string("你好"));
  EXPECT_EQ(e.submit(greeting).result(30s), "你好");
}

// process.py max_tasks_per_child: a worker is replaced after that many
// calls (not available under fork).
TEST_P(ProcessPoolExecutorTest, MaxTasksPerChildReplacesWorkers) {
  if (GetParam() == "fork") GTEST_SKIP() << "max_tasks_per_child is incompatible with fork";
  fu::ProcessPoolExecutor e({.max_workers = 1, .context = &ctx(), .max_tasks_per_child = 2});
  std::vector<fu::Future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(e.submit(getpid_task));
  std::multiset<int> pids;
  for (auto& f : fs) pids.insert(f.result(60s));
  EXPECT_EQ(std::set<int>(pids.begin(), pids.end()).size(), 3u);
}

// process.py: a worker that dies breaks the pool — running and pending
// futures fail with BrokenProcessPool, and so does every later submit().
TEST_P(ProcessPoolExecutorTest, WorkerDeathBreaksThePool) {
  fu::ProcessPoolExecutor e(opts(1));
  auto dying = e.submit(sleep_then_kill, 300);  // dies after the next submit
  auto pending = e.submit(sleep_ms, 1);
  EXPECT_TRUE(raises<fu::BrokenProcessPool>([&] { dying.result(30s); },
                                            "A process in the process pool was terminated abruptly while the future "
                                            "was running or pending."));
  EXPECT_THROW(pending.result(30s), fu::BrokenProcessPool);
  EXPECT_TRUE(raises<fu::BrokenProcessPool>([&] { (void)e.submit(getpid_task); },
                                            "A child process terminated abruptly, the process pool is not usable "
                                            "anymore"));
}

// A failing initializer ends the worker: the pool breaks (CPython). The
// workers start at the first submit(), so that submit() returns its future,
// which fails; later submits raise.
TEST_P(ProcessPoolExecutorTest, FailingInitializerBreaksThePool) {
  fu::ProcessPoolExecutor e(opts(1), fail_init);
  auto first = e.submit(getpid_task);
  EXPECT_TRUE(raises<fu::BrokenProcessPool>([&] { first.result(30s); },
                                            "A process in the process pool was terminated abruptly while the future "
                                            "was running or pending."));
  EXPECT_THROW(e.submit(getpid_task), fu::BrokenProcessPool);
}

// process.py _start_executor_manager_thread: the worker processes start at
// the first submit(), not in the constructor.
TEST_P(ProcessPoolExecutorTest, WorkersStartAtTheFirstSubmit) {
  fu::ProcessPoolExecutor e(opts(2));
  EXPECT_TRUE(mp::active_children().empty());
  EXPECT_GT(e.submit(getpid_task).result(30s), 0);
  EXPECT_EQ(mp::active_children().size(), 2u);
  e.shutdown();
  EXPECT_TRUE(mp::active_children().empty());
}

// At most max_workers + 1 calls are handed to workers; the rest stay
// PENDING and can be cancelled; shutdown(cancel_futures=true) cancels them.
TEST_P(ProcessPoolExecutorTest, PendingCallsCanBeCancelledAndShutdownCancelsThem) {
  fu::ProcessPoolExecutor e(opts(1));
  std::vector<fu::Future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(e.submit(sleep_ms, 200));
  EXPECT_TRUE(fs[5].cancel());
  e.shutdown(true, true);
  int done = 0, cancelled = 0;
  for (auto& f : fs) {
    ASSERT_TRUE(f.done());
    (f.cancelled() ? cancelled : done)++;
  }
  EXPECT_GE(done, 1);
  EXPECT_LE(done, 2);  // max_workers + 1
  EXPECT_EQ(done + cancelled, 6);
  EXPECT_EQ(fs[0].result(), 200);
}

// as_completed / wait over process futures.
TEST_P(ProcessPoolExecutorTest, AsCompletedAndWait) {
  fu::ProcessPoolExecutor e(opts(2));
  std::vector<fu::Future<int>> fs{e.submit(sleep_ms, 300), e.submit(sleep_ms, 10)};
  std::vector<int> order;
  for (const auto& f : fu::as_completed(fs, 30s)) order.push_back(f.result());
  EXPECT_EQ(order, (std::vector<int>{10, 300}));
  auto r = fu::wait(fs, 30s, fu::ALL_COMPLETED);
  EXPECT_EQ(r.done.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessPoolExecutorTest, ::testing::Values("fork", "spawn", "forkserver"),
                         [](const auto& info) { return info.param; });

}  // namespace
