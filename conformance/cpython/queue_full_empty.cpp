// Twin of queue_full_empty.py: queue.Full and queue.Empty — block=False,
// timeouts (and that a timeout waits), negative timeouts, a blocked put/get
// released by another thread, for Queue, LifoQueue, PriorityQueue and
// SimpleQueue (CPython Lib/queue.py Queue.put/get: "'timeout' must be a
// non-negative number"; Full and Empty carry no message).
#include <chrono>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>

#include "concur/queue.hpp"
#include "concur/threading.hpp"
#include "twin.hpp"

namespace q = concur::queue;
namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::py;

namespace {
bool waited_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::steady_clock::now() - t0 >= 90ms;
}

template <template <class...> class Q>
void run(const std::string& name) {
  Q<int> queue(2);
  line(name, " get_nowait on empty: ", describe([&] { queue.get_nowait(); }));
  line(name, " get(False) on empty: ", describe([&] { queue.get(false); }));
  line(name, " get(False, 5) ignores the timeout: ", describe([&] { queue.get(false, 5s); }));
  auto t0 = std::chrono::steady_clock::now();
  std::string r = describe([&] { queue.get(true, 0.1s); });
  line(name, " get(timeout=0.1): ", r, " waited=", py(waited_since(t0)));
  line(name, " get(timeout=0): ", describe([&] { queue.get(true, 0s); }));
  line(name, " get(timeout=-1): ", describe([&] { queue.get(true, -1s); }));
  for (int i = 0; i < 2; ++i) queue.put(i);
  line(name, " put_nowait on full: ", describe([&] { queue.put_nowait(9); }));
  line(name, " put(block=False) on full: ", describe([&] { queue.put(9, false); }));
  t0 = std::chrono::steady_clock::now();
  r = describe([&] { queue.put(9, true, 0.1s); });
  line(name, " put(timeout=0.1) on full: ", r, " waited=", py(waited_since(t0)));
  line(name, " put(timeout=-1) on full: ", describe([&] { queue.put(9, true, -1s); }));
  line(name, " qsize after refused puts: ", queue.qsize());
  line(name, " get(timeout=-1) with items: ", describe([&] { queue.get(true, -1s); }));
  line(name, " get(False, -1) with items: ", queue.get(false, -1s));
  Q<int> unbounded;
  line(name, " unbounded put(timeout=-1): ", describe([&] { unbounded.put(1, true, -1s); }));

  // A put blocked on a full queue is released by a get in another thread.
  {
    th::Thread t([&] {
      std::this_thread::sleep_for(50ms);
      queue.get();
    });
    t.start();
    r = describe([&] { queue.put(7, true, 10s); });
    line(name, " blocked put released: ", r, " qsize=", queue.qsize());
    t.join();
  }
  while (!queue.empty()) queue.get();
  th::Thread t([&] {
    std::this_thread::sleep_for(50ms);
    queue.put(42);
  });
  t.start();
  line(name, " blocked get released: ", queue.get(true, 10s));
  t.join();
}

template <class T>
using Fifo = q::Queue<T>;
template <class T>
using Lifo = q::LifoQueue<T>;
template <class T>
using Priority = q::PriorityQueue<T>;
}  // namespace

int main() {
  run<Fifo>("Queue");
  run<Lifo>("LifoQueue");
  run<Priority>("PriorityQueue");

  q::SimpleQueue<int> s;
  line("SimpleQueue get_nowait on empty: ", describe([&] { s.get_nowait(); }));
  line("SimpleQueue get(timeout=0.05): ", describe([&] { s.get(true, 0.05s); }));
  line("SimpleQueue get(timeout=-1): ", describe([&] { s.get(true, -1s); }));
  line("SimpleQueue get(False, -1): ", describe([&] { s.get(false, -1s); }));
  line("SimpleQueue put(block=False, timeout=-1) never blocks: ", describe([&] { s.put(1, false, -1s); }));
  line("SimpleQueue get(timeout=-1) with an item: ", describe([&] { s.get(true, -1s); }));
  line("SimpleQueue qsize: ", s.qsize());
  line("Full and Empty are Exceptions: ", py(std::is_base_of_v<std::exception, q::Full>), " ",
       py(std::is_base_of_v<std::exception, q::Empty>));
}
