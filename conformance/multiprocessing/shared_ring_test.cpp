// SharedRing (concur/multiprocessing/shared_ring.hpp): the shared-memory byte
// channel of issue 3 ("SharedRing: a byte-message channel in shared memory,
// blocking when full or empty (futex or eventfd, never busy-spinning
// forever)"). Semantics are concur's own; where they echo Connection they
// follow CPython connection.py (EOFError after close, whole messages only).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/shared_ring.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using concur_test::seconds_since;
using Clock = std::chrono::steady_clock;

namespace {

std::string pattern(std::size_t n, int seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + static_cast<std::size_t>(seed)) & 0xff);
  return s;
}

// Child: sends `count` messages of growing sizes, then closes.
void produce(mp::SharedRing ring, int count, std::size_t max_size) {
  for (int i = 0; i < count; ++i) ring.send_bytes(pattern(static_cast<std::size_t>(i) % (max_size + 1), i));
  ring.close();
}
CONCUR_REGISTER_TARGET(produce);

// Child: echoes every message back on `out` until `in` is closed.
void echo(mp::SharedRing in, mp::SharedRing out) {
  for (;;) {
    std::string m;
    try {
      m = in.recv_bytes();
    } catch (const concur::EOFError&) {
      out.close();
      return;
    }
    out.send_bytes(m);
  }
}
CONCUR_REGISTER_TARGET(echo);

}  // namespace

class SharedRingAcrossProcesses : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedRingAcrossProcesses, MessagesArriveWholeAndInOrderAcrossWraparound) {
  mp::SharedRing ring(4096);  // small: forces wraps and fragments
  const int count = 3000;
  const std::size_t max_size = 1500;
  auto p = mp::get_context(GetParam()).Process(produce, ring, count, max_size);
  p.start();
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(ring.recv_bytes(), pattern(static_cast<std::size_t>(i) % (max_size + 1), i)) << "message " << i;
  }
  EXPECT_THROW(ring.recv_bytes(), concur::EOFError);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(SharedRingAcrossProcesses, MessagesLargerThanTheRingCrossWhole) {
  mp::SharedRing to_child(4096), from_child(4096);
  auto p = mp::get_context(GetParam()).Process(echo, to_child, from_child);
  p.start();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{1} << 20}) {
    std::string m = pattern(n, static_cast<int>(n));
    // Send from a thread: a message larger than both rings needs the echo to
    // run concurrently with our receive.
    std::thread sender([&] { to_child.send_bytes(m); });
    EXPECT_EQ(from_child.recv_bytes(), m) << "size " << n;
    sender.join();
  }
  to_child.close();
  EXPECT_THROW(from_child.recv_bytes(), concur::EOFError);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, SharedRingAcrossProcesses, ::testing::Values("fork", "spawn", "forkserver"));

TEST(SharedRing, EmptyMessagesAreMessages) {
  mp::SharedRing ring(4096);
  ring.send_bytes("");
  ring.send_bytes("x");
  EXPECT_EQ(ring.recv_bytes(), "");
  EXPECT_EQ(ring.recv_bytes(), "x");
}

TEST(SharedRing, RecvBytesIntoReplacesTheBufferAndReusesItsCapacity) {
  mp::SharedRing ring(4096);
  std::string buf = "stale contents";
  buf.reserve(1024);
  const char* storage = buf.data();
  ring.send_bytes("first");
  EXPECT_EQ(ring.recv_bytes_into(buf), 5u);
  EXPECT_EQ(buf, "first");
  EXPECT_EQ(buf.data(), storage);  // no reallocation for a message that fits
  // Larger than the ring: sent in fragments from another thread.
  std::thread t([&] {
    ring.send_bytes(pattern(10000, 3));
    ring.send_bytes(pattern(10000, 4));
  });
  EXPECT_EQ(ring.recv_bytes_into(buf), 10000u);
  EXPECT_EQ(buf, pattern(10000, 3));
  EXPECT_EQ(ring.recv_bytes_into(buf), 10000u);
  EXPECT_EQ(buf, pattern(10000, 4));
  t.join();
}

