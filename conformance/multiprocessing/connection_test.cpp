// Conformance tests of concur::multiprocessing::Pipe, Connection and
// connection::wait (concur/multiprocessing/connection.hpp; seed 004 §1.5
// "进程间通信~PIPE管道通信"; CPython Lib/multiprocessing/connection.py and
// Lib/test/_test_multiprocessing.py _TestConnection).
//
// Tests with children run under the three start methods. Every test asserts
// in its fixture that no zombie child is left and that the count of open fds
// is back to its baseline (the forkserver may add its one control socket).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <vector>

#include "concur/detail/fd.hpp"
#include "concur/errors.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "concur/multiprocessing/connection.hpp"
#include "support/leak_checked.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using mp::Connection;
using mp::connection::Waitable;
using namespace concur_test;
using namespace std::chrono_literals;

namespace {

// ============================================================ values

struct Point {  // bitwise: crosses by memcpy
  int x;
  double y;
};

struct Named {  // cereal: crosses through the archive
  std::string name;
  std::vector<int> values;
  template <class A>
  void serialize(A& ar) {
    ar(name, values);
  }
  bool operator==(const Named&) const = default;
};

void print_line(const std::string& s) {
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

// ============================================================ child targets

// Seed 004 §1.5, first example:
//   def test(w):
//       w.send("[子进程]老爸,老妈回来记得喊我一下~")
//       msg = w.recv()
//       print(msg)
void seed_test(Connection w) {
  w.send("[子进程]老爸,老妈回来记得喊我一下~");
  auto msg = w.recv<std::string>();
  print_line(msg);
}
CONCUR_REGISTER_TARGET(seed_test);

// Seed 004 §1.5, second example (w is the write-only end of Pipe(duplex=False)):
//   def test(w):
//       w.send("[子进程]老爸,咱们完了,老妈一直在门口~")
void seed_test_simplex(Connection w) { w.send("[子进程]老爸,咱们完了,老妈一直在门口~"); }
CONCUR_REGISTER_TARGET(seed_test_simplex);

// Seed 001 进程通信/管道:
//   def f(conn): conn.send([42, None, 'hello']); conn.close()
using SeedList = std::tuple<int, std::optional<std::string>, std::string>;
void seed001_send_list_and_close(Connection conn) {
  conn.send(SeedList{42, std::nullopt, "hello"});
  conn.close();
}
CONCUR_REGISTER_TARGET(seed001_send_list_and_close);

void send_big(Connection w, std::size_t size) { w.send_bytes(std::string(size, 'x')); }
CONCUR_REGISTER_TARGET(send_big);

// Reports what the child sees of the two ends it got, through `report`.
void report_flags(Connection r, Connection w, Connection report) {
  std::string s;
  s += "r:" + std::to_string(r.readable()) + std::to_string(r.writable()) + std::to_string(r.closed());
  s += " w:" + std::to_string(w.readable()) + std::to_string(w.writable()) + std::to_string(w.closed());
  try {
    w.recv_bytes();
  } catch (const concur::OSError& e) {
    s += std::string(" w.recv:") + e.what();
  }
  try {
    r.send_bytes("x");
  } catch (const concur::OSError& e) {
    s += std::string(" r.send:") + e.what();
  }
  int flags = ::fcntl(r.fileno(), F_GETFD);
  s += (flags & FD_CLOEXEC) ? " cloexec" : " inheritable";
  report.send(s);
}
CONCUR_REGISTER_TARGET(report_flags);

void send_n_then_exit(Connection w, int n) {
  for (int i = 0; i < n; ++i) w.send(i);
}
CONCUR_REGISTER_TARGET(send_n_then_exit);

// Echoes every message back, transformed, until it receives "stop".
void echo_server(Connection c) {
  for (;;) {
    auto msg = c.recv<std::string>();
    if (msg == "stop") return;
    c.send("echo:" + msg);
  }
}
CONCUR_REGISTER_TARGET(echo_server);

// Waits for one message, answers it, exits.
void answer_once(Connection c) {
  auto msg = c.recv<Named>();
  msg.values.push_back(static_cast<int>(msg.values.size()));
  c.send(msg);
}
CONCUR_REGISTER_TARGET(answer_once);

void exit_at_once(Connection) {}
CONCUR_REGISTER_TARGET(exit_at_once);

// ============================================================ fixtures

std::string method_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class PipeConformance : public ::testing::Test, public concur_test::LeakChecked {
 protected:
  void SetUp() override { record_baseline(); }
  void TearDown() override { check_leaks(false); }
};

class PipeProcessConformance : public ::testing::TestWithParam<std::string>, public concur_test::LeakChecked {
 protected:
  const mp::Context& ctx() const { return mp::get_context(GetParam()); }
  void SetUp() override { record_baseline(); }
  void TearDown() override { check_leaks(GetParam() == "forkserver"); }
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(StartMethods, PipeProcessConformance, ::testing::Values("fork", "spawn", "forkserver"),
                         method_name);

class PipeFreshImage : public PipeProcessConformance {};
INSTANTIATE_TEST_SUITE_P(StartMethods, PipeFreshImage, ::testing::Values("spawn", "forkserver"), method_name);

// Writes raw bytes to fd (frames built by hand).
void raw_write(int fd, const std::string& bytes) { concur::detail::write_all(fd, bytes); }

std::string be32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

// A raw pipe whose read end is a read-only Connection; returns {conn, write fd}.
std::pair<Connection, concur::detail::UniqueFd> raw_reader() {
  auto [r, w] = concur::detail::make_pipe();
  Connection c(r.release(), true, false);
  return {std::move(c), std::move(w)};
}

std::string describe(const std::vector<Waitable>& v) {
  std::string s;
  for (const auto& w : v) {
    if (auto* c = std::get_if<Connection*>(&w))
      s += "conn@" + std::to_string(reinterpret_cast<std::uintptr_t>(*c)) + " ";
    else
      s += "fd" + std::to_string(std::get<int>(w)) + " ";
  }
  return s;
}

}  // namespace

// ============================================================ Pipe() shapes

// connection.py Pipe(): duplex → socketpair, both ends readable and writable.
TEST_F(PipeConformance, DuplexPipeIsASocketpairWhoseEndsBothReadAndWrite) {
  auto [a, b] = mp::Pipe();
  for (Connection* c : {&a, &b}) {
    EXPECT_TRUE(c->readable());
    EXPECT_TRUE(c->writable());
    EXPECT_FALSE(c->closed());
    struct stat st{};
    ASSERT_EQ(::fstat(c->fileno(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
  }
  a.send(std::string("a->b"));
  b.send(std::string("b->a"));
  EXPECT_EQ(b.recv<std::string>(), "a->b");
  EXPECT_EQ(a.recv<std::string>(), "b->a");
}

// connection.py Pipe(duplex=False): os.pipe(); c1 = Connection(fd1,
// writable=False), c2 = Connection(fd2, readable=False). Seed 004 §1.5
// "r, w = Pipe(duplex=False)".
TEST_F(PipeConformance, SimplexPipeFirstEndOnlyReadsSecondOnlyWrites) {
  auto [r, w] = mp::Pipe(false);
  EXPECT_TRUE(r.readable());
  EXPECT_FALSE(r.writable());
  EXPECT_FALSE(w.readable());
  EXPECT_TRUE(w.writable());
  struct stat st{};
  ASSERT_EQ(::fstat(r.fileno(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  w.send(42);
  EXPECT_EQ(r.recv<int>(), 42);
}

// connection.py _check_writable: OSError("connection is read-only").
TEST_F(PipeConformance, SendingOnTheReadOnlyEndRaisesConnectionIsReadOnly) {
  auto [r, w] = mp::Pipe(false);
  EXPECT_TRUE(raises<concur::OSError>([&] { r.send(1); }, "connection is read-only"));
  EXPECT_TRUE(raises<concur::OSError>([&] { r.send("text"); }, "connection is read-only"));
  EXPECT_TRUE(raises<concur::OSError>([&] { r.send_bytes("x"); }, "connection is read-only"));
}

// connection.py _check_readable: OSError("connection is write-only").
TEST_F(PipeConformance, ReceivingOnTheWriteOnlyEndRaisesConnectionIsWriteOnly) {
  auto [r, w] = mp::Pipe(false);
  std::array<std::byte, 8> buf{};
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)w.recv<int>(); }, "connection is write-only"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)w.recv_bytes(); }, "connection is write-only"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)w.recv_bytes_into(buf); }, "connection is write-only"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)w.poll(); }, "connection is write-only"));
}

