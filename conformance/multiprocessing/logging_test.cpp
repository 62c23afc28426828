// Conformance tests of the multiprocessing logger
// (concur/multiprocessing/logging.hpp; seed 004 "2.日记系列"; CPython
// Lib/multiprocessing/util.py get_logger, log_to_stderr, _exit_function,
// process.py BaseProcess._bootstrap).
//
// The logger is process-global, so every scenario runs in a forked copy of the
// test process with stderr (and stdout) redirected to files; the copy leaves
// through std::exit, as a program ends normally, so the at-exit records
// ("process shutting down") appear too.
#include <unistd.h>

#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/multiprocessing.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
namespace lg = concur::logging;
using namespace concur_test;
using namespace std::chrono_literals;

namespace {

// ============================================================ child targets

// Seed 004: def test(): print("test")
void print_test() { std::printf("test\n"); }
CONCUR_REGISTER_TARGET(print_test);

void child_logs(std::string warning, std::string info) {
  mp::get_logger().warning(warning);
  mp::get_logger().info(info);
}
CONCUR_REGISTER_TARGET(child_logs);

void raise_value_error(std::string message) { throw concur::ValueError(message); }
CONCUR_REGISTER_TARGET(raise_value_error);

void exit_with(int code) { throw concur::SystemExit(code); }
CONCUR_REGISTER_TARGET(exit_with);

void wait_for_file(std::string path, double timeout_s) {
  wait_for_path(path, std::chrono::duration<double>(timeout_s));
}
CONCUR_REGISTER_TARGET(wait_for_file);

void log_many(std::string tag, int count) {
  const std::string payload(200, 'x');
  for (int i = 0; i < count; ++i) mp::get_logger().warning(tag + " " + std::to_string(i) + " " + payload);
}
CONCUR_REGISTER_TARGET(log_many);

// ============================================================ helpers

std::string method_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class LoggingConformance : public ::testing::TestWithParam<std::string> {
 protected:
  const mp::Context& ctx() const { return mp::get_context(GetParam()); }
  void TearDown() override {
    auto zombies = zombie_children();
    EXPECT_TRUE(zombies.empty()) << zombies.size() << " zombie children left";
  }
  // Runs `body` in a forked copy with stdout/stderr captured.
  SubprocessResult scenario(const std::function<void()>& body) {
    return run_subprocess(body, SubprocessOptions{}.capture_stdout(out_).capture_stderr(err_).limit(40s));
  }
  std::string err() const { return read_text(err_); }
  std::string out() const { return read_text(out_); }

  TempDir dir_;
  std::string out_ = dir_.file("stdout");
  std::string err_ = dir_.file("stderr");
};

INSTANTIATE_TEST_SUITE_P(StartMethods, LoggingConformance, ::testing::Values("fork", "spawn", "forkserver"),
                         method_name);

// Matches `lines` against `patterns` (ECMAScript regexes), line by line.
::testing::AssertionResult lines_match(const std::vector<std::string>& lines,
                                       const std::vector<std::string>& patterns) {
  std::string all;
  for (const auto& l : lines) all += "  " + l + "\n";
  if (lines.size() != patterns.size())
    return ::testing::AssertionFailure() << "expected " << patterns.size() << " lines, got " << lines.size()
                                         << ":\n"
                                         << all;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (!std::regex_match(lines[i], std::regex(patterns[i])))
      return ::testing::AssertionFailure() << "line " << i + 1 << " \"" << lines[i] << "\" does not match /"
                                           << patterns[i] << "/ in:\n"
                                           << all;
  return ::testing::AssertionSuccess();
}

// ============================================================ seed 004

// Seed 004 "2.日记系列" — the start_log() example and its documented output:
//   [INFO/MainProcess] 我是通用格式
//   [INFO/MainProcess] info 测试
//   [WARNING/MainProcess] warning 测试
//   [ERROR/MainProcess] error 测试
//   [INFO/Process-1] child process calling self.run()
//   test
//   [INFO/Process-1] process shutting down
//   [INFO/Process-1] process exiting with exitcode 0
//   [INFO/MainProcess] process shutting down
// ("test" goes to stdout.) The log configuration reaches the child under
// every start method (CPython's spawn preparation data carries it).
TEST_P(LoggingConformance, SeedLogToStderrExampleProducesTheDocumentedRecords) {
  auto r = scenario([&] {
    auto& logger = mp::log_to_stderr();
    int level = lg::INFO;
    logger.set_level(level);
    logger.log(level, "我是通用格式");
    logger.info("info 测试");
    logger.warning("warning 测试");
    logger.error("error 测试");
    auto p = ctx().Process(print_test);
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), 0);
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\nstdout: " << out();
  // The seed shows Process-1; the number is the value of the process counter
  // (1 in a fresh test process), so it is read from the first child record.
  auto lines = split_lines(err());
  std::string child = "Process-1";
  std::smatch m;
  if (lines.size() > 4 && std::regex_match(lines[4], m, std::regex(R"(\[INFO/((?:Fork|Spawn|ForkServer)?Process-[0-9]+)\] .*)"))) child = m[1];
  const std::string c = R"(\[INFO/)" + child + R"(\] )";
  EXPECT_TRUE(lines_match(lines, {
                                     R"(\[INFO/MainProcess\] 我是通用格式)",
                                     R"(\[INFO/MainProcess\] info 测试)",
                                     R"(\[WARNING/MainProcess\] warning 测试)",
                                     R"(\[ERROR/MainProcess\] error 测试)",
                                     c + R"(child process calling self\.run\(\))",
                                     c + "process shutting down",
                                     c + "process exiting with exitcode 0",
                                     R"(\[INFO/MainProcess\] process shutting down)",
                                 }));
  EXPECT_EQ(out(), "test\n");
}

// process.hpp / util.py: the record's process name is current_process().name
// in the process that logs; the child inherits handler and level, so at
// WARNING its own warning appears and the INFO lifecycle records do not.
TEST_P(LoggingConformance, ChildInheritsHandlerAndLevelAndLogsUnderItsOwnName) {
  auto r = scenario([&] {
    mp::log_to_stderr(lg::WARNING);
    auto p = ctx().Process({.name = "worker-7", .daemon = std::nullopt}, child_logs, "child warning", "child info");
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), 0);
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\nstdout: " << out();
  EXPECT_EQ(err(), "[WARNING/worker-7] child warning\n");
}

// process.py _bootstrap: a failing run() writes 'Process %s:' and the error,
// then util.info('process exiting with exitcode 1').
TEST_P(LoggingConformance, FailingChildLogsExitcodeOne) {
  auto r = scenario([&] {
    mp::log_to_stderr(lg::INFO);
    auto p = ctx().Process({.name = "failing", .daemon = std::nullopt}, raise_value_error, "kaputt");
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), 1);
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\nstdout: " << out();
  std::string text = err();
  EXPECT_TRUE(contains(text, "[INFO/failing] child process calling self.run()\n")) << text;
  EXPECT_TRUE(contains(text, "Process failing:\n")) << text;
  EXPECT_TRUE(contains(text, "kaputt")) << text;
  EXPECT_TRUE(contains(text, "[INFO/failing] process exiting with exitcode 1\n")) << text;
}

// process.py _bootstrap: SystemExit(3) → 'process exiting with exitcode 3'.
TEST_P(LoggingConformance, SystemExitCodeIsLogged) {
  auto r = scenario([&] {
    mp::log_to_stderr(lg::INFO);
    auto p = ctx().Process({.name = "exiting", .daemon = std::nullopt}, exit_with, 3);
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), 3);
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\nstdout: " << out();
  EXPECT_TRUE(contains(err(), "[INFO/exiting] process exiting with exitcode 3\n")) << err();
}

// util.py _exit_function: info('calling terminate() for daemon %s', p.name)
// for each live daemonic child when the main process exits.
TEST_P(LoggingConformance, ExitTerminatesDaemonsAndLogsIt) {
  auto never = dir_.file("never");
  auto pid_file = dir_.file("pid");
  auto r = scenario([&] {
    mp::log_to_stderr(lg::INFO);
    auto p = ctx().Process({.name = "sleepy", .daemon = true}, wait_for_file, never, 60.0);
    p.start();
    write_text(pid_file, std::to_string(p.pid().value_or(0)));
    // Make sure the child has logged its start before the parent exits.
    wait_until([&] { return contains(read_text(err_), "[INFO/sleepy] child process calling self.run()"); }, 20s);
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\nstdout: " << out();
  std::string text = err();
  EXPECT_TRUE(contains(text, "[INFO/MainProcess] process shutting down\n")) << text;
  EXPECT_TRUE(contains(text, "[INFO/MainProcess] calling terminate() for daemon sleepy\n")) << text;
  if (path_exists(pid_file)) {
    pid_t pid = std::stoi(read_text(pid_file));
    bool gone = wait_until([&] { return !pid_running(pid); }, 10s);
    EXPECT_TRUE(gone);
    if (!gone && pid > 0) ::kill(pid, SIGKILL);
  }
}

// logging.hpp: "each record is written with a single write(2)", so records
// of concurrent processes never interleave within a line.
TEST_P(LoggingConformance, RecordsFromConcurrentProcessesNeverInterleaveWithinALine) {
  constexpr int kCount = 200;
  auto r = scenario([&] {
    mp::log_to_stderr();
    auto a = ctx().Process({.name = "A", .daemon = std::nullopt}, log_many, "alpha", kCount);
    auto b = ctx().Process({.name = "B", .daemon = std::nullopt}, log_many, "beta", kCount);
    a.start();
    b.start();
    log_many("main", kCount);
    a.join();
    b.join();
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  auto lines = split_lines(err());
  EXPECT_EQ(lines.size(), 3u * kCount);
  const std::regex well_formed(R"(\[WARNING/(A|B|MainProcess)\] (alpha|beta|main) [0-9]+ x{200})");
  int bad = 0;
  for (const auto& l : lines)
    if (!std::regex_match(l, well_formed) && bad++ < 3) ADD_FAILURE() << "malformed record: " << l;
  EXPECT_EQ(bad, 0);
}

// ============================================================ non-parameterized

class LoggerConformance : public ::testing::Test {
 protected:
  SubprocessResult scenario(const std::function<void()>& body) {
    return run_subprocess(body, SubprocessOptions{}.capture_stdout(out_).capture_stderr(err_).limit(40s));
  }
  std::string err() const { return read_text(err_); }
  TempDir dir_;
  std::string out_ = dir_.file("stdout");
  std::string err_ = dir_.file("stderr");
};

// logging.hpp: without a handler the logger behaves like Python's
// logging.lastResort — WARNING and above as the bare message, the rest
// dropped; the level is NOTSET, the effective level WARNING. A child started
// meanwhile logs nothing (its lifecycle records are INFO).
TEST_F(LoggerConformance, BeforeLogToStderrWarningsPrintTheBareMessageAndInfoNothing) {
  auto r = scenario([&] {
    auto& logger = mp::get_logger();
    EXPECT_FALSE(logger.has_stderr_handler());
    EXPECT_EQ(logger.level(), lg::NOTSET);
    EXPECT_EQ(logger.get_effective_level(), lg::WARNING);
    EXPECT_FALSE(logger.is_enabled_for(lg::INFO));
    EXPECT_TRUE(logger.is_enabled_for(lg::WARNING));
    logger.debug("debug dropped");
    logger.info("info dropped");
    logger.warning("bare warning");
    logger.error("bare error");
    auto p = mp::get_context("fork").Process(print_test);
    p.start();
    p.join();
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(err(), "bare warning\nbare error\n");
}

// util.py log_to_stderr(level): attaches the '[%(levelname)s/%(processName)s]
// %(message)s' handler, sets the level when given, and returns the same
// logger as get_logger(); logging.hpp: repeated calls do not duplicate output.
TEST_F(LoggerConformance, LogToStderrTwiceDoesNotDuplicateOutput) {
  auto r = scenario([&] {
    auto& a = mp::log_to_stderr();
    auto& b = mp::log_to_stderr(lg::DEBUG);
    EXPECT_EQ(&a, &b);
    EXPECT_EQ(&a, &mp::get_logger());
    EXPECT_TRUE(a.has_stderr_handler());
    EXPECT_EQ(a.level(), lg::DEBUG);
    a.debug("once");
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(err(), "[DEBUG/MainProcess] once\n");
}

// Python logging: a record is emitted when its level >= the effective level;
// NOTSET means WARNING (logging.hpp).
TEST_F(LoggerConformance, LevelFiltersRecords) {
  auto r = scenario([&] {
    auto& logger = mp::log_to_stderr();
    logger.info("dropped at NOTSET");
    logger.warning("kept at NOTSET");
    logger.set_level(lg::ERROR);
    EXPECT_EQ(logger.get_effective_level(), lg::ERROR);
    logger.warning("dropped at ERROR");
    logger.error("kept at ERROR");
    logger.critical("critical at ERROR");
    logger.set_level(lg::SUBDEBUG);
    logger.subdebug("subdebug");
    logger.debug("debug");
    logger.subwarning("subwarning");
    logger.log(42, "custom level");
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(err(),
            "[WARNING/MainProcess] kept at NOTSET\n"
            "[ERROR/MainProcess] kept at ERROR\n"
            "[CRITICAL/MainProcess] critical at ERROR\n"
            "[SUBDEBUG/MainProcess] subdebug\n"
            "[DEBUG/MainProcess] debug\n"
            "[SUBWARNING/MainProcess] subwarning\n"
            "[Level 42/MainProcess] custom level\n");
}

// Python logging.getLevelName plus util.py's addLevelName(SUBDEBUG/SUBWARNING).
TEST_F(LoggerConformance, LevelNamesFollowPythonLogging) {
  EXPECT_EQ(lg::level_name(lg::NOTSET), "NOTSET");
  EXPECT_EQ(lg::level_name(lg::SUBDEBUG), "SUBDEBUG");
  EXPECT_EQ(lg::level_name(lg::DEBUG), "DEBUG");
  EXPECT_EQ(lg::level_name(lg::INFO), "INFO");
  EXPECT_EQ(lg::level_name(lg::SUBWARNING), "SUBWARNING");
  EXPECT_EQ(lg::level_name(lg::WARNING), "WARNING");
  EXPECT_EQ(lg::level_name(lg::ERROR), "ERROR");
  EXPECT_EQ(lg::level_name(lg::CRITICAL), "CRITICAL");
  EXPECT_EQ(lg::level_name(42), "Level 42");
  // Seed 004: print(logging.WARN == logging.WARNING) → True; the constants
  // carry Python's values.
  EXPECT_EQ(lg::WARNING, 30);
  EXPECT_EQ(lg::INFO, 20);
  EXPECT_EQ(lg::SUBDEBUG, 5);
  EXPECT_EQ(lg::SUBWARNING, 25);
}

// logging.hpp: records from threads never interleave within a line.
TEST_F(LoggerConformance, RecordsFromThreadsNeverInterleaveWithinALine) {
  constexpr int kThreads = 4;
  constexpr int kCount = 200;
  auto r = scenario([&] {
    mp::log_to_stderr();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([t] {
        std::string tag = "t";  // (not "t" + to_string: g++ 12 -O2 -Wrestrict false positive)
        tag += std::to_string(t);
        log_many(tag, kCount);
      });
    for (auto& th : threads) th.join();
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  auto lines = split_lines(err());
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kCount));
  const std::regex well_formed(R"(\[WARNING/MainProcess\] t[0-3] [0-9]+ x{200})");
  int bad = 0;
  for (const auto& l : lines)
    if (!std::regex_match(l, well_formed) && bad++ < 3) ADD_FAILURE() << "malformed record: " << l;
  EXPECT_EQ(bad, 0);
}

}  // namespace
