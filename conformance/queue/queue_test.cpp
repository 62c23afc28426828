// queue.Queue, LifoQueue, PriorityQueue, SimpleQueue between threads
// (concur/queue/queue.hpp). Sources: seed 001 "线程通信" (the three queue
// kinds, get/put with block and timeout, task_done/join, the
// ConsumerThread/ProducerThread example ending in 'all done') and
// "Condition" (five producers of 0..99 and one consumer over Queue(5)); seed
// 003 "队列" (PriorityQueue: "数字越小优先级越高", "同优先级先进先出", LifoQueue
// "后进先出"); CPython Lib/queue.py 3.13 (messages, shutdown, negative
// timeouts, unfinished_tasks) and Modules/_queuemodule.c (SimpleQueue.get).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/errors.hpp"
#include "concur/queue.hpp"
#include "support/proc_helpers.hpp"

namespace q = concur::queue;
using namespace std::chrono_literals;
using concur::ValueError;
using concur_test::raises;
using concur_test::seconds_since;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kNegativeTimeout = "'timeout' must be a non-negative number";

// Polls `pred` for up to 30 s (generous: only a hang makes it fail).
template <class Pred>
bool eventually(Pred pred) {
  const auto t0 = Clock::now();
  while (!pred()) {
    if (seconds_since(t0) > 30) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------- ordering

// Lib/queue.py Queue._put/_get: deque append / popleft.
TEST(QueueConformance, GetReturnsItemsInTheOrderTheyWerePut) {
  q::Queue<int> queue;
  for (int i = 0; i < 5; ++i) queue.put(i);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(queue.get(), i);
}

// Seed 003 "queue.LifoQueue 后进先出队列,类似堆栈"; Lib/queue.py LifoQueue._get: list.pop().
TEST(LifoQueueConformance, GetReturnsTheItemPutLastFirst) {
  q::LifoQueue<std::string> queue;
  for (const char* s : {"a", "b", "c"}) queue.put(s);
  EXPECT_EQ(queue.get(), "c");
  queue.put("d");
  EXPECT_EQ(queue.get(), "d");
  EXPECT_EQ(queue.get(), "b");
  EXPECT_EQ(queue.get(), "a");
}

// Seed 003: "q2 = queue.PriorityQueue() # 每个元素都是元组 # 数字越小优先级越高",
// q.put((1,"work")). Lib/queue.py PriorityQueue: heappush/heappop (lowest first).
TEST(PriorityQueueConformance, SmallestPriorityNumberIsGottenFirst) {
  q::PriorityQueue<std::pair<int, std::string>> queue;
  queue.put({3, "sleep"});
  queue.put({1, "work"});
  queue.put({2, "eat"});
  queue.put({0, "wake"});
  EXPECT_EQ(queue.get(), (std::pair<int, std::string>{0, "wake"}));
  EXPECT_EQ(queue.get(), (std::pair<int, std::string>{1, "work"}));
  EXPECT_EQ(queue.get(), (std::pair<int, std::string>{2, "eat"}));
  EXPECT_EQ(queue.get(), (std::pair<int, std::string>{3, "sleep"}));
}

namespace {
struct Job {
  int priority;
  std::string name;
};
struct ByPriority {
  bool operator()(const Job& a, const Job& b) const { return a.priority < b.priority; }
};
}  // namespace

// Seed 003: "同优先级先进先出" — items that compare equal leave in the order
// they were put (concur keys every item as (item, sequence number)).
TEST(PriorityQueueConformance, EqualPrioritiesLeaveFirstInFirstOut) {
  q::PriorityQueue<Job, ByPriority> queue;
  const std::vector<Job> jobs = {{2, "b1"}, {1, "a1"}, {2, "b2"}, {1, "a2"}, {2, "b3"}, {1, "a3"}, {0, "z"}};
  for (const Job& j : jobs) queue.put(j);
  std::vector<std::string> order;
  while (!queue.empty()) order.push_back(queue.get().name);
  EXPECT_EQ(order, (std::vector<std::string>{"z", "a1", "a2", "a3", "b1", "b2", "b3"}));
}

// Heap order survives interleaved puts and gets: the output is a stable sort.
TEST(PriorityQueueConformance, ManyInterleavedItemsComeOutAsAStableSort) {
  q::PriorityQueue<Job, ByPriority> queue;
  std::mt19937 rng(12345);
  std::vector<Job> put;
  for (int i = 0; i < 2000; ++i) {
    put.push_back({static_cast<int>(rng() % 50), std::to_string(i)});
    queue.put(put.back());
  }
  std::stable_sort(put.begin(), put.end(), ByPriority{});
  for (const Job& expected : put) {
    Job got = queue.get();
    ASSERT_EQ(got.priority, expected.priority);
    ASSERT_EQ(got.name, expected.name);
  }
  EXPECT_TRUE(queue.empty());
}

// Items are moved in and out: move-only types work in every kind.
TEST(QueueConformance, MoveOnlyItemsCanBePutAndGotten) {
  q::Queue<std::unique_ptr<int>> fifo(2);
  fifo.put(std::make_unique<int>(7));
  EXPECT_EQ(*fifo.get(), 7);
  q::LifoQueue<std::unique_ptr<int>> lifo;
  lifo.put_nowait(std::make_unique<int>(8));
  EXPECT_EQ(*lifo.get_nowait(), 8);
  q::SimpleQueue<std::unique_ptr<int>> simple;
  simple.put(std::make_unique<int>(9));
  EXPECT_EQ(*simple.get(), 9);
}

// ------------------------------------------------------------- size

// Lib/queue.py qsize/empty/full: full() is `0 < self.maxsize <= self._qsize()`.
TEST(QueueConformance, QsizeEmptyAndFullReportTheItemsHeld) {
  q::Queue<int> queue(2);
  EXPECT_EQ(queue.maxsize(), 2);
  EXPECT_EQ(queue.qsize(), 0u);
  EXPECT_TRUE(queue.empty());
  EXPECT_FALSE(queue.full());
  queue.put(1);
  EXPECT_EQ(queue.qsize(), 1u);
  EXPECT_FALSE(queue.empty());
  EXPECT_FALSE(queue.full());
  queue.put(2);
  EXPECT_EQ(queue.qsize(), 2u);
  EXPECT_TRUE(queue.full());
  (void)queue.get();
  EXPECT_FALSE(queue.full());
}

// Lib/queue.py: "If maxsize is <= 0, the queue size is infinite."
TEST(QueueConformance, MaxsizeZeroOrNegativeIsUnboundedAndNeverFull) {
  for (long long maxsize : {0LL, -1LL}) {
    q::Queue<int> queue(maxsize);
    EXPECT_EQ(queue.maxsize(), maxsize);
    for (int i = 0; i < 10000; ++i) queue.put_nowait(i);
    EXPECT_EQ(queue.qsize(), 10000u);
    EXPECT_FALSE(queue.full());
  }
  q::Queue<int> defaulted;
  EXPECT_EQ(defaulted.maxsize(), 0);
}

// ------------------------------------------------------------- Full / Empty

// Seed 001: "put(item,block=True,timeout=None)：... 如果block为fasle不能插入数据或超时，则触发Full异常".
TEST(QueueConformance, PutNowaitOnFullQueueRaisesFull) {
  q::Queue<int> queue(1);
  queue.put_nowait(1);
  EXPECT_TRUE(raises<q::Full>([&] { queue.put_nowait(2); }, ""));
  EXPECT_TRUE(raises<q::Full>([&] { queue.put(2, false); }, ""));
  EXPECT_EQ(queue.qsize(), 1u);
  EXPECT_EQ(queue.unfinished_tasks(), 1u);  // a refused put adds no task
}

TEST(QueueConformance, PutOnFullQueueWithTimeoutRaisesFullAfterTheTimeout) {
  q::Queue<int> queue(1);
  queue.put(1);
  const auto t0 = Clock::now();
  EXPECT_TRUE(raises<q::Full>([&] { queue.put(2, true, 200ms); }, ""));
  EXPECT_GE(seconds_since(t0), 0.2);
}

// Lib/queue.py put: endtime = time() + 0 → "if remaining <= 0.0: raise Full" at once.
TEST(QueueConformance, PutWithZeroTimeoutOnFullQueueRaisesFull) {
  q::LifoQueue<int> queue(1);
  queue.put(1);
  EXPECT_TRUE(raises<q::Full>([&] { queue.put(2, true, 0s); }, ""));
}

// Seed 001: "get(block=True,timeout=None)：... 如果block为false或触发异常，当获取不到元素时，触发Empty异常".
TEST(QueueConformance, GetNowaitOnEmptyQueueRaisesEmpty) {
  q::Queue<int> queue;
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get_nowait(); }, ""));
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(false); }, ""));
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(true, 0s); }, ""));
}