// connection.py _check_closed: OSError("handle is closed"); close() is
// idempotent; `closed` becomes True.
TEST_F(PipeConformance, EveryUseOfAClosedConnectionRaisesHandleIsClosed) {
  auto [a, b] = mp::Pipe();
  a.close();
  a.close();
  EXPECT_TRUE(a.closed());
  EXPECT_FALSE(b.closed());
  std::array<std::byte, 8> buf{};
  EXPECT_TRUE(raises<concur::OSError>([&] { a.send(1); }, "handle is closed"));
  EXPECT_TRUE(raises<concur::OSError>([&] { a.send_bytes("x"); }, "handle is closed"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)a.recv<int>(); }, "handle is closed"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)a.recv_bytes(); }, "handle is closed"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)a.recv_bytes_into(buf); }, "handle is closed"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)a.poll(); }, "handle is closed"));
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)a.fileno(); }, "handle is closed"));
  // A default-constructed (or moved-from) Connection is closed too.
  Connection none;
  EXPECT_TRUE(none.closed());
  EXPECT_FALSE(none.readable());
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)none.fileno(); }, "handle is closed"));
  Connection moved = std::move(b);
  EXPECT_TRUE(b.closed());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_FALSE(moved.closed());
}

// connection.hpp: copies share one fd, like references to one Python object;
// close() closes it for every copy.
TEST_F(PipeConformance, CloseOnOneCopyClosesEveryCopy) {
  int before = count_open_fds();
  auto [a, b] = mp::Pipe();
  Connection copy = a;
  EXPECT_EQ(copy.fileno(), a.fileno());
  EXPECT_EQ(count_open_fds(), before + 2) << "a copy must not dup the fd";
  copy.close();
  EXPECT_TRUE(a.closed());
  EXPECT_EQ(count_open_fds(), before + 1);
}

