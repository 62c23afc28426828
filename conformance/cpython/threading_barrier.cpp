// Twin of threading_barrier.py: threading.Barrier — wait indices, action,
// timeout breaking the barrier, abort, reset, n_waiting/parties/broken, repr
// (CPython Lib/threading.py class Barrier; BrokenBarrierError has no message).
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::py;
using twin::describe;
using twin::line;

namespace {
// The parties' results sorted as Python's sorted(key=str): indices and
// exception texts, printed as a list of ints and repr'd strings.
std::string run_parties(th::Barrier& barrier, int n, concur::Timeout timeout = std::nullopt) {
  std::vector<std::pair<std::string, std::string>> out;  // (str, repr)
  th::Lock guard;
  std::vector<std::unique_ptr<th::Thread>> threads;
  for (int i = 0; i < n; ++i) {
    threads.push_back(std::make_unique<th::Thread>([&] {
      int index = -1;
      const std::string r = describe([&] { index = barrier.wait(timeout); });
      std::lock_guard g(guard);
      if (r == "no exception") {
        out.emplace_back(std::to_string(index), std::to_string(index));
      } else {
        out.emplace_back(r, twin::repr(r));
      }
    }));
  }
  for (auto& t : threads) t->start();
  for (auto& t : threads) t->join();
  std::sort(out.begin(), out.end());
  std::string s = "[";
  for (std::size_t i = 0; i < out.size(); ++i) s += (i ? ", " : "") + out[i].second;
  return s + "]";
}

void wait_for_waiting(const th::Barrier& barrier, int n) {
  while (barrier.n_waiting() < n) std::this_thread::sleep_for(5ms);
}
}  // namespace

int main() {
  {
    th::Barrier b(3);
    line("repr: ", b.repr());
    line("parties=", b.parties(), " n_waiting=", b.n_waiting(), " broken=", py(b.broken()));
    line("round 1 indices: ", run_parties(b, 3));
    line("round 2 indices: ", run_parties(b, 3));
  }
  {
    std::vector<std::string> actions;
    th::Barrier b(2, [&] { actions.push_back("action ran"); });
    const std::string indices = run_parties(b, 2);
    line("with action: ", indices, " ", twin::list(actions));
  }
  {
    th::Barrier b(3);
    std::string other;
    th::Thread t([&] { other = describe([&] { b.wait(10s); }); });
    t.start();
    wait_for_waiting(b, 1);
    line("repr one waiting: ", b.repr());
    line("wait(0.05) with one other: ", describe([&] { b.wait(0.05s); }));
    t.join();
    line("the other waiter: ", other);
    line("broken after timeout: ", py(b.broken()), " ", b.repr());
    line("wait on broken: ", describe([&] { b.wait(); }));
    b.reset();
    line("reset: broken=", py(b.broken()), " ", b.repr());
    line("round after reset: ", run_parties(b, 3));
  }
  {
    th::Barrier b(2, {}, 0.05s);
    line("default timeout breaks: ", describe([&] { b.wait(); }));
  }
  {
    th::Barrier b(3);
    th::Thread t([&] { line("waiter at abort: ", describe([&] { b.wait(); })); });
    t.start();
    wait_for_waiting(b, 1);
    b.abort();
    t.join();
    line("after abort: broken=", py(b.broken()), " ", describe([&] { b.wait(); }));
  }
  {
    th::Barrier b(2);
    th::Thread t([&] { line("waiter at reset: ", describe([&] { b.wait(10s); })); });
    t.start();
    wait_for_waiting(b, 1);
    b.reset();
    t.join();
    const bool broken = b.broken();
    line("reset during a wait leaves it usable: broken=", py(broken), " ", run_parties(b, 2));
  }
  {
    th::Barrier b(2, [] { throw concur::ValueError("action failed"); });
    line("action raises: ", run_parties(b, 2));
    line("broken after failed action: ", py(b.broken()));
  }
  {
    th::Barrier b(1);
    const int first = b.wait();
    const int second = b.wait();
    line("Barrier(1) wait: ", first, " ", second);
  }
}