TEST(QueueConformance, GetOnEmptyQueueWithTimeoutRaisesEmptyAfterTheTimeout) {
  q::PriorityQueue<int> queue;
  const auto t0 = Clock::now();
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(true, 200ms); }, ""));
  EXPECT_GE(seconds_since(t0), 0.2);
}

// Lib/queue.py: "Otherwise ('block' is false) ... ('timeout' is ignored in that case)".
TEST(QueueConformance, BlockFalseIgnoresTheTimeoutEvenANegativeOne) {
  q::Queue<int> queue(1);
  const auto t0 = Clock::now();
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(false, 10s); }, ""));
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(false, -1s); }, ""));
  queue.put(1, false, -1s);
  EXPECT_TRUE(raises<q::Full>([&] { queue.put(2, false, 10s); }, ""));
  EXPECT_TRUE(raises<q::Full>([&] { queue.put(2, false, -1s); }, ""));
  EXPECT_LT(seconds_since(t0), 5.0);
}

// Lib/queue.py raises Full, Empty, ShutDown without arguments; they are Exceptions.
TEST(QueueConformance, FullEmptyAndShutDownCarryNoMessage) {
  EXPECT_STREQ(q::Full().what(), "");
  EXPECT_STREQ(q::Empty().what(), "");
  EXPECT_STREQ(q::ShutDown().what(), "");
  static_assert(std::is_base_of_v<std::runtime_error, q::ShutDown>);
}