// connection.hpp Lifetime: the fd is closed with the last copy (CPython __del__).
TEST_F(PipeConformance, TheFdIsClosedWhenTheLastCopyIsDestroyed) {
  int before = count_open_fds();
  {
    auto [r, w] = mp::Pipe(false);
    Connection keep = r;
    {
      auto [a, b] = mp::Pipe();
      EXPECT_EQ(count_open_fds(), before + 4);
    }
    EXPECT_EQ(count_open_fds(), before + 2);
  }
  EXPECT_EQ(count_open_fds(), before);
}

// DESIGN.md: every fd is close-on-exec from birth.
TEST_F(PipeConformance, BothKindsOfPipeAreCloseOnExec) {
  auto [a, b] = mp::Pipe();
  auto [r, w] = mp::Pipe(false);
  for (Connection* c : {&a, &b, &r, &w}) EXPECT_TRUE(::fcntl(c->fileno(), F_GETFD) & FD_CLOEXEC);
}

// connection.py _ConnectionBase.__init__: ValueError("invalid handle") and
// ValueError("at least one of `readable` and `writable` must be True").
TEST_F(PipeConformance, ConstructingFromABadHandleOrNoDirectionRaisesValueError) {
  EXPECT_TRUE(raises<concur::ValueError>([] { Connection c(-1); }, "invalid handle"));
  auto [r, w] = concur::detail::make_pipe();
  EXPECT_TRUE(raises<concur::ValueError>([&] { Connection c(r.get(), false, false); },
                                         "at least one of `readable` and `writable` must be True"));
  Connection owner(r.release(), true, false);  // takes ownership: closed by the fixture's count
  EXPECT_TRUE(owner.readable());
}

// ============================================================ send / recv

// connection.py send/recv: pickled objects; here concur::serialization.
TEST_F(PipeConformance, SendAndRecvRoundTripSerializableValues) {
  auto [a, b] = mp::Pipe();
  a.send(7);
  a.send(2.5);
  a.send(std::string("文本"));
  a.send("literal");
  a.send(std::vector<int>{1, 2, 3});
  a.send(std::map<std::string, int>{{"a", 1}, {"b", 2}});
  a.send(Point{3, 4.5});
  a.send(Named{"n", {9, 8}});
  a.send(std::tuple<int, std::string>{1, "t"});
  EXPECT_EQ(b.recv<int>(), 7);
  EXPECT_EQ(b.recv<double>(), 2.5);
  EXPECT_EQ(b.recv<std::string>(), "文本");
  EXPECT_EQ(b.recv<std::string>(), "literal");
  EXPECT_EQ(b.recv<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ((b.recv<std::map<std::string, int>>()), (std::map<std::string, int>{{"a", 1}, {"b", 2}}));
  auto p = b.recv<Point>();
  EXPECT_EQ(p.x, 3);
  EXPECT_EQ(p.y, 4.5);
  EXPECT_EQ(b.recv<Named>(), (Named{"n", {9, 8}}));
  EXPECT_EQ((b.recv<std::tuple<int, std::string>>()), (std::tuple<int, std::string>{1, "t"}));
  EXPECT_FALSE(b.poll());
}

// serialization.hpp: bytes that do not decode as T raise UnpicklingError
// (CPython: pickle errors from loads).
TEST_F(PipeConformance, RecvOfTheWrongTypeRaisesUnpicklingError) {
  auto [a, b] = mp::Pipe();
  a.send(std::string("abc"));
  EXPECT_THROW((void)b.recv<std::int64_t>(), concur::UnpicklingError);
}

// Send and recv_bytes speak the same framing: send(str) is recv_bytes-able.
TEST_F(PipeConformance, SendBytesAndRecvBytesCarryRawBytesIncludingEmptyMessages) {
  auto [a, b] = mp::Pipe();
  a.send_bytes("hello");
  a.send_bytes("");
  a.send_bytes(std::string("with\0nul", 8));
  EXPECT_EQ(b.recv_bytes(), "hello");
  EXPECT_EQ(b.recv_bytes(), "");
  EXPECT_EQ(b.recv_bytes(), std::string("with\0nul", 8));
}

// _TestConnection.test_connection: send_bytes(arr, offset, size) in bytes;
// a non-byte buffer is viewed as bytes (memoryview.cast('B')).
TEST_F(PipeConformance, SendBytesOffsetAndSizeSelectASliceCountedInBytes) {
  auto [a, b] = mp::Pipe();
  std::string msg = "0123456789";
  a.send_bytes(msg, 3);
  a.send_bytes(msg, 3, 4);
  a.send_bytes(msg, 10);
  a.send_bytes(msg, 0, 0);
  std::vector<std::int32_t> ints{1, 2, 3, 4};
  a.send_bytes(ints, 4, 8);
  std::vector<std::byte> raw{std::byte{1}, std::byte{2}};
  a.send_bytes(raw);
  EXPECT_EQ(b.recv_bytes(), "3456789");
  EXPECT_EQ(b.recv_bytes(), "3456");
  EXPECT_EQ(b.recv_bytes(), "");
  EXPECT_EQ(b.recv_bytes(), "");
  std::string two = b.recv_bytes();
  ASSERT_EQ(two.size(), 8u);
  std::int32_t got[2];
  std::memcpy(got, two.data(), 8);
  EXPECT_EQ(got[0], 2);
  EXPECT_EQ(got[1], 3);
  EXPECT_EQ(b.recv_bytes(), std::string("\x01\x02", 2));
}

// connection.py send_bytes: the four ValueError checks, in CPython's order.
TEST_F(PipeConformance, SendBytesRejectsBadOffsetsAndSizesWithCpythonMessages) {
  auto [a, b] = mp::Pipe();
  std::string msg = "0123456789";
  EXPECT_TRUE(raises<concur::ValueError>([&] { a.send_bytes(msg, -1); }, "offset is negative"));
  EXPECT_TRUE(raises<concur::ValueError>([&] { a.send_bytes(msg, 11); }, "buffer length < offset"));
  EXPECT_TRUE(raises<concur::ValueError>([&] { a.send_bytes(msg, 0, -1); }, "size is negative"));
  EXPECT_TRUE(raises<concur::ValueError>([&] { a.send_bytes(msg, 5, 6); }, "buffer length < offset + size"));
  EXPECT_FALSE(b.poll()) << "a rejected send_bytes must not write anything";
}

// connection.py recv_bytes: ValueError("negative maxlength").
TEST_F(PipeConformance, RecvBytesWithNegativeMaxlengthRaisesValueError) {
  auto [a, b] = mp::Pipe();
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)b.recv_bytes(-1); }, "negative maxlength"));
}

