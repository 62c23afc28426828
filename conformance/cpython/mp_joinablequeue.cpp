// Twin of mp_joinablequeue.py: JoinableQueue task_done()/join() — task_done()
// once too often raises ValueError("task_done() called too many times"),
// join() returns at once when nothing is unfinished, and waits for a consumer
// child under each start method (seed 004 "进程间通信"; CPython queues.py
// JoinableQueue.task_done/join).
#include <mutex>
#include <optional>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void consumer(mp::JoinableQueue<std::optional<int>> q, mp::Value<int> done) {
  while (true) {
    auto item = q.get();
    if (!item) {
      q.task_done();
      break;
    }
    {
      std::lock_guard g(done.get_lock());
      done.set_value(done.value() + *item);
    }
    q.task_done();
  }
}
CONCUR_REGISTER_TARGET(consumer);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::JoinableQueue<std::string> q(0);
  twin::line("task_done on a new queue: ", twin::describe([&] { q.task_done(); }));
  twin::line("join on a new queue: ", twin::describe([&] { q.join(); }));
  q.put("a");
  q.put("b");
  twin::line("qsize=", q.qsize());
  const auto a = q.get();
  const auto b = q.get();
  twin::line("got ", twin::repr(a), " ", twin::repr(b));
  twin::line("task_done 1: ", twin::describe([&] { q.task_done(); }));
  twin::line("task_done 2: ", twin::describe([&] { q.task_done(); }));
  twin::line("task_done 3: ", twin::describe([&] { q.task_done(); }));
  twin::line("join when all done: ", twin::describe([&] { q.join(); }));

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto jq = ctx.JoinableQueue<std::optional<int>>(4);
    auto done = ctx.Value<int>("i", 0);
    auto p = ctx.Process(consumer, jq, done);
    p.start();
    for (int i = 1; i <= 10; ++i) jq.put(i);
    jq.put(std::nullopt);
    jq.join();
    twin::line(method, ": join returned, sum done by the child=", done.value());
    p.join();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()),
               " task_done once more: ", twin::describe([&] { jq.task_done(); }));
  }
}