// ------------------------------------------------------------- negative timeouts

// Lib/queue.py get: `elif timeout < 0: raise ValueError("'timeout' must be a
// non-negative number")` — checked before looking for an item.
TEST(QueueConformance, GetWithNegativeTimeoutRaisesValueErrorEvenWithAnItemReady) {
  q::Queue<int> queue;
  EXPECT_TRUE(raises<ValueError>([&] { (void)queue.get(true, -1s); }, kNegativeTimeout));
  queue.put(1);
  EXPECT_TRUE(raises<ValueError>([&] { (void)queue.get(true, -0.5s); }, kNegativeTimeout));
  EXPECT_EQ(queue.qsize(), 1u);
}

// Lib/queue.py put checks the timeout only inside `if self.maxsize > 0:`.
TEST(QueueConformance, PutWithNegativeTimeoutRaisesValueErrorOnlyOnABoundedQueue) {
  q::Queue<int> bounded(5);
  EXPECT_TRUE(raises<ValueError>([&] { bounded.put(1, true, -1s); }, kNegativeTimeout));
  EXPECT_EQ(bounded.qsize(), 0u);
  q::Queue<int> unbounded;
  unbounded.put(1, true, -1s);
  EXPECT_EQ(unbounded.qsize(), 1u);
}

// ------------------------------------------------------------- blocking

TEST(QueueConformance, BlockedGetReturnsTheItemAnotherThreadPuts) {
  q::Queue<int> queue;
  std::atomic<int> got{-1};
  std::thread getter([&] { got = queue.get(); });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(got.load(), -1);  // still waiting: nothing was put
  queue.put(42);
  getter.join();
  EXPECT_EQ(got.load(), 42);
}

TEST(QueueConformance, BlockedPutOnFullQueueProceedsWhenAGetFreesASlot) {
  q::Queue<int> queue(1);
  queue.put(1);
  std::atomic<bool> done{false};
  std::thread putter([&] {
    queue.put(2);
    done = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(done.load());  // still waiting for a slot
  EXPECT_EQ(queue.get(), 1);
  putter.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(queue.get(), 2);
}

TEST(QueueConformance, TimedPutAndGetSucceedWhenTheOtherSideActsBeforeTheTimeout) {
  q::Queue<int> queue(1);
  queue.put(1);
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(queue.get(true, 30s), 1);
  });
  queue.put(2, true, 30s);
  t.join();
  EXPECT_EQ(queue.get(true, 30s), 2);
}

