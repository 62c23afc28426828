// subprocess.run, CompletedProcess, the older API (call, check_call,
// check_output, getoutput, getstatusoutput), the stream options and the
// errors (concur/subprocess/run.hpp, concur/errors.hpp). Sources: seed 004
// §1.4 "拓展之subprocess" (run(["ls", "-al"]) printing CompletedProcess, the
// run() source with its two ValueErrors and the kill-on-timeout path,
// CompletedProcess.check_returncode, the "Older API" list); CPython 3.11
// Lib/subprocess.py (messages, run, call, check_call, check_output,
// getstatusoutput, _execute_child's FileNotFoundError) and
// Modules/_posixsubprocess.c (close_fds, restore_signals, start_new_session).
// Every message below was checked against /usr/bin/python3 (3.11).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
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

// Every test ends with no zombie children and no leaked fds.
class SubprocessRun : public concur_test::LeakCheckedTest {
 protected:
  concur_test::TempDir dir_;
};

// ------------------------------------------------------------ run, CompletedProcess

// Seed 004 §1.4: result = subprocess.run(["ls", "-al"]); print(result)
// prints the listing (inherited stdout) and
// "CompletedProcess(args=['ls', '-al'], returncode=0)".
TEST_F(SubprocessRun, RunLsAlListsTheDirectoryAndReturnsCompletedProcessWithReturncodeZero) {
  concur_test::write_text(dir_.file("0.assert.py"), "assert True\n");
  std::string listing = dir_.file("listing.txt");
  sp::CompletedProcess result;
  {
    concur_test::FdRedirect redirect(1, listing);  // the child inherits our stdout
    result = sp::run({"ls", "-al"}, {.cwd = dir_.path()});
  }
  EXPECT_EQ(result.returncode, 0);
  EXPECT_EQ(result.repr(), "CompletedProcess(args=['ls', '-al'], returncode=0)");
  EXPECT_FALSE(result.stdout.has_value());
  EXPECT_FALSE(result.stderr.has_value());
  std::string out = concur_test::read_text(listing);
  EXPECT_TRUE(contains(out, "0.assert.py")) << out;
  EXPECT_TRUE(contains(out, " ..\n")) << out;  // -a shows the parent entry
}

// CompletedProcess.__repr__ adds stdout/stderr when captured: bytes, or str
// with text=True.
TEST_F(SubprocessRun, CompletedProcessReprShowsCapturedStreamsAsBytesOrStr) {
  auto r = sp::run({"echo", "hi"}, {.capture_output = true});
  EXPECT_EQ(r.repr(), "CompletedProcess(args=['echo', 'hi'], returncode=0, stdout=b'hi\\n', stderr=b'')");
  auto t = sp::run({"echo", "hi"}, {.capture_output = true, .text = true});
  EXPECT_EQ(t.repr(), "CompletedProcess(args=['echo', 'hi'], returncode=0, stdout='hi\\n', stderr='')");
  EXPECT_EQ(r.args.argv(), (std::vector<std::string>{"echo", "hi"}));
}

// Seed: check_returncode() "如果退出代码非零,则引发CalledProcessError".
TEST_F(SubprocessRun, CheckReturncodeRaisesCalledProcessErrorForANonZeroStatus) {
  auto r = sp::run({"sh", "-c", "exit 3"});
  EXPECT_EQ(r.returncode, 3);
  EXPECT_TRUE(raises<sp::CalledProcessError>([&] { r.check_returncode(); },
                                             "Command '['sh', '-c', 'exit 3']' returned non-zero exit status 3."));
  EXPECT_NO_THROW(sp::run({"true"}).check_returncode());
}

// run(check=True): "if check and retcode: raise CalledProcessError(retcode,
// process.args, output=stdout, stderr=stderr)".
TEST_F(SubprocessRun, RunWithCheckRaisesCalledProcessErrorCarryingReturncodeCmdAndOutput) {
  try {
    sp::run({"sh", "-c", "echo out; echo err >&2; exit 3"}, {.capture_output = true, .check = true});
    FAIL() << "no CalledProcessError";
  } catch (const sp::CalledProcessError& e) {
    EXPECT_STREQ(e.what(), "Command '['sh', '-c', 'echo out; echo err >&2; exit 3']' returned non-zero exit status 3.");
    EXPECT_EQ(e.returncode(), 3);
    EXPECT_EQ(e.cmd().argv(), (std::vector<std::string>{"sh", "-c", "echo out; echo err >&2; exit 3"}));
    EXPECT_EQ(e.output(), "out\n");
    EXPECT_EQ(e.stdout(), "out\n");
    EXPECT_EQ(e.stderr(), "err\n");
    const sp::SubprocessError& base = e;  // CalledProcessError(SubprocessError)
    EXPECT_NE(base.what(), nullptr);
  }
}

