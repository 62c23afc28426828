// Twin of queue_order.py: the queue module's four queues — FIFO, LIFO,
// priority and SimpleQueue order, qsize/empty/full, maxsize (seed 001
// "线程通信", seed 003 "队列"; CPython Lib/queue.py Queue, LifoQueue,
// PriorityQueue, _queue.SimpleQueue).
#include <string>
#include <utility>
#include <vector>

#include "concur/queue.hpp"
#include "twin.hpp"

namespace q = concur::queue;
using twin::line;
using twin::py;

namespace {
template <class Q>
void run(const std::string& name, Q& queue) {
  std::string extra;
  if constexpr (requires { queue.full(); }) {
    extra = " full=" + py(queue.full()) + " maxsize=" + py(queue.maxsize());
  }
  line(name, ": empty=", py(queue.empty()), " qsize=", queue.qsize(), extra);
  for (int item : {3, 1, 4, 1, 5, 9, 2, 6}) queue.put(item);
  queue.put_nowait(7);
  line(name, ": qsize after 9 puts=", queue.qsize(), " empty=", py(queue.empty()));
  std::string order;
  for (int i = 0; i < 4; ++i) order += (order.empty() ? "" : " ") + std::to_string(queue.get());
  for (int i = 0; i < 5; ++i) order += " " + std::to_string(queue.get_nowait());
  line(name, ": get order: ", order);
  line(name, ": empty at the end=", py(queue.empty()));
}

std::string tuple_repr(const std::pair<int, std::string>& p) {
  return "(" + std::to_string(p.first) + ", " + twin::repr(p.second) + ")";
}
}  // namespace

int main() {
  {
    q::Queue<int> a;
    run("Queue", a);
    q::LifoQueue<int> b;
    run("LifoQueue", b);
    q::PriorityQueue<int> c;
    run("PriorityQueue", c);
    q::SimpleQueue<int> d;
    run("SimpleQueue", d);
  }
  {
    q::PriorityQueue<std::pair<int, std::string>> pq;
    for (auto item : {std::pair<int, std::string>{2, "b"}, {1, "z"}, {2, "a"}, {1, "y"}, {0, "last-put"}}) {
      pq.put(item);
    }
    std::string out = "[";
    for (int i = 0; i < 5; ++i) out += (i ? ", " : "") + tuple_repr(pq.get());
    line("PriorityQueue tuples: ", out, "]");
  }
  {
    // Items that compare equal: heapq hands them out in heap order.
    struct Job {
      int priority, n;
      bool operator<(const Job& other) const { return priority < other.priority; }
    };
    q::PriorityQueue<Job> pq;
    const int priorities[] = {1, 1, 1, 1, 1, 0, 1};
    for (int n = 0; n < 7; ++n) pq.put(Job{priorities[n], n});
    std::vector<int> got;
    for (int i = 0; i < 7; ++i) got.push_back(pq.get().n);
    line("PriorityQueue equal priorities, put order 0..6: ", twin::list(got));
  }
  {
    q::Queue<int> bounded(3);
    for (int i = 0; i < 3; ++i) bounded.put(i);
    line("Queue(3) full=", py(bounded.full()), " qsize=", bounded.qsize(), " maxsize=", bounded.maxsize());
    bounded.get();
    line("after one get: full=", py(bounded.full()));
    for (long long m : {0LL, -5LL}) {
      q::Queue<int> u(m);
      for (int i = 0; i < 1000; ++i) u.put_nowait(i);
      line("Queue(", m, ") takes 1000 without blocking: qsize=", u.qsize(), " full=", py(u.full()));
    }
  }
  q::LifoQueue<std::string> strings;
  for (const char* s : {"it's", "say \"hi\"", "tab\there"}) strings.put(s);
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) got.push_back(strings.get());
  line("strings LIFO: ", twin::list(got));
}
