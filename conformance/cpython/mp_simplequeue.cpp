// Twin of mp_simplequeue.py: SimpleQueue put/get order and empty(), a
// worker child under each start method, and the errors after close():
// get/put/empty raise OSError("handle is closed") (CPython queues.py
// SimpleQueue).
#include <optional>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void worker(mp::SimpleQueue<std::optional<int>> inq, mp::SimpleQueue<int> outq) {
  while (true) {
    auto item = inq.get();
    if (!item) break;
    outq.put(*item * 10);
  }
}
CONCUR_REGISTER_TARGET(worker);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    mp::SimpleQueue<int> q(mp::default_ring_capacity);
    twin::line("empty new: ", twin::py(q.empty()));
    for (int i : {3, 1, 2}) q.put(i);
    twin::line("empty after puts: ", twin::py(q.empty()));
    const int a = q.get(), b = q.get(), c = q.get();
    twin::line("get order: ", a, " ", b, " ", c);
    twin::line("empty after gets: ", twin::py(q.empty()));
    q.put(0);
    q.close();
    twin::line("close again: ", twin::describe([&] { q.close(); }));
    twin::line("get after close: ", twin::describe([&] { (void)q.get(); }));
    twin::line("put after close: ", twin::describe([&] { q.put(1); }));
    twin::line("empty after close: ", twin::describe([&] { (void)q.empty(); }));
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto inq = ctx.SimpleQueue<std::optional<int>>();
    auto outq = ctx.SimpleQueue<int>();
    auto p = ctx.Process(worker, inq, outq);
    p.start();
    for (int i = 1; i <= 5; ++i) inq.put(i);
    inq.put(std::nullopt);
    std::vector<int> got;
    for (int i = 0; i < 5; ++i) got.push_back(outq.get());
    p.join();
    twin::line(method, ": results ", twin::list(got), " empty=", twin::py(outq.empty()),
               " exitcode=", twin::py(p.exitcode()));
    inq.close();
    outq.close();
  }
}
