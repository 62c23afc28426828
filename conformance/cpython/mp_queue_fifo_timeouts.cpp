// Twin of mp_queue_fifo_timeouts.py: multiprocessing.Queue FIFO order, maxsize,
// qsize/full/empty, put/get with block=false and timeouts raising
// queue::Full/queue::Empty (including negative timeouts), and a bounded queue
// between a producer child and the parent under each start method (seed 003
// "队列", seed 004 §1.5; CPython queues.py Queue.put/get/qsize/full).
#include <chrono>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;

void producer(mp::Queue<int> q, int n) {
  for (int i = 0; i < n; ++i) q.put(i);
}
CONCUR_REGISTER_TARGET(producer);

template <class F>
std::string timed(F fn) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string what = twin::describe(fn);
  return what + " (waited >= 0.1 s: " + twin::py(std::chrono::steady_clock::now() - t0 >= 100ms) + ")";
}

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Queue<int> q(3);
  twin::line("new: qsize=", q.qsize(), " full=", twin::py(q.full()), " empty=", twin::py(q.empty()));
  for (int i : {1, 2, 3}) q.put(i);
  twin::line("after 3 puts: qsize=", q.qsize(), " full=", twin::py(q.full()));
  twin::line("put(4, timeout=0.1): ", timed([&] { q.put(4, true, 0.1s); }));
  twin::line("put(4, block=False): ", twin::describe([&] { q.put(4, false); }));
  twin::line("put_nowait(4): ", twin::describe([&] { q.put_nowait(4); }));
  twin::line("put(4, timeout=-1): ", twin::describe([&] { q.put(4, true, Seconds(-1)); }));
  const int a = q.get(), b = q.get(), c = q.get();
  twin::line("get order: ", a, " ", b, " ", c);
  twin::line("after 3 gets: qsize=", q.qsize(), " full=", twin::py(q.full()), " empty=", twin::py(q.empty()));
  twin::line("get(timeout=0.1): ", timed([&] { (void)q.get(true, 0.1s); }));
  twin::line("get(block=False): ", twin::describe([&] { (void)q.get(false); }));
  twin::line("get_nowait(): ", twin::describe([&] { (void)q.get_nowait(); }));
  twin::line("get(timeout=-1): ", twin::describe([&] { (void)q.get(true, Seconds(-1)); }));
  mp::Queue<std::string> s(3);
  s.put("a");
  s.put_nowait("b");
  const auto sa = s.get(true, 5s);
  const auto sb = s.get(true, 5s);
  twin::line("put then put_nowait, get: ", twin::repr(sa), " ", twin::repr(sb));

  mp::Queue<int> u(0);
  for (int i = 0; i < 1000; ++i) u.put(i);
  twin::line("unbounded after 1000 puts: qsize=", u.qsize(), " full=", twin::py(u.full()));
  long total = 0;
  for (int i = 0; i < 1000; ++i) total += u.get();
  twin::line("sum of gets: ", total, " qsize=", u.qsize());

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto bq = ctx.Queue<int>(2);
    auto p = ctx.Process(producer, bq, 6);
    p.start();
    std::string got;
    for (int i = 0; i < 6; ++i) got += (i ? " " : "") + std::to_string(bq.get(true, 30s));
    p.join();
    twin::line(method, ": get order: ", got, " exitcode=", twin::py(p.exitcode()));
    twin::line(method, ": then get(timeout=0.1): ", twin::describe([&] { (void)bq.get(true, 0.1s); }));
  }
}
