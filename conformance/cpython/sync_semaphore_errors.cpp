// Twin of sync_semaphore_errors.py: multiprocessing Semaphore and
// BoundedSemaphore — reprs, get_value, non-blocking and timed acquires, a
// Semaphore released above its initial value, a BoundedSemaphore released
// too many times (ValueError), a negative initial value (OSError EINVAL), and
// a child releasing a semaphore the parent waits on, under each start method
// (seed 001 "进程同步"; CPython synchronize.py Semaphore, BoundedSemaphore;
// Modules/_multiprocessing/semaphore.c).
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void releaser(mp::Semaphore sem, mp::BoundedSemaphore bounded) {
  std::this_thread::sleep_for(50ms);
  twin::line("  child: bounded release: ", twin::describe([&] { bounded.release(); }));
  sem.release();
}
CONCUR_REGISTER_TARGET(releaser);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Semaphore s(2);
  twin::line("Semaphore(2): ", s.repr(), " get_value=", s.get_value());
  const bool a1 = s.acquire(), a2 = s.acquire();
  twin::line("acquire x2: ", twin::py(a1), " ", twin::py(a2), " ", s.repr());
  twin::line("acquire(block=False): ", twin::py(s.acquire(false)));
  const auto t0 = std::chrono::steady_clock::now();
  const bool timed = s.acquire(true, 0.1s);
  twin::line("acquire(timeout=0.1): ", twin::py(timed),
             " waited >= 0.1 s: ", twin::py(std::chrono::steady_clock::now() - t0 >= 100ms));
  for (int i = 0; i < 3; ++i) s.release();
  twin::line("released x3: ", s.repr(), " get_value=", s.get_value());
  twin::line("Semaphore(0): ", mp::Semaphore(0).repr());
  twin::line("Semaphore(-1): ", twin::describe([] { mp::Semaphore bad(-1); }));
  mp::BoundedSemaphore b(2);
  twin::line("BoundedSemaphore(2): ", b.repr());
  twin::line("release at max: ", twin::describe([&] { b.release(); }));
  b.acquire();
  const std::string rel = twin::describe([&] { b.release(); });
  twin::line("acquire then release: ", rel, " ", b.repr());
  twin::line("release again: ", twin::describe([&] { b.release(); }));
  twin::line("BoundedSemaphore(): ", mp::BoundedSemaphore().repr());
  {
    std::lock_guard g(b);
    twin::line("inside with: ", b.repr());
  }
  twin::line("after with: ", b.repr());

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto sem = ctx.Semaphore(0);
    auto bounded = ctx.BoundedSemaphore(1);
    auto p = ctx.Process(releaser, sem, bounded);
    p.start();
    twin::line(method, ": parent acquire(timeout=30) released by the child: ", twin::py(sem.acquire(true, 30s)));
    p.join();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()), " ", sem.repr(), " ", bounded.repr());
  }
}