// connection.py recv_bytes + _bad_message_length: a message longer than
// maxlength raises OSError("bad message length"); a writable connection stops
// being readable (its stream is out of step), a read-only one is closed.
TEST_F(PipeConformance, MessageLongerThanMaxlengthRaisesBadMessageLengthAndStopsReading) {
  auto [a, b] = mp::Pipe();
  a.send_bytes("12345");
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)b.recv_bytes(4); }, "bad message length"));
  EXPECT_FALSE(b.readable());
  EXPECT_TRUE(b.writable());
  EXPECT_FALSE(b.closed());
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)b.recv_bytes(); }, "connection is write-only"));
  b.send_bytes("still writes");
  EXPECT_EQ(a.recv_bytes(), "still writes");

  auto [r, w] = mp::Pipe(false);
  w.send_bytes("12345");
  w.send_bytes("12345");
  EXPECT_EQ(r.recv_bytes(5), "12345") << "maxlength equal to the size is fine";
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)r.recv_bytes(4); }, "bad message length"));
  EXPECT_TRUE(r.closed());
}

// connection.py recv_bytes_into: returns the size, writes at byte `offset`.
TEST_F(PipeConformance, RecvBytesIntoWritesAtTheOffsetAndReturnsTheSize) {
  auto [a, b] = mp::Pipe();
  a.send_bytes("abc");
  a.send_bytes("xyz");
  a.send_bytes("");
  std::string buf = "..........";
  EXPECT_EQ(b.recv_bytes_into(buf), 3u);
  EXPECT_EQ(buf, "abc.......");
  EXPECT_EQ(b.recv_bytes_into(buf, 7), 3u);
  EXPECT_EQ(buf, "abc....xyz");
  std::vector<std::byte> empty;
  EXPECT_EQ(b.recv_bytes_into(empty), 0u);
}

// connection.py recv_bytes_into: ValueError("negative offset"),
// ValueError("offset too large").
TEST_F(PipeConformance, RecvBytesIntoRejectsBadOffsets) {
  auto [a, b] = mp::Pipe();
  std::string buf(4, '.');
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)b.recv_bytes_into(buf, -1); }, "negative offset"));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)b.recv_bytes_into(buf, 5); }, "offset too large"));
}

// connection.py recv_bytes_into: BufferTooShort(result.getvalue()) carries the
// whole message, which is consumed; the next message is read normally.
// _TestConnection.test_connection: "self.assertEqual(e.args, (msg,))".
TEST_F(PipeConformance, RecvBytesIntoTooShortBufferRaisesBufferTooShortWithTheWholeMessage) {
  auto [a, b] = mp::Pipe();
  a.send_bytes("0123456789");
  a.send_bytes("next");
  std::string buf(12, '.');
  try {
    (void)b.recv_bytes_into(buf, 4);
    FAIL() << "no BufferTooShort";
  } catch (const concur::BufferTooShort& e) {
    EXPECT_EQ(e.bytes(), "0123456789");
    EXPECT_STREQ(e.what(), "b'0123456789'");  // str(e): the repr of args[0]
    const concur::ProcessError& base = e;  // multiprocessing.BufferTooShort is a ProcessError
    (void)base;
  }
  EXPECT_EQ(buf, std::string(12, '.')) << "a message that does not fit leaves the buffer untouched";
  EXPECT_EQ(b.recv_bytes_into(buf, 4), 4u);
  EXPECT_EQ(buf, "....next....");
}