// ------------------------------------------------------------- task_done / join

// Lib/queue.py task_done: "Raises a ValueError if called more times than there
// were items placed in the queue." Text: 'task_done() called too many times'.
TEST(QueueConformance, TaskDoneCalledTooManyTimesRaisesValueError) {
  q::Queue<int> queue;
  EXPECT_TRUE(raises<ValueError>([&] { queue.task_done(); }, "task_done() called too many times"));
  queue.put(1);
  (void)queue.get();
  queue.task_done();
  EXPECT_TRUE(raises<ValueError>([&] { queue.task_done(); }, "task_done() called too many times"));
  EXPECT_EQ(queue.unfinished_tasks(), 0u);
}

// Seed 001: "join()：如果队列中还有任务未完成，则阻塞"; Lib/queue.py join.
TEST(QueueConformance, JoinReturnsAtOnceWhenNoTaskIsUnfinished) {
  q::Queue<int> queue;
  queue.join();
  queue.put(1);
  (void)queue.get();
  queue.task_done();
  queue.join();
}

// Lib/queue.py: the count goes up with every put and down only with task_done,
// not with get.
TEST(QueueConformance, JoinBlocksUntilEveryItemIsMarkedTaskDone) {
  q::Queue<int> queue;
  queue.put(1);
  queue.put(2);
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    queue.join();
    joined = true;
  });
  (void)queue.get();
  (void)queue.get();
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(joined.load());  // both gotten, none done
  EXPECT_EQ(queue.unfinished_tasks(), 2u);
  queue.task_done();
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(joined.load());  // one still unfinished
  queue.task_done();
  joiner.join();
  EXPECT_TRUE(joined.load());
}

// Seed 001 "线程通信": two ConsumerThreads (sleep(0.1); item = get(); print;
// task_done()) and one ProducerThread (put 0..9); the main thread's que.join()
// returns once all ten were processed and prints 'all done'. The seed's
// consumers are daemon threads that loop forever; here shutdown() (CPython
// 3.13) ends them after 'all done' so the test can join them.
TEST(QueueConformance, SeedConsumerThreadsAndProducerThreadQueJoinEndsWithAllDone) {
  q::Queue<int> que;
  std::mutex out_mutex;
  std::vector<std::string> out;
  auto print = [&](std::string line) {
    std::lock_guard<std::mutex> lock(out_mutex);
    out.push_back(std::move(line));
  };
  std::vector<std::thread> tasks;
  for (int x = 0; x < 2; ++x) {
    tasks.emplace_back([&] {
      try {
        for (;;) {
          std::this_thread::sleep_for(100ms);
          int item = que.get();
          print(std::to_string(item));
          que.task_done();
        }
      } catch (const q::ShutDown&) {
      }
    });
  }
  std::thread producer([&] {
    for (int x = 0; x < 10; ++x) que.put(x);
  });
  // The seed calls que.join() while the producer may not have put anything
  // yet (join would then return at once); joining the producer first removes
  // that race without changing what que.join() must wait for.
  producer.join();
  que.join();
  print("all done");
  que.shutdown();
  for (auto& t : tasks) t.join();

  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(out.back(), "all done");
  std::multiset<std::string> items(out.begin(), out.end() - 1);
  std::multiset<std::string> expected;
  for (int x = 0; x < 10; ++x) expected.insert(std::to_string(x));
  EXPECT_EQ(items, expected);
}