// Popen.returncode: "A negative value -N indicates that the child was
// terminated by signal N"; CalledProcessError.__str__: "died with %r" of
// signal.Signals.
TEST_F(SubprocessRun, ASignalledChildHasNegativeReturncodeAndCheckSaysDiedWithTheSignal) {
  EXPECT_EQ(sp::run({"sh", "-c", "kill -9 $$"}).returncode, -9);
  EXPECT_TRUE(raises<sp::CalledProcessError>([] { sp::run({"sh", "-c", "kill -9 $$"}, {.check = true}); },
                                             "Command '['sh', '-c', 'kill -9 $$']' died with <Signals.SIGKILL: 9>."));
}

// CalledProcessError.__str__ for a signal Signals does not know, and str(cmd)
// of a string cmd and of a list with quotes (Python's repr rules).
TEST_F(SubprocessRun, CalledProcessErrorMessagesQuotePythonsStrOfTheCommand) {
  EXPECT_STREQ(sp::CalledProcessError(-200, {"x"}).what(), "Command '['x']' died with unknown signal 200.");
  EXPECT_STREQ(sp::CalledProcessError(-15, {"x"}).what(), "Command '['x']' died with <Signals.SIGTERM: 15>.");
  EXPECT_STREQ(sp::CalledProcessError(1, "it's").what(), "Command 'it's' returned non-zero exit status 1.");
  EXPECT_STREQ(sp::CalledProcessError(1, {"a'b", "c\"d", "e\n"}).what(),
               "Command '[\"a'b\", 'c\"d', 'e\\n']' returned non-zero exit status 1.");
  EXPECT_STREQ(sp::TimeoutExpired({"a"}, 0.25s).what(), "Command '['a']' timed out after 0.25 seconds");
  EXPECT_STREQ(sp::TimeoutExpired("sleep 5", 1s).what(), "Command 'sleep 5' timed out after 1.0 seconds");
}

// Seed (run source): on TimeoutExpired "process.kill()" and then, on POSIX,
// "process.wait()" (3.11: "_communicate already populated the output so far
// into the TimeoutExpired exception") and re-raise.
TEST_F(SubprocessRun, RunTimeoutKillsAndReapsTheChildAndRaisesTimeoutExpiredWithTheOutputSoFar) {
  const auto t0 = Clock::now();
  try {
    sp::run({"sh", "-c", "echo hi; exec sleep 30"}, {.capture_output = true, .timeout = 0.5s});
    FAIL() << "no TimeoutExpired";
  } catch (const sp::TimeoutExpired& e) {
    EXPECT_STREQ(e.what(), "Command '['sh', '-c', 'echo hi; exec sleep 30']' timed out after 0.5 seconds");
    EXPECT_EQ(e.output(), "hi\n");
    EXPECT_FALSE(e.stderr().has_value());  // nothing was read from stderr: None
    EXPECT_EQ(e.timeout(), 0.5s);
  }
  EXPECT_GE(seconds_since(t0), 0.5);
  EXPECT_LT(seconds_since(t0), 20);
  EXPECT_TRUE(concur_test::children_with_cmdline("sleep 30").empty()) << "the child was not killed";
}

TEST_F(SubprocessRun, RunTimeoutWithoutPipesAlsoKillsAndReaps) {
  EXPECT_TRUE(raises<sp::TimeoutExpired>([] { sp::run({"sleep", "30"}, {.timeout = 0.2s}); },
                                         "Command '['sleep', '30']' timed out after 0.2 seconds"));
  EXPECT_TRUE(concur_test::children_with_cmdline("sleep 30").empty());
}

// Seed (run source): "if 'stdin' in kwargs: raise ValueError(...)".
TEST_F(SubprocessRun, InputTogetherWithStdinRaisesValueError) {
  EXPECT_TRUE(raises<concur::ValueError>([] { sp::run({"true"}, {.input = "x", .stdin = sp::PIPE}); },
                                         "stdin and input arguments may not both be used."));
}