// Messages arrive whole and in order, whatever their size (framing).
TEST_F(PipeConformance, MessagesOfMixedSizesArriveWholeAndInOrder) {
  for (bool duplex : {true, false}) {
    auto [r, w] = duplex ? mp::Pipe() : mp::Pipe(false);
    std::vector<std::size_t> sizes{0, 1, 3, 4, 100, 65536, 3 << 20, 5, 16385};
    std::thread writer([&, w = w]() mutable {
      for (std::size_t i = 0; i < sizes.size(); ++i) w.send_bytes(std::string(sizes[i], static_cast<char>('a' + i)));
    });
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      std::string m = r.recv_bytes();
      EXPECT_EQ(m, std::string(sizes[i], static_cast<char>('a' + i))) << "message " << i;
    }
    writer.join();
  }
}

// connection.hpp Thread-safety: one thread may send while another receives
// on the same duplex connection.
TEST_F(PipeConformance, TwoThreadsMayUseTheTwoDirectionsOfADuplexConnectionAtOnce) {
  auto [a, b] = mp::Pipe();
  constexpr int kCount = 2000;
  std::thread echo([b = b]() mutable {
    for (int i = 0; i < kCount; ++i) b.send(b.recv<int>() * 2);
  });
  std::thread sender([a = a]() mutable {
    for (int i = 0; i < kCount; ++i) a.send(i);
  });
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(a.recv<int>(), 2 * i);
  sender.join();
  echo.join();
}

// ============================================================ framing

// connection.py _send_bytes: struct.pack("!i", n) + payload.
TEST_F(PipeConformance, FramesCarryCpythonsFourByteBigEndianLengthHeader) {
  auto [r, w] = mp::Pipe(false);
  w.send_bytes("hello");
  w.send(std::int32_t{0x01020304});
  char buf[64];
  ssize_t n = ::read(r.fileno(), buf, sizeof buf);
  ASSERT_EQ(n, 4 + 5 + 4 + 4);
  EXPECT_EQ(std::string(buf, 9), be32(5) + "hello");
  EXPECT_EQ(std::string(buf + 9, 4), be32(4));
}

// connection.py _send_bytes: "if n > 0x7fffffff: pre_header = struct.pack("!i", -1);
// header = struct.pack("!Q", n)". The payload is a read-only anonymous
// mapping (zero pages), drained raw by the test in 1 MiB reads.
TEST_F(PipeConformance, PayloadsOverTwoGibibytesGetTheMinusOneAndEightByteHeader) {
  const std::size_t n = std::size_t{1} << 31;  // 0x80000000 > 0x7fffffff
  void* mem = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto [r, w] = mp::Pipe(false);
  std::thread writer([&, w = w]() mutable {
    w.send_bytes(std::string_view(static_cast<const char*>(mem), n));
    w.close();
  });
  char header[12];
  std::size_t got = 0;
  while (got < sizeof header) {
    ssize_t k = ::read(r.fileno(), header + got, sizeof header - got);
    ASSERT_GT(k, 0);
    got += static_cast<std::size_t>(k);
  }
  std::vector<char> chunk(1 << 20);
  std::size_t payload = 0;
  for (;;) {
    ssize_t k = ::read(r.fileno(), chunk.data(), chunk.size());
    ASSERT_GE(k, 0);
    if (k == 0) break;
    payload += static_cast<std::size_t>(k);
  }
  writer.join();
  ::munmap(mem, n);
  EXPECT_EQ(std::string(header, 12), be32(0xffffffffu) + be64(n));
  EXPECT_EQ(payload, n);
}

// connection.py _recv_bytes: a header of -1 announces an 8-byte big-endian
// length (used by CPython for payloads over 0x7fffffff bytes).
TEST_F(PipeConformance, AMinusOneHeaderIsFollowedByAnEightByteLength) {
  auto [r, w] = raw_reader();
  raw_write(w.get(), be32(0xffffffffu) + be64(6) + "large!" + be32(2) + "ok");
  EXPECT_EQ(r.recv_bytes(), "large!");
  EXPECT_EQ(r.recv_bytes(), "ok");
}

// connection.py _recv: EOF in the middle of a message raises
// OSError("got end of file during message"); EOF before one raises EOFError.
TEST_F(PipeConformance, EofInsideAMessageRaisesGotEndOfFileDuringMessage) {
  {
    auto [r, w] = raw_reader();
    raw_write(w.get(), be32(10) + "short");
    w.reset();
    EXPECT_TRUE(raises<concur::OSError>([&] { (void)r.recv_bytes(); }, "got end of file during message"));
  }
  {
    auto [r, w] = raw_reader();
    raw_write(w.get(), std::string("\0\0", 2));  // half a header
    w.reset();
    EXPECT_TRUE(raises<concur::OSError>([&] { (void)r.recv_bytes(); }, "got end of file during message"));
  }
}

// ============================================================ EOF, poll

// connection.py _recv: EOFError when the peer has closed; poll() is True at
// EOF (the selector reports the hang-up as readable).
TEST_F(PipeConformance, PeerClosedMakesPollTrueAndRecvRaiseEOFError) {
  for (bool duplex : {true, false}) {
    auto [r, w] = duplex ? mp::Pipe() : mp::Pipe(false);
    w.send(1);
    w.close();
    EXPECT_TRUE(r.poll());
    EXPECT_EQ(r.recv<int>(), 1) << "what was sent before close is still delivered";
    EXPECT_TRUE(r.poll());
    EXPECT_THROW((void)r.recv<int>(), concur::EOFError);
    EXPECT_THROW((void)r.recv_bytes(), concur::EOFError);
    std::string buf(4, '.');
    EXPECT_THROW((void)r.recv_bytes_into(buf), concur::EOFError);
  }
}