// Seed 001 "Condition": Queue(5), producer1..producer5 produce 0-20, 20-40,
// 40-60, 60-80, 80-100; one consumer consumes. The queue alone (no Condition)
// keeps the bound: every value 0..99 is consumed exactly once and the queue
// never holds more than 5.
TEST(QueueConformance, SeedFiveProducersOneConsumerOverQueueOfFiveConsumeEachValueOnce) {
  q::Queue<int> queue(5);
  std::vector<std::thread> producers;
  for (int p = 0; p < 5; ++p) {
    producers.emplace_back([&queue, p] {
      for (int i = p * 20; i < (p + 1) * 20; ++i) queue.put(i);
    });
  }
  std::vector<int> consumed;
  std::size_t max_seen = 0;
  std::thread consumer([&] {
    for (int n = 0; n < 100; ++n) {
      max_seen = std::max(max_seen, queue.qsize());
      consumed.push_back(queue.get());
    }
  });
  for (auto& t : producers) t.join();
  consumer.join();
  EXPECT_LE(max_seen, 5u);
  std::sort(consumed.begin(), consumed.end());
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(consumed, expected);
  EXPECT_TRUE(queue.empty());
}

// Each producer's items keep their order in a FIFO queue, with many
// producers and consumers racing on a small bound.
TEST(QueueConformance, ManyProducersAndConsumersGetEveryItemExactlyOnceInPerProducerOrder) {
  constexpr int kProducers = 4, kConsumers = 4, kPerProducer = 5000;
  q::Queue<std::pair<int, int>> queue(3);
  std::vector<std::vector<std::pair<int, int>>> got(kConsumers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      for (;;) {
        auto item = queue.get();
        if (item.first < 0) return;
        got[c].push_back(item);
      }
    });
  }
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) queue.put({p, i});
    });
  }
  for (int p = 0; p < kProducers; ++p) threads[kConsumers + p].join();
  for (int c = 0; c < kConsumers; ++c) queue.put({-1, -1});
  for (int c = 0; c < kConsumers; ++c) threads[c].join();

  std::vector<std::vector<int>> seen(kProducers);
  for (const auto& g : got) {
    std::vector<int> last(kProducers, -1);
    for (auto [p, i] : g) {
      EXPECT_GT(i, last[p]);  // one consumer sees a producer's items in order
      last[p] = i;
      seen[p].push_back(i);
    }
  }
  for (auto& s : seen) {
    std::sort(s.begin(), s.end());
    ASSERT_EQ(s.size(), static_cast<std::size_t>(kPerProducer));
    for (int i = 0; i < kPerProducer; ++i) ASSERT_EQ(s[i], i);
  }
}

// ------------------------------------------------------------- shutdown (3.13)

// Lib/queue.py 3.13 put: "if self.is_shutdown: raise ShutDown".
TEST(QueueShutdownConformance, PutAfterShutdownRaisesShutDown) {
  q::Queue<int> queue;
  EXPECT_FALSE(queue.is_shutdown());
  queue.shutdown();
  EXPECT_TRUE(queue.is_shutdown());
  EXPECT_TRUE(raises<q::ShutDown>([&] { queue.put(1); }, ""));
  EXPECT_TRUE(raises<q::ShutDown>([&] { queue.put_nowait(1); }, ""));
  EXPECT_TRUE(raises<q::ShutDown>([&] { queue.put(1, true, 1s); }, ""));
  EXPECT_EQ(queue.unfinished_tasks(), 0u);
}

// Lib/queue.py 3.13 get: "Raises ShutDown if the queue has been shut down and
// is empty"; until then the items left are returned.
TEST(QueueShutdownConformance, GetAfterShutdownReturnsTheItemsLeftThenRaisesShutDown) {
  q::Queue<int> queue;
  queue.put(1);
  queue.put(2);
  queue.shutdown();
  EXPECT_EQ(queue.get(), 1);
  EXPECT_EQ(queue.get_nowait(), 2);
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get(); }, ""));
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get_nowait(); }, ""));  // not Empty
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get(true, 1s); }, ""));
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get(true, -1s); }, ""));  // checked before the timeout
  // task_done/join still work on a shut-down queue.
  queue.task_done();
  queue.task_done();
  queue.join();
}

