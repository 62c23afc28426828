// benchmarks/threading_benchmark.cpp — what a lock and an in-process queue
// cost (issue 4), against the standard library floors in the same run.
//
// Floors (std):
//   BM_Floor_StdMutex/uncontended        std::mutex lock+unlock, one thread
//   BM_Floor_StdMutex/threads:2          the same, two threads hammering one mutex
//   BM_Floor_MutexCvQueue/pingpong       a std::mutex + std::condition_variable
//                                        deque queue: one round trip between two
//                                        threads (put → get → put back → get)
// concur:
//   BM_Lock/uncontended, BM_Lock/threads:2          threading::Lock
//   BM_RLock/uncontended                            threading::RLock
//   BM_ProcessLock/uncontended                      multiprocessing::Lock (shared memory, robust)
//   BM_QueuePingPong                                queue::Queue<int>, same round trip
//
// The uncontended rows run while a second thread of the process exists
// (parked): glibc runs std::mutex without atomic instructions while a
// process has never had a second thread (8.7 ns against 19.4 ns per
// lock+unlock here), a floor no lock that is ever shared reaches.
//
// Goal (issue 4): BM_Lock and BM_QueuePingPong within 1.2× of their std
// floors. Each iteration is one lock+unlock (items_per_second counts them)
// or one round trip. scripts/ratios.py prints the ratios.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "concur/multiprocessing/spawn.hpp"
#include "concur/multiprocessing/synchronize.hpp"
#include "concur/queue/queue.hpp"
#include "concur/threading/lock.hpp"
#include "harness.hpp"

namespace {

// A counter the critical section updates, so the lock protects real work.
long g_counter = 0;

// A second thread, blocked until destroyed, so the process is
// multi-threaded while an uncontended row runs.
class ParkedThread {
 public:
  ParkedThread() : thread_([f = release_.get_future()] { f.wait(); }) {}
  ~ParkedThread() {
    release_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> release_;
  std::thread thread_;
};

template <class M>
void BM_Uncontended(benchmark::State& state) {
  ParkedThread parked;
  M m;
  for (auto _ : state) {
    m.lock();
    ++g_counter;
    m.unlock();
  }
  benchmark::DoNotOptimize(g_counter);
  state.SetItemsProcessed(state.iterations());
}

template <class M>
M& shared_mutex() {
  static M m;
  return m;
}

// Run by two threads at once (Google Benchmark Threads(2)).
template <class M>
void BM_Contended(benchmark::State& state) {
  M& m = shared_mutex<M>();
  for (auto _ : state) {
    m.lock();
    ++g_counter;
    m.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

// The floor queue: the textbook std::mutex + std::condition_variable deque,
// notifying after unlocking (its fastest form).
class MutexCvQueue {
 public:
  void put(int v) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(v);
    }
    cv_.notify_one();
  }
  int get() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !items_.empty(); });
    int v = items_.front();
    items_.pop_front();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> items_;
};

struct ConcurQueue {
  concur::queue::Queue<int> q;
  void put(int v) { q.put(v); }
  int get() { return q.get(); }
};

// One iteration: main puts into `there`, the echo thread gets it and puts it
// into `back`, main gets it. -1 stops the echo thread.
template <class Q>
void BM_PingPong(benchmark::State& state) {
  Q there;
  Q back;
  std::thread echo([&] {
    for (;;) {
      int v = there.get();
      back.put(v);
      if (v < 0) return;
    }
  });
  int i = 0;
  for (auto _ : state) {
    there.put(i++);
    benchmark::DoNotOptimize(back.get());
  }
  there.put(-1);
  (void)back.get();
  echo.join();
  state.SetItemsProcessed(state.iterations());
}

void register_benchmarks() {
  using concur_bench::add;
  using concur_bench::add_threaded;
  add("BM_Floor_StdMutex/uncontended", BM_Uncontended<std::mutex>);
  add("BM_Lock/uncontended", BM_Uncontended<concur::threading::Lock>);
  add("BM_RLock/uncontended", BM_Uncontended<concur::threading::RLock>);
  add("BM_ProcessLock/uncontended", BM_Uncontended<concur::multiprocessing::Lock>);
  add_threaded("BM_Floor_StdMutex/threads:2", 2, BM_Contended<std::mutex>);
  add_threaded("BM_Lock/threads:2", 2, BM_Contended<concur::threading::Lock>);
  add("BM_Floor_MutexCvQueue/pingpong", BM_PingPong<MutexCvQueue>);
  add("BM_QueuePingPong", BM_PingPong<ConcurQueue>);
}

}  // namespace

int main(int argc, char** argv) {
  concur::multiprocessing::bootstrap(argc, argv);
  return concur_bench::run(argc, argv, register_benchmarks);
}