// Seed (run source): capture_output with stdout or stderr.
TEST_F(SubprocessRun, CaptureOutputTogetherWithStdoutOrStderrRaisesValueError) {
  const char* msg = "stdout and stderr arguments may not be used with capture_output.";
  EXPECT_TRUE(raises<concur::ValueError>([] { sp::run({"true"}, {.capture_output = true, .stdout = sp::PIPE}); }, msg));
  EXPECT_TRUE(raises<concur::ValueError>([] { sp::run({"true"}, {.capture_output = true, .stderr = sp::DEVNULL}); }, msg));
}

TEST_F(SubprocessRun, InputIsWrittenToTheChildsStdinWhichIsThenClosed) {
  EXPECT_EQ(sp::run({"cat"}, {.input = "hello", .capture_output = true}).stdout, "hello");
  EXPECT_EQ(sp::run({"cat"}, {.input = "", .capture_output = true}).stdout, "");  // "" still closes stdin
}

// text=True: universal newlines ("\r\n" and "\r" read as "\n").
TEST_F(SubprocessRun, TextModeTranslatesUniversalNewlines) {
  EXPECT_EQ(sp::run({"printf", "a\\r\\nb\\rc\\n"}, {.capture_output = true, .text = true}).stdout, "a\nb\nc\n");
  EXPECT_EQ(sp::run({"printf", "a\\r\\nb\\rc\\n"}, {.capture_output = true}).stdout, "a\r\nb\rc\n");
}

// Seed, Constants: "STDOUT: 特殊值,表示`stderr`应该转到`stdout`".
TEST_F(SubprocessRun, StderrEqualsStdoutMergesStderrIntoStdout) {
  auto r = sp::run({"sh", "-c", "echo out; echo err >&2"}, {.stdout = sp::PIPE, .stderr = sp::STDOUT});
  EXPECT_EQ(r.stdout, "out\nerr\n");
  EXPECT_FALSE(r.stderr.has_value());
}

// Seed, Constants: "DEVNULL: 特殊值,表示应该使用`os.devnull`".
TEST_F(SubprocessRun, DevnullGivesAnEmptyStdinAndDiscardsOutput) {
  EXPECT_EQ(sp::run({"cat"}, {.stdin = sp::DEVNULL, .stdout = sp::PIPE}).stdout, "");
  auto r = sp::run({"sh", "-c", "echo lost; echo kept >&2"}, {.stdout = sp::DEVNULL, .stderr = sp::PIPE});
  EXPECT_FALSE(r.stdout.has_value());
  EXPECT_EQ(r.stderr, "kept\n");
}

// An existing file descriptor is used as is, and stays open in the parent.
TEST_F(SubprocessRun, AFileDescriptorRedirectsTheStreamAndStaysOpen) {
  std::string path = dir_.file("out.txt");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sp::run({"echo", "to a file"}, {.stdout = fd}).returncode, 0);
  EXPECT_GE(::fcntl(fd, F_GETFD), 0) << "the parent's fd was closed";
  ::close(fd);
  EXPECT_EQ(concur_test::read_text(path), "to a file\n");
}

TEST_F(SubprocessRun, CwdRunsTheChildInThatDirectory) {
  auto r = sp::run({"pwd"}, {.capture_output = true, .cwd = dir_.path()});
  EXPECT_EQ(r.stdout, std::filesystem::canonical(dir_.path()).string() + "\n");
}

// _execute_child: a failed chdir(cwd) raises the OSError naming cwd.
TEST_F(SubprocessRun, AMissingCwdRaisesFileNotFoundErrorNamingItAndLeavesNoZombie) {
  EXPECT_TRUE(raises<concur::FileNotFoundError>([] { sp::run({"true"}, {.cwd = "/nonexistent_dir_concur"}); },
                                                "[Errno 2] No such file or directory: '/nonexistent_dir_concur'"));
  EXPECT_TRUE(concur_test::zombie_children().empty());
}

// env replaces the whole environment; the program is searched in env's PATH.
TEST_F(SubprocessRun, EnvReplacesTheEnvironmentAndItsPathIsSearched) {
  auto r = sp::run({"/usr/bin/env"}, {.capture_output = true, .env = std::map<std::string, std::string>{{"A", "1"}}});
  EXPECT_EQ(r.stdout, "A=1\n");
  EXPECT_TRUE(raises<concur::FileNotFoundError>(
      [] { sp::run({"true"}, {.env = std::map<std::string, std::string>{{"PATH", "/nonexistent_concur"}}}); },
      "[Errno 2] No such file or directory: 'true'"));
}