// connection.py poll(timeout=0.0): the default does not wait.
TEST_F(PipeConformance, PollWithoutTimeoutDoesNotBlockAndDoesNotConsume) {
  auto [a, b] = mp::Pipe();
  auto t0 = Clock::now();
  EXPECT_FALSE(b.poll());
  EXPECT_FALSE(b.poll(0s));
  EXPECT_FALSE(b.poll(-1s));
  EXPECT_LT(seconds_since(t0), 5.0);
  a.send(5);
  EXPECT_TRUE(b.poll());
  EXPECT_TRUE(b.poll()) << "poll does not consume the message";
  EXPECT_EQ(b.recv<int>(), 5);
  EXPECT_FALSE(b.poll());
}

// connection.py poll(timeout): waits up to timeout (lower bound only).
TEST_F(PipeConformance, PollWithTimeoutWaitsAtLeastTheTimeout) {
  auto [a, b] = mp::Pipe();
  auto t0 = Clock::now();
  EXPECT_FALSE(b.poll(200ms));
  EXPECT_GE(seconds_since(t0), 0.2);
}

// poll(None) blocks until a message arrives.
TEST_F(PipeConformance, PollWithNoTimeoutBlocksUntilAMessageArrives) {
  auto [a, b] = mp::Pipe();
  std::thread sender([a = a]() mutable {
    std::this_thread::sleep_for(50ms);
    a.send(1);
  });
  EXPECT_TRUE(b.poll(std::nullopt));
  EXPECT_EQ(b.recv<int>(), 1);
  sender.join();
}

// ============================================================ broken pipe

// CPython raises BrokenPipeError (EPIPE) and ignores SIGPIPE; concur must not
// let SIGPIPE kill the process (default disposition here) on either kind.
TEST_F(PipeConformance, WritingToAClosedPeerRaisesEpipeAndSigpipeDoesNotKill) {
  auto old_handler = ::signal(SIGPIPE, SIG_DFL);
  for (bool duplex : {true, false}) {
    auto [r, w] = duplex ? mp::Pipe() : mp::Pipe(false);
    r.close();
    try {
      w.send_bytes("x");
      FAIL() << "no error writing to a closed peer";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EPIPE) << e.what();
    }
    sigset_t pending;
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "a SIGPIPE is left pending";
  }
  ::signal(SIGPIPE, old_handler);
}

// A caller that blocks SIGPIPE itself keeps its pending signal: concur only
// consumes the SIGPIPE its own unblocked write raised.
TEST_F(PipeConformance, ACallerWhoBlockedSigpipeKeepsThePendingSignal) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &set, &old), 0);
  auto [r, w] = mp::Pipe(false);
  r.close();
  EXPECT_THROW(w.send_bytes("x"), std::system_error);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_TRUE(sigismember(&pending, SIGPIPE));
  timespec zero{0, 0};
  EXPECT_EQ(::sigtimedwait(&set, nullptr, &zero), SIGPIPE);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// ============================================================ EINTR

namespace {
void on_usr1(int) {}
}  // namespace

// PEP 475 / connection.hpp: a signal interrupting a blocked recv is retried.
TEST_F(PipeConformance, ASignalInterruptingABlockedRecvIsRetried) {
  struct sigaction sa{}, old{};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: read() returns EINTR
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  auto [a, b] = mp::Pipe();
  std::atomic<bool> started{false};
  std::string got;
  std::thread reader([&, b = b]() mutable {
    started = true;
    got = b.recv<std::string>();
  });
  while (!started) std::this_thread::sleep_for(1ms);
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(20ms);
    ::pthread_kill(reader.native_handle(), SIGUSR1);
  }
  a.send(std::string("after signals"));
  reader.join();
  EXPECT_EQ(got, "after signals");
  ::sigaction(SIGUSR1, &old, nullptr);
}

// ============================================================ buffers

// connection.hpp: simplex pipes are enlarged to 1 MiB (F_SETPIPE_SZ), best effort.
TEST_F(PipeConformance, SimplexPipeBufferIsEnlargedToOneMebibyte) {
  auto [r, w] = mp::Pipe(false);
  int size = ::fcntl(w.fileno(), F_GETPIPE_SZ);
  int probe[2];
  ASSERT_EQ(::pipe2(probe, O_CLOEXEC), 0);
  bool allowed = ::fcntl(probe[1], F_SETPIPE_SZ, 1 << 20) >= 0;
  ::close(probe[0]);
  ::close(probe[1]);
  if (!allowed) GTEST_SKIP() << "this user may not enlarge pipes (fs.pipe-user-pages-soft)";
  EXPECT_GE(size, 1 << 20);
}

// ============================================================ crossing

// connection.py reduce_connection needs a spawning Process: outside start(),
// serializing a Connection fails (RuntimeError), and a closed one raises
// OSError("handle is closed") from fileno().
TEST_F(PipeConformance, SerializingAConnectionOutsideProcessStartRaises) {
  auto [a, b] = mp::Pipe();
  EXPECT_THROW((void)concur::serialization::dumps(a), concur::RuntimeError);
  EXPECT_THROW(a.send(b), concur::RuntimeError);
  b.close();
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)concur::serialization::dumps(b); }, "handle is closed"));
}

