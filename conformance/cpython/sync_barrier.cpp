// Twin of sync_barrier.py: multiprocessing Barrier — parties/n_waiting/
// broken, invalid parties, a timed-out wait breaking the barrier
// (BrokenBarrierError for the waiter and later callers), abort and reset,
// distinct indices for the parties, and a child broken by the parent's
// abort, under each start method (seed 001 "进程同步"; CPython threading.py
// Barrier, synchronize.py Barrier).
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void party(mp::Barrier barrier, mp::Array<int> slots, int k) { slots[k] = barrier.wait(30s); }
CONCUR_REGISTER_TARGET(party);

void lonely(mp::Barrier barrier) {
  const std::string w = twin::describe([&] { (void)barrier.wait(); });
  twin::line("  child: wait: ", w, " broken=", twin::py(barrier.broken()));
}
CONCUR_REGISTER_TARGET(lonely);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Barrier b(2);
  twin::line("parties=", b.parties(), " n_waiting=", b.n_waiting(), " broken=", twin::py(b.broken()));
  twin::line("Barrier(0): ", twin::describe([] { mp::Barrier bad(0); }));
  twin::line("Barrier(-1): ", twin::describe([] { mp::Barrier bad(-1); }));
  const auto t0 = std::chrono::steady_clock::now();
  const std::string w = twin::describe([&] { (void)b.wait(0.1s); });
  twin::line("wait(timeout=0.1) alone: ", w, " waited >= 0.1 s: ",
             twin::py(std::chrono::steady_clock::now() - t0 >= 100ms));
  twin::line("broken=", twin::py(b.broken()), " wait again: ", twin::describe([&] { (void)b.wait(); }));
  b.reset();
  twin::line("after reset: broken=", twin::py(b.broken()), " n_waiting=", b.n_waiting());
  b.abort();
  twin::line("after abort: broken=", twin::py(b.broken()), " wait: ", twin::describe([&] { (void)b.wait(); }));
  b.reset();
  twin::line("reset again: broken=", twin::py(b.broken()));
  mp::Barrier one(1);
  const int i1 = one.wait(), i2 = one.wait();
  twin::line("Barrier(1).wait()=", i1, " again=", i2);
  mp::Barrier d(1, {}, 0.1s);
  twin::line("default timeout with one party: ", d.wait());

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    {
      auto barrier = ctx.Barrier(3);
      auto slots = ctx.Array<int>("i", std::vector<int>{-1, -1, -1});
      std::vector<mp::Process> ps;
      for (int k : {0, 1}) ps.push_back(ctx.Process(party, barrier, slots, k));
      for (auto& p : ps) p.start();
      slots[2] = barrier.wait(30s);
      for (auto& p : ps) p.join();
      auto idx = slots.to_vector();
      std::sort(idx.begin(), idx.end());
      twin::line(method, ": indices ", twin::list(idx), " exitcodes ",
                 twin::list(std::vector<std::optional<int>>{ps[0].exitcode(), ps[1].exitcode()}));
    }
    auto barrier = ctx.Barrier(2);
    auto p = ctx.Process(lonely, barrier);
    p.start();
    while (barrier.n_waiting() < 1) std::this_thread::sleep_for(10ms);
    twin::line(method, ": n_waiting=", barrier.n_waiting(), " abort");
    barrier.abort();
    p.join();
    twin::line(method, ": broken=", twin::py(barrier.broken()), " exitcode=", twin::py(p.exitcode()));
  }
}