// Issue 6: "A missing executable raises FileNotFoundError naming it, and
// leaves no zombie" (CPython: "[Errno 2] No such file or directory: 'x'").
TEST_F(SubprocessRun, AMissingExecutableRaisesFileNotFoundErrorNamingItAndLeavesNoZombie) {
  EXPECT_TRUE(raises<concur::FileNotFoundError>([] { sp::run({"nonexistent_cmd_xyz"}); },
                                                "[Errno 2] No such file or directory: 'nonexistent_cmd_xyz'"));
  // An absolute path is not searched: execve itself fails in the child.
  EXPECT_TRUE(raises<concur::FileNotFoundError>([] { sp::run({"/nonexistent/abs"}); },
                                                "[Errno 2] No such file or directory: '/nonexistent/abs'"));
  EXPECT_TRUE(raises<concur::FileNotFoundError>([] { sp::Popen p({"/nonexistent/abs"}); }, "[Errno 2]"));
  EXPECT_TRUE(concur_test::zombie_children().empty());
}

TEST_F(SubprocessRun, ANonExecutableFileRaisesPermissionError) {
  EXPECT_TRUE(raises<concur::PermissionError>([] { sp::run({"/etc/passwd"}); },
                                              "[Errno 13] Permission denied: '/etc/passwd'"));
  EXPECT_TRUE(concur_test::zombie_children().empty());
}

// CPython: args[0] of an empty list raises IndexError.
TEST_F(SubprocessRun, AnEmptyArgumentListRaisesIndexError) {
  EXPECT_TRUE(raises<concur::IndexError>([] { sp::run(std::vector<std::string>{}); }, "list index out of range"));
}

// shell=True: "args = [unix_shell, "-c"] + args"; str(cmd) is the string.
TEST_F(SubprocessRun, ShellRunsTheCommandStringThroughBinSh) {
  EXPECT_EQ(sp::run("echo $((1+2))", {.capture_output = true, .shell = true}).stdout, "3\n");
  EXPECT_TRUE(raises<sp::CalledProcessError>([] { sp::run("exit 3", {.check = true, .shell = true}); },
                                             "Command 'exit 3' returned non-zero exit status 3."));
}

// executable= replaces the program; args[0] stays the child's argv[0].
TEST_F(SubprocessRun, ExecutableReplacesTheProgramAndArgsZeroStaysArgvZero) {
  auto r = sp::run({"my-name", "-c", "echo $0"}, {.capture_output = true, .executable = "/bin/sh"});
  EXPECT_EQ(r.stdout, "my-name\n");
}

// close_fds=True (the default) closes inheritable fds >= 3 in the child;
// pass_fds keeps the listed ones open.
TEST_F(SubprocessRun, CloseFdsClosesInheritedFdsAndPassFdsKeepsThem) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);  // inheritable on purpose
  std::string cmd = "echo through >&" + std::to_string(p[1]);
  EXPECT_NE(sp::run({"sh", "-c", cmd}, {.stderr = sp::DEVNULL}).returncode, 0) << "fd was not closed";
  EXPECT_EQ(sp::run({"sh", "-c", cmd}, {.pass_fds = {p[1]}}).returncode, 0);
  ::close(p[1]);
  char buf[64] = {};
  EXPECT_EQ(::read(p[0], buf, sizeof buf), 8);
  EXPECT_STREQ(buf, "through\n");
  ::close(p[0]);
}

// start_new_session=True: setsid() in the child (its session id is its pid).
TEST_F(SubprocessRun, StartNewSessionMakesTheChildASessionLeader) {
  auto fields = [](const std::string& stat) {
    std::vector<std::string> f;
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    for (std::string x; in >> x;) f.push_back(x);
    return f;  // state ppid pgrp session ...
  };
  auto r = sp::run({"sh", "-c", "echo $$; cat /proc/$$/stat"}, {.capture_output = true, .start_new_session = true});
  auto lines = concur_test::split_lines(*r.stdout);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(fields(lines[1]).at(3), lines[0]);
  auto same = sp::run({"sh", "-c", "echo $$; cat /proc/$$/stat"}, {.capture_output = true});
  auto same_lines = concur_test::split_lines(*same.stdout);
  EXPECT_NE(fields(same_lines.at(1)).at(3), same_lines.at(0));
}