// ============================================================ wait

// connection.py wait(): returns the ready objects, here in input order;
// an fd (like a Process sentinel) may stand next to connections.
TEST_F(PipeConformance, WaitReturnsTheReadyObjectsInInputOrder) {
  auto [a1, b1] = mp::Pipe();
  auto [a2, b2] = mp::Pipe();
  auto [a3, b3] = mp::Pipe(false);
  auto [rfd, wfd] = concur::detail::make_pipe();
  std::vector<Waitable> all{&b1, &b2, &a3, rfd.get()};
  EXPECT_TRUE(mp::connection::wait(all, 0s).empty());
  a2.send(2);
  raw_write(wfd.get(), "x");
  auto ready = mp::connection::wait(all, 0s);
  EXPECT_EQ(ready, (std::vector<Waitable>{&b2, rfd.get()})) << describe(ready);
  a1.send(1);
  b3.close();  // EOF counts as ready
  ready = mp::connection::wait(all);
  EXPECT_EQ(ready, (std::vector<Waitable>{&b1, &b2, &a3, rfd.get()})) << describe(ready);
}

// connection.py wait(timeout): returns [] after the timeout (lower bound only);
// zero and negative timeouts do not wait.
TEST_F(PipeConformance, WaitWithTimeoutReturnsEmptyAfterAtLeastTheTimeout) {
  auto [a, b] = mp::Pipe();
  auto t0 = Clock::now();
  EXPECT_TRUE(mp::connection::wait({&b}, 150ms).empty());
  EXPECT_GE(seconds_since(t0), 0.15);
  EXPECT_TRUE(mp::connection::wait({&b}, -1s).empty());
  EXPECT_TRUE(mp::connection::wait({}, 0s).empty());
}

// wait(None) blocks until one object is ready.
TEST_F(PipeConformance, WaitWithoutTimeoutBlocksUntilAnObjectIsReady) {
  auto [a, b] = mp::Pipe();
  auto [c, d] = mp::Pipe();
  std::thread sender([c = c]() mutable {
    std::this_thread::sleep_for(50ms);
    c.send(1);
  });
  auto ready = mp::connection::wait({&b, &d});
  EXPECT_EQ(ready, (std::vector<Waitable>{&d})) << describe(ready);
  sender.join();
}

// CPython wait() calls fileno(): a closed connection raises OSError("handle is closed").
TEST_F(PipeConformance, WaitOnAClosedConnectionRaisesHandleIsClosed) {
  auto [a, b] = mp::Pipe();
  b.close();
  EXPECT_TRUE(raises<concur::OSError>([&] { (void)mp::connection::wait({&b}, 0s); }, "handle is closed"));
}

// ============================================================ with children

// Seed 004 §1.5 first example: a duplex Pipe; the child sends, the parent
// prints and answers, the child prints. The seed shows the output without
// the "[子进程]"/"[父进程]" prefixes, but the program it shows prints them.
TEST_P(PipeProcessConformance, SeedDuplexExamplePrintsBothMessagesInOrder) {
  auto out = dir_.file("stdout");
  auto res = run_subprocess(
      [&] {
        auto [r, w] = mp::Pipe();
        auto p1 = ctx().Process(seed_test, w);
        p1.start();
        auto msg = r.recv<std::string>();
        print_line(msg);
        r.send("[父进程]滚犊子,赶紧写作业,不然我得跪方便面!");
        p1.join();
        EXPECT_EQ(p1.exitcode(), 0);
      },
      SubprocessOptions{}.capture_stdout(out));
  EXPECT_TRUE(res.exited_ok()) << res.describe() << "\n" << read_text(out);
  EXPECT_EQ(read_text(out), "[子进程]老爸,老妈回来记得喊我一下~\n[父进程]滚犊子,赶紧写作业,不然我得跪方便面!\n");
}

// Seed 001 进程通信/管道: parent_conn, child_conn = Pipe(); the child sends
// [42, None, 'hello'] and closes its end; parent_conn.recv() returns it
// (prints "[42, None, 'hello']"); p.join().
TEST_P(PipeProcessConformance, Seed001ChildSendsAListAndClosesTheParentReceivesIt) {
  auto [parent_conn, child_conn] = mp::Pipe();
  auto p = ctx().Process(seed001_send_list_and_close, child_conn);
  p.start();
  ASSERT_TRUE(parent_conn.poll(30s));
  EXPECT_EQ(parent_conn.recv<SeedList>(), (SeedList{42, std::nullopt, "hello"}));
  p.join(30s);
  EXPECT_EQ(p.exitcode(), 0);
}

// Seed 004 §1.5 second example: Pipe(duplex=False), the child only writes,
// the parent only reads ("只能写" / "只能读").
TEST_P(PipeProcessConformance, SeedSimplexExampleChildWritesParentReads) {
  auto out = dir_.file("stdout");
  auto res = run_subprocess(
      [&] {
        auto [r, w] = mp::Pipe(false);
        auto p1 = ctx().Process(seed_test_simplex, w);
        p1.start();
        auto msg = r.recv<std::string>();  // 只能读
        print_line(msg);
        p1.join();
        EXPECT_EQ(p1.exitcode(), 0);
      },
      SubprocessOptions{}.capture_stdout(out));
  EXPECT_TRUE(res.exited_ok()) << res.describe() << "\n" << read_text(out);
  EXPECT_EQ(read_text(out), "[子进程]老爸,咱们完了,老妈一直在门口~\n");
}

