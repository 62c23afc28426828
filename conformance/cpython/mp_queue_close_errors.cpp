// Twin of mp_queue_close_errors.py: multiprocessing.Queue and JoinableQueue
// after close() — put/get/put_nowait/get_nowait raise ValueError naming the
// queue, qsize/full still answer, close twice is fine; join_thread
// before close is an AssertionError; a child keeps an open handle (seed 004
// §1.5; CPython queues.py _check_closed, close, join_thread).
#include <chrono>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void child_uses(mp::Queue<std::string> q) {
  q.put("from child");
  twin::line("  child: put ok");
}
CONCUR_REGISTER_TARGET(child_uses);

template <class Q>
void closed_errors(Q q, const std::string& name) {
  q.put(1);
  twin::line(name, " join_thread before close: ", twin::describe([&] { q.join_thread(); }));
  twin::line(name, " cancel_join_thread: ", twin::describe([&] { q.cancel_join_thread(); }));
  q.close();
  twin::line(name, " close again: ", twin::describe([&] { q.close(); }));
  twin::line(name, " put after close: ", twin::describe([&] { q.put(2); }));
  twin::line(name, " put_nowait after close: ", twin::describe([&] { q.put_nowait(2); }));
  twin::line(name, " get after close: ", twin::describe([&] { (void)q.get(); }));
  twin::line(name, " get_nowait after close: ", twin::describe([&] { (void)q.get_nowait(); }));
  twin::line(name, " qsize after close: ", q.qsize(), " full: ", twin::py(q.full()));
  // empty() after close is left out: CPython's feeder thread closes the
  // reader asynchronously, so there it returns or raises OSError by chance.
  twin::line(name, " join_thread after close: ", twin::describe([&] { q.join_thread(); }));
}

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  closed_errors(mp::Queue<int>(2), "Queue");
  closed_errors(mp::JoinableQueue<int>(2), "JoinableQueue");
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto q = ctx.Queue<std::string>();
    auto p = ctx.Process(child_uses, q);
    p.start();
    p.join();
    twin::line(method, ": got ", twin::repr(q.get(true, 10s)), " exitcode=", twin::py(p.exitcode()));
    q.close();
    twin::line(method, ": after close: ", twin::describe([&] { q.put("1"); }));
    q.join_thread();
  }
}