// restore_signals=True: SIGPIPE (and SIGXFSZ) are default in the child even
// when the parent ignores them (CPython's own parent always does).
TEST_F(SubprocessRun, TheChildStartsWithDefaultSigpipeEvenWhenTheParentIgnoresIt) {
  auto old = ::signal(SIGPIPE, SIG_IGN);
  auto r = sp::run({"grep", "SigIgn", "/proc/self/status"}, {.capture_output = true});
  ::signal(SIGPIPE, old);
  ASSERT_TRUE(r.stdout);
  unsigned long long mask = std::strtoull(r.stdout->substr(r.stdout->find(':') + 1).c_str(), nullptr, 16);
  EXPECT_EQ(mask & (1ull << (SIGPIPE - 1)), 0u) << *r.stdout;
}

// ------------------------------------------------------------ older API

// Seed, Older API: "call(...): 运行命令,等待它完成,然后返回返回码".
TEST_F(SubprocessRun, CallReturnsTheReturncode) {
  EXPECT_EQ(sp::call({"sh", "-c", "exit 4"}), 4);
  EXPECT_EQ(sp::call({"true"}), 0);
}

// call(): "except: p.kill(); raise" and Popen.__exit__ waits.
TEST_F(SubprocessRun, CallWithTimeoutKillsReapsAndRaisesTimeoutExpired) {
  EXPECT_TRUE(raises<sp::TimeoutExpired>([] { sp::call({"sleep", "30"}, {.timeout = 0.2s}); },
                                         "Command '['sleep', '30']' timed out after 0.2 seconds"));
  EXPECT_TRUE(concur_test::children_with_cmdline("sleep 30").empty());
}

// Seed: "check_call(...): ... raises CalledProcessError() if return code is not 0".
TEST_F(SubprocessRun, CheckCallRaisesCalledProcessErrorForANonZeroStatus) {
  EXPECT_NO_THROW(sp::check_call({"true"}));
  EXPECT_TRUE(raises<sp::CalledProcessError>([] { sp::check_call({"sh", "-c", "exit 4"}); },
                                             "Command '['sh', '-c', 'exit 4']' returned non-zero exit status 4."));
}

// Seed: "check_output(...): 与check_call()相同,但返回`stdout`的内容".
TEST_F(SubprocessRun, CheckOutputReturnsStdoutAndRaisesWithTheOutputOnFailure) {
  EXPECT_EQ(sp::check_output({"echo", "out"}), "out\n");
  try {
    sp::check_output({"sh", "-c", "echo partial; exit 5"});
    FAIL() << "no CalledProcessError";
  } catch (const sp::CalledProcessError& e) {
    EXPECT_EQ(e.returncode(), 5);
    EXPECT_EQ(e.output(), "partial\n");
  }
  EXPECT_TRUE(raises<concur::ValueError>([] { sp::check_output({"true"}, {.stdout = sp::PIPE}); },
                                         "stdout argument not allowed, it will be overridden."));
}

// Seed: "getstatusoutput(...): 在shell中运行命令 ... 返回一个(exitcode,output)元组";
// CPython: stderr=STDOUT, text, one trailing newline stripped.
TEST_F(SubprocessRun, GetstatusoutputRunsThroughTheShellMergingStderrAndStrippingOneNewline) {
  EXPECT_EQ(sp::getstatusoutput("echo a; echo b >&2; exit 3"), (std::pair<int, std::string>{3, "a\nb"}));
  EXPECT_EQ(sp::getstatusoutput("kill -9 $$"), (std::pair<int, std::string>{-9, ""}));
  EXPECT_EQ(sp::getstatusoutput("printf 'x\\r\\n'"), (std::pair<int, std::string>{0, "x"}));
}

// Seed: "getoutput(...): 在shell中运行命令,等待它完成,然后返回输出".
TEST_F(SubprocessRun, GetoutputReturnsTheShellsOutput) {
  EXPECT_EQ(sp::getoutput("printf 'x\\n\\n'"), "x\n");
  EXPECT_EQ(sp::getoutput("echo $((6*7))"), "42");
}

// Contract: run() may be called from several threads at once.
TEST_F(SubprocessRun, RunFromSeveralThreadsAtOnce) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string word = std::to_string(t) + "-" + std::to_string(i);
        if (sp::run({"echo", word}, {.capture_output = true}).stdout == word + "\n") ++ok;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