// Seed 004 §1.5 "你把这个放在join前面就直接死锁了 ... 提示:阻塞读写": a child whose
// message exceeds the pipe buffer blocks in send until the parent reads, so
// joining first would wait forever. join(timeout) shows the child stuck;
// receiving first, then joining, works.
TEST_P(PipeProcessConformance, LargeMessageBlocksTheChildUntilTheParentReadsSoRecvBeforeJoin) {
  for (bool duplex : {false, true}) {
    auto [r, w] = duplex ? mp::Pipe() : mp::Pipe(false);
    const std::size_t size = 8u << 20;  // far above the 1 MiB pipe / ~200 KiB socket buffer
    auto p = ctx().Process(send_big, w, size);
    p.start();
    w.close();
    p.join(300ms);
    EXPECT_TRUE(p.is_alive()) << "the child finished sending although nobody read (duplex=" << duplex << ")";
    std::string msg = r.recv_bytes();  // the correct order: recv, then join
    EXPECT_EQ(msg.size(), size);
    EXPECT_EQ(msg.find_first_not_of('x'), std::string::npos);
    p.join();
    EXPECT_EQ(p.exitcode(), 0);
  }
}

// connection.py rebuild_connection(df, readable, writable): the child's ends
// keep their flags, refuse the wrong direction with CPython's messages, and
// stay close-on-exec.
TEST_P(PipeProcessConformance, InheritedEndsKeepTheirDirectionAndCloseOnExec) {
  auto [r, w] = mp::Pipe(false);
  auto [report_r, report_w] = mp::Pipe(false);
  auto p = ctx().Process(report_flags, r, w, report_w);
  p.start();
  report_w.close();
  EXPECT_EQ(report_r.recv<std::string>(),
            "r:100 w:010 w.recv:connection is write-only r.send:connection is read-only cloexec");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// connection.hpp: the reader sees EOF once every process closed the writing
// end — the parent closes its copy after start(), the child exits.
TEST_P(PipeProcessConformance, ParentSeesEofOnceTheChildExitedAndItClosedItsOwnCopy) {
  auto [r, w] = mp::Pipe(false);
  auto p = ctx().Process(send_n_then_exit, w, 3);
  p.start();
  w.close();  // closes every copy in the parent, also the one the Process holds
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.recv<int>(), i);
  EXPECT_THROW((void)r.recv<int>(), concur::EOFError);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// A duplex pipe carries a conversation both ways (ping-pong with a child).
TEST_P(PipeProcessConformance, DuplexPipeCarriesAConversationWithAChild) {
  auto [mine, theirs] = mp::Pipe();
  auto p = ctx().Process(echo_server, theirs);
  p.start();
  theirs.close();
  for (int i = 0; i < 50; ++i) {
    mine.send(std::to_string(i));
    EXPECT_EQ(mine.recv<std::string>(), "echo:" + std::to_string(i));
  }
  mine.send("stop");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_THROW((void)mine.recv<std::string>(), concur::EOFError);
}

// connection.py wait(): connections and Process.sentinel in one call; the
// sentinel becomes ready when the child ends.
TEST_P(PipeProcessConformance, WaitWatchesConnectionsAndProcessSentinelsTogether) {
  auto [mine, theirs] = mp::Pipe();
  auto p = ctx().Process(answer_once, theirs);
  p.start();
  theirs.close();
  int sentinel = p.sentinel();
  EXPECT_TRUE(mp::connection::wait({&mine, sentinel}, 0s).empty()) << "the child waits for our message";
  mine.send(Named{"q", {7}});
  std::vector<Waitable> ready;
  while (ready.size() < 2) ready = mp::connection::wait({&mine, sentinel}, 30s);
  EXPECT_EQ(ready, (std::vector<Waitable>{&mine, sentinel})) << describe(ready);
  EXPECT_EQ(mine.recv<Named>(), (Named{"q", {7, 1}}));
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// Under fork the child is a copy: closing the parent's ends after start()
// does not affect the child's (and vice versa).
TEST_P(PipeProcessConformance, ClosingInTheParentDoesNotCloseTheChildsCopy) {
  auto [r, w] = mp::Pipe(false);
  auto p = ctx().Process(send_n_then_exit, w, 1);
  p.start();
  w.close();
  EXPECT_TRUE(w.closed());
  EXPECT_EQ(r.recv<int>(), 0);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// reduce_connection calls conn.fileno(): a closed Connection cannot be sent
// to a fresh image; start() raises OSError("handle is closed") and no child
// is created.
TEST_P(PipeFreshImage, StartingWithAClosedConnectionArgumentRaisesHandleIsClosed) {
  auto [a, b] = mp::Pipe();
  a.close();
  auto p = ctx().Process(exit_at_once, a);
  EXPECT_TRUE(raises<concur::OSError>([&] { p.start(); }, "handle is closed"));
}
