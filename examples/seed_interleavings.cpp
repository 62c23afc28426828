// The seeds' programs whose printed ORDER depends on scheduling. The
// conformance suite asserts what is deterministic about each (which lines
// appear, how often, with which values — see conformance/SEMANTICS.md); the
// order itself is shown here, never asserted. Run a mode a few times and
// compare.
//
//   seed_interleavings pool-callbacks   # seeds 000/004 §1.3: Pool() with callback / error_callback
//   seed_interleavings plinq-unordered  # seed 000 数据并行: AsParallel().Select(x => x * x) without AsOrdered
//   seed_interleavings spawn-hello      # seed 001 进程创建: get_context('spawn'), two children, random sleeps
//   seed_interleavings queue-chat       # seed 004 §1.5 铺垫demo: two children, one Queue, sleep-and-retry
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "concur/plinq.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// ---------------------------------------------------------------- pool-callbacks

int test(int name) {
  say("[子进程" + std::to_string(name) + "]PID=" + std::to_string(::getpid()) + "，PPID=" + std::to_string(::getppid()));
  std::this_thread::sleep_for(1s);
  return name;
}
CONCUR_REGISTER_TARGET(test);

int error_test(int name) {
  say("[子进程" + std::to_string(name) + "]PID=" + std::to_string(::getpid()) + "，PPID=" + std::to_string(::getppid()));
  throw std::runtime_error("[子进程" + std::to_string(name) + "]啊，我挂了～");
}
CONCUR_REGISTER_TARGET(error_test);

void pool_callbacks() {
  say("[父进程]PID=" + std::to_string(::getpid()) + "，PPID=" + std::to_string(::getppid()));
  mp::Pool p;  // CPU count
  for (int i = 0; i < 5; ++i) {
    auto callback = [](const int& result) { say("[子进程" + std::to_string(result) + "]执行完毕"); };
    if (i > 2) {
      (void)p.apply_async(error_test, {i}, callback, [](const std::exception& e) { say(e.what()); });
    } else {
      (void)p.apply_async(test, {i}, callback);
    }
  }
  p.close();
  p.join();
  say("over");
}

// ---------------------------------------------------------------- plinq-unordered

void plinq_unordered() {
  std::vector<int> list{1, 2, 3, 4, 5, 7, 8, 9};
  // Each element takes a few milliseconds, so the query really runs on
  // several threads (tiny inputs stay on the calling thread).
  concur::plinq::from(list)
      .as_parallel()
      .select([](int x) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + (x * 7) % 11));
        return x * x;
      })
      .for_all([](int square) { say(std::to_string(square)); });
}

// ---------------------------------------------------------------- spawn-hello

void hello(std::string name, int sleep_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  say("hello " + name + ", I am " + std::to_string(::getpid()));
}
CONCUR_REGISTER_TARGET(hello);

void spawn_hello() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> ms(100, 500);  // the seed sleeps 1..5 s
  const auto& context = mp::get_context("spawn");
  auto process1 = context.Process(hello, std::string("martin"), ms(rng));
  auto process2 = context.Process(hello, std::string("martin"), ms(rng));
  process1.start();
  process2.start();
  process1.join();
  process2.join();
}

// ---------------------------------------------------------------- queue-chat

void pro_test1(mp::Queue<std::string> q) {
  say("[子进程1]PPID=" + std::to_string(::getppid()) + ",PID=" + std::to_string(::getpid()));
  q.put("[子进程1]小明,今晚撸串不?");
  for (int i = 0; i < 3; ++i) {  // the seed's simple retry loop
    if (!q.empty()) {
      say(q.get());
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds((i + 1) * 200));
  }
}
CONCUR_REGISTER_TARGET(pro_test1);

void pro_test2(mp::Queue<std::string> q) {
  say("[子进程2]PPID=" + std::to_string(::getppid()) + ",PID=" + std::to_string(::getpid()));
  try {
    say(q.get(true, 2s));
  } catch (const concur::queue::Empty&) {
    say("[子进程2]nothing to read (子进程1 took its own message back)");
  }
  std::this_thread::sleep_for(400ms);  // the seed's simulated network delay
  q.put("[子进程2]不去,我今天约了妹子");
}
CONCUR_REGISTER_TARGET(pro_test2);

void queue_chat() {
  mp::Queue<std::string> queue(0);
  auto p1 = mp::Process(pro_test1, queue);
  auto p2 = mp::Process(pro_test2, queue);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
  while (!queue.empty()) say("left in the queue: " + queue.get());
}

int usage() {
  std::fprintf(stderr, "usage: seed_interleavings pool-callbacks|plinq-unordered|spawn-hello|queue-chat\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  if (argc != 2) return usage();
  const std::string mode = argv[1];
  if (mode == "pool-callbacks") {
    pool_callbacks();
  } else if (mode == "plinq-unordered") {
    plinq_unordered();
  } else if (mode == "spawn-hello") {
    spawn_hello();
  } else if (mode == "queue-chat") {
    queue_chat();
  } else {
    return usage();
  }
  return 0;
}