// Lib/queue.py 3.13 shutdown: "All getters need to re-check queue-empty to raise ShutDown".
TEST(QueueShutdownConformance, ShutdownWakesBlockedGettersWithShutDown) {
  q::Queue<int> queue;
  std::atomic<int> shut_down{0};
  std::vector<std::thread> getters;
  for (int i = 0; i < 3; ++i) {
    getters.emplace_back([&, i] {
      try {
        (void)(i == 0 ? queue.get() : queue.get(true, 60s));
      } catch (const q::ShutDown&) {
        ++shut_down;
      }
    });
  }
  std::this_thread::sleep_for(50ms);
  queue.shutdown();
  for (auto& t : getters) t.join();
  EXPECT_EQ(shut_down.load(), 3);
}

// Lib/queue.py 3.13 put: a putter waiting on a full queue raises ShutDown
// when woken by shutdown().
TEST(QueueShutdownConformance, ShutdownWakesBlockedPuttersWithShutDown) {
  q::Queue<int> queue(1);
  queue.put(0);
  std::atomic<int> shut_down{0};
  std::vector<std::thread> putters;
  for (int i = 0; i < 2; ++i) {
    putters.emplace_back([&, i] {
      try {
        if (i == 0)
          queue.put(1);
        else
          queue.put(1, true, 60s);
      } catch (const q::ShutDown&) {
        ++shut_down;
      }
    });
  }
  std::this_thread::sleep_for(50ms);
  queue.shutdown();
  for (auto& t : putters) t.join();
  EXPECT_EQ(shut_down.load(), 2);
  EXPECT_EQ(queue.get(), 0);  // the item put before stays gettable
}

// Lib/queue.py 3.13 shutdown(immediate=True): drains the queue, lowering
// unfinished_tasks once per item (never below zero), so get raises at once.
TEST(QueueShutdownConformance, ImmediateShutdownDiscardsTheItemsAndGetRaisesAtOnce) {
  q::Queue<int> queue;
  for (int i = 0; i < 3; ++i) queue.put(i);
  EXPECT_EQ(queue.get(), 0);  // gotten, not yet task_done
  EXPECT_EQ(queue.unfinished_tasks(), 3u);
  queue.shutdown(true);
  EXPECT_EQ(queue.qsize(), 0u);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.unfinished_tasks(), 1u);  // only the gotten item is left
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get(); }, ""));
  EXPECT_TRUE(raises<q::ShutDown>([&] { queue.put(9); }, ""));
  queue.task_done();
  EXPECT_TRUE(raises<ValueError>([&] { queue.task_done(); }, "task_done() called too many times"));
  queue.join();
}

// The "never below zero" branch: items whose tasks were already marked done
// (task_done before get) do not drive the count negative.
TEST(QueueShutdownConformance, ImmediateShutdownNeverLowersUnfinishedTasksBelowZero) {
  q::LifoQueue<int> queue;
  queue.put(1);
  queue.put(2);
  queue.task_done();
  queue.task_done();
  EXPECT_EQ(queue.unfinished_tasks(), 0u);
  queue.shutdown(true);
  EXPECT_EQ(queue.unfinished_tasks(), 0u);
  EXPECT_TRUE(queue.empty());
}

// Lib/queue.py 3.13: "release all blocked threads in `join()`" — when the
// discarded items were the only unfinished tasks, join() returns.
TEST(QueueShutdownConformance, ImmediateShutdownReleasesJoin) {
  q::PriorityQueue<int> queue;
  for (int i = 0; i < 3; ++i) queue.put(i);
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    queue.join();
    joined = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(joined.load());
  queue.shutdown(true);
  joiner.join();
  EXPECT_TRUE(joined.load());
}

// A gotten item still needs its task_done after shutdown(immediate=True).
TEST(QueueShutdownConformance, JoinAfterImmediateShutdownStillWaitsForGottenItems) {
  q::Queue<int> queue;
  queue.put(1);
  queue.put(2);
  (void)queue.get();
  queue.shutdown(true);
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    queue.join();
    joined = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(joined.load());
  queue.task_done();
  joiner.join();
  EXPECT_TRUE(joined.load());
}

TEST(QueueShutdownConformance, ShutdownTwiceAndImmediateAfterGracefulAreAllowed) {
  q::Queue<int> queue;
  queue.put(1);
  queue.shutdown();
  queue.shutdown();
  EXPECT_EQ(queue.qsize(), 1u);
  queue.shutdown(true);
  EXPECT_EQ(queue.qsize(), 0u);
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get_nowait(); }, ""));
}

