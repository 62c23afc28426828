// Twin of queue_task_done.py: Queue.task_done()/join() — unfinished-task
// counting, "task_done() called too many times", join() returning only after
// every put was marked done by consumer threads, for Queue, LifoQueue and
// PriorityQueue (seed 003 "队列": q.task_done(), q.join(); CPython
// Lib/queue.py task_done, join).
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"
#include "twin.hpp"

namespace q = concur::queue;
namespace th = concur::threading;
using twin::describe;
using twin::line;
using twin::py;

namespace {
template <class Q>
void run(const std::string& name) {
  Q queue;
  line(name, " task_done on a fresh queue: ", describe([&] { queue.task_done(); }));
  line(name, " join on a fresh queue: ", describe([&] { queue.join(); }));
  queue.put(1);
  queue.put(2);
  queue.get();
  line(name, " task_done after get: ", describe([&] { queue.task_done(); }));
  // task_done counts puts, not gets: a second one is allowed before get.
  line(name, " task_done before the second get: ", describe([&] { queue.task_done(); }));
  line(name, " task_done once more: ", describe([&] { queue.task_done(); }));
  const std::string joined = describe([&] { queue.join(); });
  line(name, " join with nothing unfinished: ", joined, " qsize=", queue.qsize());
  queue.get();
  line(name, " task_done with the item taken but no put left: ", describe([&] { queue.task_done(); }));

  std::vector<int> done;
  th::Lock guard;
  auto consumer = [&] {
    while (true) {
      const int item = queue.get();
      if (item == 0) {  // the stop sentinel
        queue.task_done();
        return;
      }
      {
        std::lock_guard g(guard);
        done.push_back(item * item);
      }
      queue.task_done();
    }
  };
  std::vector<std::unique_ptr<th::Thread>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(std::make_unique<th::Thread>(consumer));
  for (auto& w : workers) w->start();
  for (int i = 1; i <= 20; ++i) queue.put(i);
  queue.join();
  {
    std::lock_guard g(guard);
    line(name, " join returned after all 20 tasks: ", done.size(), " sum=", std::accumulate(done.begin(), done.end(), 0));
  }
  for (std::size_t i = 0; i < workers.size(); ++i) queue.put(0);
  queue.join();
  for (auto& w : workers) w->join();
  line(name, " consumers ended, queue empty: ", py(queue.empty()));
}
}  // namespace

int main() {
  run<q::Queue<int>>("Queue");
  run<q::LifoQueue<int>>("LifoQueue");
  run<q::PriorityQueue<int>>("PriorityQueue");
}
