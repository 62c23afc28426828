// conformance/hygiene_probe.cpp — deliberate leaks for hygiene_selftest.sh,
// which proves that each check of the "hygiene" fixture (hygiene_check.sh and
// the HygieneEnvironment of every conformance binary) fails on the leak it
// exists to catch. Not part of the suite: the binary is not discovered by
// CTest, and every test skips unless CONCUR_HYGIENE_PROBE=1. The self-test
// removes each leak after the check has seen it.
//
// With CONCUR_HYGIENE_PROBE_PIDS=<file>, OrphansAForkserver writes there the
// pids the self-test must kill afterwards (the holder, then the forkserver).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/spawn.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using namespace concur_test;

namespace {

void do_nothing() {}
CONCUR_REGISTER_TARGET(do_nothing);

class HygieneProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* on = std::getenv("CONCUR_HYGIENE_PROBE");
    if (on == nullptr || std::string(on) != "1") GTEST_SKIP() << "deliberate leaks: set CONCUR_HYGIENE_PROBE=1";
  }
};

}  // namespace

// An fd open after the last test: the HygieneEnvironment's verdict is LEAK.
TEST_F(HygieneProbe, LeaksAnFd) {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
}

// A child that ended and was never waited for: a zombie at the end.
TEST_F(HygieneProbe, LeavesAZombie) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(0);
  ASSERT_TRUE(wait_until([&] { return !pid_running(pid); }, std::chrono::seconds(10)));
}

// A segment named like SharedMemory's ("psm_" + 8 hex digits), never
// unlinked and not registered with the resource tracker. Prints its name.
TEST_F(HygieneProbe, LeavesAShmSegment) {
  char name[32];
  std::snprintf(name, sizeof name, "/psm_%08x", static_cast<unsigned>(::getpid()) * 2654435761u);
  int fd = ::shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << name;
  ::close(fd);
  std::printf("segment %s\n", name + 1);
}

// A forkserver that outlives its parent: a forked holder keeps a copy of the
// control socket (so the server sees no EOF when this process exits) and
// leaves a zombie child of its own, then sleeps for 60 s.
TEST_F(HygieneProbe, OrphansAForkserver) {
  auto p = mp::get_context("forkserver").Process(do_nothing);
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  auto servers = forkserver_pids();
  ASSERT_EQ(servers.size(), 1u);
  flush_std_streams();
  pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    if (::fork() == 0) ::_exit(0);
    // A signal handler of the library (SIGCHLD) may cut a sleep short.
    for (unsigned left = 60; left > 0;) left = ::sleep(left);
    ::_exit(0);
  }
  if (const char* out = std::getenv("CONCUR_HYGIENE_PROBE_PIDS"))
    write_text(out, std::to_string(holder) + " " + std::to_string(servers[0]) + "\n");
}