TEST(SharedRing, CapacityIsRoundedUpToAPowerOfTwoOfAtLeast4KiB) {
  EXPECT_EQ(mp::SharedRing(1).capacity(), 4096u);
  EXPECT_EQ(mp::SharedRing(5000).capacity(), 8192u);
  EXPECT_EQ(mp::SharedRing(mp::SharedRing::default_capacity).capacity(), std::size_t{1} << 20);
}

TEST(SharedRing, RecvOnEmptyRingWithTimeoutRaisesTimeoutErrorAfterTheTimeout) {
  mp::SharedRing ring(4096);
  auto t0 = Clock::now();
  EXPECT_THROW(ring.recv_bytes(200ms), concur::TimeoutError);
  EXPECT_GE(seconds_since(t0), 0.2);
  EXPECT_FALSE(ring.poll());
}

TEST(SharedRing, SendOnFullRingWithTimeoutRaisesTimeoutErrorAndLosesNothing) {
  mp::SharedRing ring(4096);
  int sent = 0;
  // Fill it: 100-byte messages until a zero-timeout send fails.
  for (;;) {
    try {
      ring.send_bytes(pattern(100, sent), 0s);
      ++sent;
    } catch (const concur::TimeoutError&) {
      break;
    }
  }
  ASSERT_GT(sent, 10);
  auto t0 = Clock::now();
  EXPECT_THROW(ring.send_bytes(pattern(100, -1), 150ms), concur::TimeoutError);  // same size: no room
  EXPECT_GE(seconds_since(t0), 0.15);
  for (int i = 0; i < sent; ++i) ASSERT_EQ(ring.recv_bytes(0s), pattern(100, i));
  EXPECT_FALSE(ring.poll());
}

TEST(SharedRing, ASendThatTimesOutMidMessageIsWithdrawnWhole) {
  mp::SharedRing ring(4096);
  // Larger than the ring and nobody receiving: fragments go out, then the
  // send times out and must withdraw them.
  EXPECT_THROW(ring.send_bytes(pattern(20000, 1), 100ms), concur::TimeoutError);
  std::thread sender([&] { ring.send_bytes("after"); });
  EXPECT_EQ(ring.recv_bytes(5s), "after");
  sender.join();
}

TEST(SharedRing, CloseLetsPendingMessagesDrainThenRaisesEOFError) {
  mp::SharedRing ring(4096);
  ring.send_bytes("one");
  ring.close();
  ring.close();  // idempotent
  EXPECT_TRUE(ring.closed());
  EXPECT_TRUE(ring.poll());
  EXPECT_EQ(ring.recv_bytes(), "one");
  EXPECT_THROW(ring.recv_bytes(), concur::EOFError);
  EXPECT_TRUE(ring.poll());  // EOF counts as readable, as for Connection.poll()
  try {
    ring.send_bytes("two");
    FAIL() << "send on a closed ring did not throw";
  } catch (const concur::OSError& e) {
    EXPECT_STREQ(e.what(), "ring is closed");
  }
}

TEST(SharedRing, CloseWakesABlockedReceiver) {
  mp::SharedRing ring(4096);
  std::thread closer([&] {
    std::this_thread::sleep_for(100ms);
    ring.close();
  });
  auto t0 = Clock::now();
  EXPECT_THROW(ring.recv_bytes(30s), concur::EOFError);
  EXPECT_LT(seconds_since(t0), 20.0);
  closer.join();
}

TEST(SharedRing, PollWaitsForAMessage) {
  mp::SharedRing ring(4096);
  std::thread sender([&] {
    std::this_thread::sleep_for(100ms);
    ring.send_bytes("hi");
  });
  EXPECT_TRUE(ring.poll(30s));
  EXPECT_EQ(ring.recv_bytes(), "hi");
  sender.join();
}

TEST(SharedRing, AnEmptyHandleRaisesValueError) {
  mp::SharedRing ring;
  EXPECT_FALSE(ring);
  EXPECT_THROW(ring.send_bytes("x"), concur::ValueError);
  EXPECT_THROW(ring.recv_bytes(), concur::ValueError);
  EXPECT_NO_THROW(ring.close());
  EXPECT_EQ(ring.capacity(), 0u);
}