// ------------------------------------------------------------- SimpleQueue

// Lib/queue.py SimpleQueue: "Simple, unbounded FIFO queue"; put never blocks.
TEST(SimpleQueueConformance, IsAnUnboundedFifoWhosePutNeverBlocks) {
  q::SimpleQueue<int> queue;
  EXPECT_TRUE(queue.empty());
  for (int i = 0; i < 10000; ++i) queue.put(i, true, 0s);
  queue.put_nowait(10000);
  queue.put(10001, false, -1s);  // block/timeout accepted and ignored
  EXPECT_EQ(queue.qsize(), 10002u);
  EXPECT_FALSE(queue.empty());
  for (int i = 0; i < 10002; ++i) ASSERT_EQ(queue.get(), i);
  EXPECT_TRUE(queue.empty());
}

TEST(SimpleQueueConformance, GetOnEmptyRaisesEmptyAtOnceOrAfterTheTimeout) {
  q::SimpleQueue<std::string> queue;
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get_nowait(); }, ""));
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(false, -1s); }, ""));  // timeout ignored
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(true, 0s); }, ""));
  const auto t0 = Clock::now();
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get(true, 200ms); }, ""));
  EXPECT_GE(seconds_since(t0), 0.2);
}

// Modules/_queuemodule.c SimpleQueue.get: "'timeout' must be a non-negative number".
TEST(SimpleQueueConformance, GetWithNegativeTimeoutRaisesValueError) {
  q::SimpleQueue<int> queue;
  queue.put(1);
  EXPECT_TRUE(raises<ValueError>([&] { (void)queue.get(true, -1s); }, kNegativeTimeout));
  EXPECT_EQ(queue.get(), 1);
}

TEST(SimpleQueueConformance, BlockedGetReturnsWhatAnotherThreadPutsAndEveryItemOnce) {
  q::SimpleQueue<int> queue;
  std::vector<int> got;
  std::thread consumer([&] {
    for (int n = 0; n < 4000; ++n) got.push_back(queue.get(true, 60s));
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < 1000; ++i) queue.put(p * 1000 + i);
    });
  for (auto& t : producers) t.join();
  consumer.join();
  std::sort(got.begin(), got.end());
  for (int i = 0; i < 4000; ++i) ASSERT_EQ(got[i], i);
  EXPECT_TRUE(eventually([&] { return queue.empty(); }));
}

// ------------------------------------------------------------- every kind

template <class Q>
class EveryBoundedKind : public ::testing::Test {};
using BoundedKinds = ::testing::Types<q::Queue<int>, q::LifoQueue<int>, q::PriorityQueue<int>>;
TYPED_TEST_SUITE(EveryBoundedKind, BoundedKinds);

// Lib/queue.py: LifoQueue and PriorityQueue override only _init/_qsize/_put/_get,
// so Full, Empty, task_done, join and shutdown behave alike in all three.
TYPED_TEST(EveryBoundedKind, SharesFullEmptyTaskDoneAndShutdownSemantics) {
  TypeParam queue(2);
  queue.put(1);
  queue.put_nowait(2);
  EXPECT_TRUE(queue.full());
  EXPECT_TRUE(raises<q::Full>([&] { queue.put_nowait(3); }, ""));
  EXPECT_TRUE(raises<ValueError>([&] { queue.put(3, true, -1s); }, kNegativeTimeout));
  std::multiset<int> got{queue.get(), queue.get_nowait()};
  EXPECT_EQ(got, (std::multiset<int>{1, 2}));
  EXPECT_TRUE(raises<q::Empty>([&] { (void)queue.get_nowait(); }, ""));
  queue.task_done();
  queue.task_done();
  EXPECT_TRUE(raises<ValueError>([&] { queue.task_done(); }, "task_done() called too many times"));
  queue.join();
  queue.put(5);
  queue.shutdown();
  EXPECT_TRUE(raises<q::ShutDown>([&] { queue.put(6); }, ""));
  EXPECT_EQ(queue.get(), 5);
  EXPECT_TRUE(raises<q::ShutDown>([&] { (void)queue.get(); }, ""));
}
