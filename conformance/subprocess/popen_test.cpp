// subprocess.Popen (concur/subprocess/popen.hpp). Sources: seed 004 §1.4
// "拓展之subprocess" (交互demo: Popen with three PIPEs and
// communicate(input, timeout), "如果超时到期,则子进程不会被终止,需要自己处理一下";
// 通信demo: the `ps aux | grep bash` pipeline with p1.stdout.close()); CPython
// 3.11 Lib/subprocess.py (Popen.poll/wait/communicate/_communicate,
// send_signal, returncode -N, _active/_cleanup) and its documentation
// ("If the process does not terminate after timeout seconds, a
// TimeoutExpired exception will be raised. Catching this exception and
// retrying communication will not lose any output."; pipelines: "The
// p1.stdout.close() call after starting the p2 is important in order for p1
// to receive a SIGPIPE if p2 exits before p1").
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/subprocess.hpp"
#include "support/leak_checked.hpp"
#include "support/proc_helpers.hpp"

namespace sp = concur::subprocess;
using namespace std::chrono_literals;
using concur_test::contains;
using concur_test::raises;
using concur_test::seconds_since;
using Clock = std::chrono::steady_clock;

namespace {

class PopenTest : public concur_test::LeakCheckedTest {};

const sp::PopenOptions kAllPipes{.stdin = sp::PIPE, .stdout = sp::PIPE, .stderr = sp::PIPE};

TEST_F(PopenTest, PopenExposesThePidAndThePipesItWasAskedFor) {
  sp::Popen p({"cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
  EXPECT_GT(p.pid(), 0);
  EXPECT_TRUE(concur_test::pid_running(p.pid()));
  ASSERT_NE(p.stdin(), nullptr);
  ASSERT_NE(p.stdout(), nullptr);
  EXPECT_EQ(p.stderr(), nullptr);  // not PIPE: CPython's None
  EXPECT_FALSE(p.returncode().has_value());
  p.stdin()->write("line one\nline two\n");
  EXPECT_EQ(p.stdout()->readline(), "line one\n");
  EXPECT_EQ(p.stdout()->readline(), "line two\n");
  p.stdin()->close();
  EXPECT_EQ(p.stdout()->read(), "");
  EXPECT_EQ(p.wait(), 0);
  EXPECT_EQ(p.returncode(), 0);
}

// Seed 交互demo, with cat standing in for ipython3: what was sent comes back.
TEST_F(PopenTest, InteractiveCommunicateWithCatReturnsWhatWasSent) {
  sp::Popen process({"cat"}, kAllPipes);
  auto [out, err] = process.communicate("print(\"hello\")", 3s);
  EXPECT_EQ(out, "print(\"hello\")");
  EXPECT_EQ(err, "");
  EXPECT_EQ(process.returncode(), 0);
}

// Seed 交互demo with python3 instead of ipython3: the input runs.
TEST_F(PopenTest, InteractiveCommunicateWithPython3RunsTheInput) {
  sp::Popen process({"/usr/bin/python3", "-"}, kAllPipes);
  auto [out, err] = process.communicate("print(\"hello\")", 30s);
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(err, "");
  EXPECT_EQ(process.returncode(), 0);
}

// CPython docs: "Catching this exception and retrying communication will not
// lose any output."; seed: the child is not killed by the timeout.
TEST_F(PopenTest, ATimedOutCommunicateLeavesTheChildRunningAndCanBeCalledAgain) {
  sp::Popen p({"sh", "-c", "echo first; sleep 1; echo second"}, {.stdout = sp::PIPE});
  try {
    p.communicate(std::nullopt, 0.3s);
    FAIL() << "no TimeoutExpired";
  } catch (const sp::TimeoutExpired& e) {
    EXPECT_STREQ(e.what(), "Command '['sh', '-c', 'echo first; sleep 1; echo second']' timed out after 0.3 seconds");
    EXPECT_EQ(e.output(), "first\n");
  }
  EXPECT_FALSE(p.poll().has_value());
  EXPECT_TRUE(concur_test::pid_running(p.pid()));
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "first\nsecond\n");  // nothing lost
  EXPECT_FALSE(err.has_value());
  EXPECT_EQ(p.returncode(), 0);
}

// _communicate keeps self._input and _input_offset: input not yet written
// when the timeout passed is written by the next call (here the caller's
// string is gone by then).
TEST_F(PopenTest, ATimedOutCommunicateWritesTheRestOfItsInputOnTheNextCall) {
  sp::Popen p({"sh", "-c", "sleep 0.5; exec cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
  const std::size_t size = std::size_t{4} << 20;  // far more than a pipe holds
  {
    std::string input(size, 'q');
    EXPECT_THROW(p.communicate(input, 0.1s), sp::TimeoutExpired);
  }
  auto [out, err] = p.communicate(std::nullopt, 60s);
  EXPECT_EQ(out, std::string(size, 'q'));
  EXPECT_EQ(p.returncode(), 0);
}

// Seed 交互demo's except branch: process.kill(); out, err = process.communicate().
TEST_F(PopenTest, AfterATimeoutKillThenCommunicateCollectsTheOutputAndReaps) {
  sp::Popen process({"sh", "-c", "echo partial; exec sleep 30"}, kAllPipes);
  EXPECT_THROW(process.communicate("ignored", 0.3s), sp::TimeoutExpired);
  process.kill();
  auto [out, err] = process.communicate();
  EXPECT_EQ(out, "partial\n");
  EXPECT_EQ(err, "");
  EXPECT_EQ(process.returncode(), -SIGKILL);
}

// _communicate: "if self._communication_started and input: raise ValueError(...)".
TEST_F(PopenTest, InputToASecondCommunicateRaisesValueError) {
  sp::Popen p({"cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
  EXPECT_EQ(p.communicate("x").first, "x");
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.communicate("y"); }, "Cannot send input after starting communication"));
  EXPECT_NO_THROW(p.communicate(""));  // empty input is falsy in Python: allowed
}

// Issue 6: communicate drains stdout and stderr concurrently, so it never
// deadlocks on a full pipe: 100 MiB in, 100 MiB on each output at once
// (tee copies stdin to stdout and to stderr, blocking if either is not read).
TEST_F(PopenTest, CommunicateDrainsStdoutAndStderrConcurrently100MiBEach) {
  std::string input(std::size_t{100} << 20, '\0');
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  sp::Popen p({"tee", "/dev/stderr"}, kAllPipes);
  auto [out, err] = p.communicate(input, 300s);
  ASSERT_TRUE(out && err);
  EXPECT_EQ(out->size(), input.size());
  EXPECT_EQ(err->size(), input.size());
  EXPECT_TRUE(*out == input);
  EXPECT_TRUE(*err == input);
  EXPECT_EQ(p.returncode(), 0);
}

// Popen.wait(timeout): "If the process does not terminate after timeout
// seconds, raise a TimeoutExpired exception"; it is not killed.
TEST_F(PopenTest, WaitWithATimeoutRaisesTimeoutExpiredAndTheChildKeepsRunning) {
  sp::Popen p({"sleep", "30"});
  const auto t0 = Clock::now();
  EXPECT_TRUE(raises<sp::TimeoutExpired>([&] { p.wait(0.2s); }, "Command '['sleep', '30']' timed out after 0.2 seconds"));
  EXPECT_GE(seconds_since(t0), 0.2);
  EXPECT_FALSE(p.poll().has_value());
  EXPECT_TRUE(concur_test::pid_running(p.pid()));
  p.kill();
  EXPECT_EQ(p.wait(10s), -SIGKILL);
  EXPECT_EQ(p.returncode(), -9);
}

TEST_F(PopenTest, PollReturnsNoneWhileTheChildRunsThenItsReturncode) {
  sp::Popen p({"sh", "-c", "read x; exit 7"}, {.stdin = sp::PIPE});
  EXPECT_FALSE(p.poll().has_value());
  p.stdin()->close();
  EXPECT_TRUE(concur_test::wait_until([&] { return p.poll().has_value(); }, 30s));
  EXPECT_EQ(p.poll(), 7);
}

// send_signal/terminate/kill; returncode "-N: terminated by signal N".
TEST_F(PopenTest, TerminateKillAndSendSignalGiveNegativeReturncodes) {
  sp::Popen a({"sleep", "30"});
  a.terminate();
  EXPECT_EQ(a.wait(), -SIGTERM);
  sp::Popen b({"sleep", "30"});
  b.send_signal(SIGUSR1);
  EXPECT_EQ(b.wait(), -SIGUSR1);
  sp::Popen c({"sleep", "30"});
  c.kill();
  EXPECT_EQ(c.wait(), -SIGKILL);
}

// send_signal: "Skip signalling a process that we know has already died".
TEST_F(PopenTest, SendSignalAfterTheChildWasReapedDoesNothing) {
  sp::Popen p({"true"});
  EXPECT_EQ(p.wait(), 0);
  EXPECT_NO_THROW(p.kill());
  EXPECT_NO_THROW(p.send_signal(SIGTERM));
  EXPECT_EQ(p.returncode(), 0);
}

// Contract: wait() from several threads at once reaps once; all see the code.
TEST_F(PopenTest, WaitFromSeveralThreadsReapsOnceAndAllSeeTheReturncode) {
  sp::Popen p({"sh", "-c", "sleep 0.3; exit 7"});
  std::atomic<int> sevens{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      int rc = i % 2 ? p.wait() : p.wait(30s);
      if (rc == 7) ++sevens;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sevens.load(), 4);
}

// Seed 通信demo: ps aux | grep bash. The test starts its own bash process (a
// shell whose $0 is a unique marker, waiting in the `read` builtin so it has
// no children) and the pipeline finds it.
TEST_F(PopenTest, PipelinePsAuxGrepFindsTheProcessTheTestStarted) {
  std::string marker = "concur-bash-marker-" + std::to_string(::getpid());
  sp::Popen bash({"bash", "-c", "read x", marker}, {.stdin = sp::PIPE});
  ASSERT_TRUE(concur_test::wait_until([&] { return contains(concur_test::cmdline_of(bash.pid()), marker); }, 30s));
  sp::Popen p1({"ps", "aux"}, {.stdout = sp::PIPE});
  sp::Popen p2({"grep", marker}, {.stdin = *p1.stdout(), .stdout = sp::PIPE});
  p1.stdout()->close();  // seed: 关闭写段 — p1 gets SIGPIPE if p2 exits first
  auto [out, err] = p2.communicate();
  EXPECT_EQ(p1.wait(), 0);
  EXPECT_EQ(p2.returncode(), 0);
  ASSERT_TRUE(out);
  bool found = false;
  for (const auto& line : concur_test::split_lines(*out))
    if (contains(line, " " + std::to_string(bash.pid()) + " ") && contains(line, "bash -c read x " + marker))
      found = true;
  EXPECT_TRUE(found) << *out;
  bash.stdin()->close();  // `read` sees EOF and fails: bash exits with 1
  EXPECT_EQ(bash.wait(30s), 1);
}

// CPython docs (Replacing shell pipeline): closing the parent's copy of
// p1.stdout lets p1 receive SIGPIPE when p2 exits first.
TEST_F(PopenTest, ClosingTheParentsCopyOfAPipelineStreamLetsTheFirstProcessGetSigpipe) {
  sp::Popen p1({"yes"}, {.stdout = sp::PIPE});
  sp::Popen p2({"head", "-n", "1"}, {.stdin = *p1.stdout(), .stdout = sp::PIPE});
  EXPECT_EQ(p2.communicate().first, "y\n");
  // The parent still holds a read end: yes fills the pipe and blocks.
  EXPECT_THROW(p1.wait(0.3s), sp::TimeoutExpired);
  p1.stdout()->close();
  EXPECT_EQ(p1.wait(30s), -SIGPIPE);
}

// CPython's __del__/_active/_cleanup: a Popen dropped while its child runs
// does not block; the next Popen reaps the child once it has ended.
TEST_F(PopenTest, APopenDestroyedWhileItsChildRunsLeavesItToBeReapedByTheNextPopen) {
  pid_t pid;
  const auto t0 = Clock::now();
  {
    sp::Popen p({"sleep", "0.3"});
    pid = p.pid();
  }
  EXPECT_LT(seconds_since(t0), 0.3);  // the destructor did not wait
  ASSERT_TRUE(concur_test::wait_until(
      [&] {
        auto st = concur_test::read_proc_stat(pid);
        return st && st->state == 'Z';
      },
      30s));
  sp::Popen({"true"}).wait();
  EXPECT_FALSE(concur_test::read_proc_stat(pid).has_value()) << "the zombie was not reaped";
}

// Writing to a child that closed its stdin: EPIPE (CPython's BrokenPipeError),
// never a SIGPIPE that would kill the parent.
TEST_F(PopenTest, WritingToAChildThatStoppedReadingRaisesEpipeNotSigpipe) {
  sp::Popen p({"true"}, {.stdin = sp::PIPE});
  EXPECT_EQ(p.wait(), 0);
  try {
    p.stdin()->write(std::string(1 << 20, 'x'));
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EPIPE);
  }
}

// _communicate: "except BrokenPipeError: pass  # communicate() must ignore broken pipe errors."
TEST_F(PopenTest, CommunicateIgnoresAChildThatStopsReadingItsInput) {
  sp::Popen p({"head", "-c", "1"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
  auto [out, err] = p.communicate(std::string(std::size_t{16} << 20, 'z'));
  EXPECT_EQ(out, "z");
  EXPECT_EQ(p.returncode(), 0);
}

TEST_F(PopenTest, TextModeStreamsReadUniversalNewlines) {
  sp::Popen p({"printf", "a\\r\\nb\\n"}, {.stdout = sp::PIPE, .text = true});
  EXPECT_EQ(p.stdout()->readline(), "a\n");
  EXPECT_EQ(p.stdout()->read(), "b\n");
  EXPECT_EQ(p.wait(), 0);
}

// What readline() buffered is not lost by a later communicate().
TEST_F(PopenTest, CommunicateReturnsWhatReadlineLeftBuffered) {
  sp::Popen p({"printf", "one\\ntwo\\nthree\\n"}, {.stdout = sp::PIPE});
  EXPECT_EQ(p.stdout()->readline(), "one\n");
  EXPECT_EQ(p.communicate().first, "two\nthree\n");
}

TEST_F(PopenTest, AMovedPopenKeepsItsChildAndStreams) {
  sp::Popen a({"echo", "moved"}, {.stdout = sp::PIPE});
  pid_t pid = a.pid();
  sp::Popen b = std::move(a);
  EXPECT_EQ(b.pid(), pid);
  EXPECT_EQ(b.stdout()->read(), "moved\n");
  EXPECT_EQ(b.wait(), 0);
}

}  // namespace
