// concur/detail/inheritance.hpp — objects that own fds reach a child under
// every start method (CPython: Popen.duplicate_for_child, reduction.DupFd),
// and objects shareable only by inheritance refuse any other serialization
// (CPython context.assert_spawning: "Queue objects should only be shared
// between processes through inheritance").
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using namespace std::chrono_literals;

#include "concur/detail/fd.hpp"
#include "concur/detail/inheritance.hpp"
#include "concur/multiprocessing.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using concur::detail::UniqueFd;

namespace {

// A minimal fd-owning argument, shaped like Connection will be: under fork it
// is copied with the process; under spawn/forkserver it travels by slot.
struct WriteEnd {
  int fd = -1;
  template <class A>
  void save(A& ar) const {
    ar(concur::detail::send_fd_to_child(fd));
  }
  template <class A>
  void load(A& ar) {
    std::uint32_t slot = 0;
    ar(slot);
    fd = concur::detail::receive_fd_from_parent(slot);
  }
};

void write_through(WriteEnd w, std::string text) {
  if (::write(w.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw std::runtime_error("write");
  int flags = ::fcntl(w.fd, F_GETFD);
  // Inherited fds keep the project's close-on-exec convention.
  if (!(flags & FD_CLOEXEC)) throw concur::SystemExit(3);
}
CONCUR_REGISTER_TARGET(write_through);

struct OnlyByInheritance {
  template <class A>
  void serialize(A&) {
    concur::detail::assert_spawning("OnlyByInheritance");
  }
};

void take_inheritable(OnlyByInheritance) {}
CONCUR_REGISTER_TARGET(take_inheritable);

void send_hello(mp::Connection w) { w.send_bytes("hello"); }
CONCUR_REGISTER_TARGET(send_hello);

}  // namespace

class Inheritance : public ::testing::TestWithParam<std::string> {};

TEST_P(Inheritance, AnFdOwningArgumentReachesTheChild) {
  auto [r, w] = concur::detail::make_pipe();
  auto p = mp::get_context(GetParam()).Process(write_through, WriteEnd{w.get()}, std::string("through the pipe"));
  p.start();
  w.reset();  // the child holds its own copy now
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(concur::detail::read_to_end(r.get()), "through the pipe");
}

TEST_P(Inheritance, ObjectsSharedOnlyByInheritanceCrossAtStart) {
  auto p = mp::get_context(GetParam()).Process(take_inheritable, OnlyByInheritance{});
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// CPython process.py start(): "del self._target, self._args, self._kwargs"
// (bpo-30775). Once the child has its arguments the parent's Process lets go
// of them, so the write end held only by the Process object closes and the
// reader sees EOF after the child exits.
TEST_P(Inheritance, StartReleasesTheArgumentsInTheParent) {
  const mp::Context& ctx = mp::get_context(GetParam());
  auto [r, w] = ctx.Pipe(false);
  auto p = ctx.Process(send_hello, std::move(w));  // only the Process holds the write end now
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(r.recv_bytes(), "hello");
  ASSERT_TRUE(r.poll(10s)) << "the parent's Process still holds the write end";
  EXPECT_THROW(r.recv_bytes(), concur::EOFError);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, Inheritance, ::testing::Values("fork", "spawn", "forkserver"));

TEST(InheritanceOutsideStart, SerializingAnInheritanceOnlyObjectRaisesRuntimeError) {
  try {
    (void)concur::serialization::dumps(OnlyByInheritance{});
    FAIL() << "no exception";
  } catch (const concur::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "OnlyByInheritance objects should only be shared between processes through inheritance");
  }
}

TEST(InheritanceOutsideStart, SendingAnFdOutsideStartRaisesRuntimeError) {
  EXPECT_THROW((void)concur::serialization::dumps(WriteEnd{1}), concur::RuntimeError);
}
