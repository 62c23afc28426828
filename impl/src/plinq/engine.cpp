// The engine of concur::plinq (see concur/detail/plinq_engine.hpp): a
// fork-join pool of hardware_threads - 1 worker threads that help callers
// drain a shared chunk counter. It waits only on concur's futex
// (detail/futex.hpp) and is guarded by threading::Lock.
#include "concur/detail/plinq_engine.hpp"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "concur/detail/futex.hpp"
#include "concur/threading/lock.hpp"

namespace concur::detail::plinq {
namespace {

constexpr unsigned kMaxDegree = 512;  // .NET's WithDegreeOfParallelism limit
// Pause-loop rounds a worker polls for the next job before it sleeps (a few
// tens of µs, yielding the core every kYieldEvery rounds so a loaded machine
// loses little to it): back-to-back queries then find the workers awake
// instead of paying a futex wake of an idle vCPU. A caller polls for its
// last helpers kCallerSpinRounds rounds before it sleeps.
constexpr int kSpinRounds = 4000;
constexpr int kYieldEvery = 64;
constexpr int kCallerSpinRounds = 500;

using concur::detail::cpu_relax;

// One parallel run: helpers join it (up to max_helpers) and take chunks from
// `next` until none is left. It lives on the caller's stack; the caller
// returns only after unlisting it and seeing `active` drop to 0.
struct Job {
  ChunkFn fn = nullptr;
  void* ctx = nullptr;
  std::size_t chunks = 0;
  unsigned max_helpers = 0;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint32_t> active{0};  // helpers inside; futex word of the caller
  unsigned helpers = 0;                  // joined so far (under Pool::lock)
  bool listed = false;                   // in the pool's list (under Pool::lock)
  Job* link = nullptr;

  void drain(std::size_t slot) noexcept {
    for (std::size_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(ctx, c, slot);
    }
  }
};

class Pool {
 public:
  explicit Pool(unsigned workers) {
    for (unsigned i = 0; i < workers; ++i) {
      try {
        std::thread t([this] { work(); });
        ::pthread_setname_np(t.native_handle(), "plinq-worker");
        t.detach();  // the pool is never destroyed; the threads end with the process
        ++workers_;
      } catch (const std::system_error&) {
        break;  // fewer workers: the callers do the rest themselves
      }
    }
  }

  unsigned workers() const noexcept { return workers_; }

  bool polling() const noexcept { return sleeping_.load(std::memory_order_relaxed) < workers_; }

  void run(Job& job) {
    if (job.max_helpers > 0) {
      {
        std::lock_guard<threading::Lock> g(lock_);
        job.listed = true;
        (tail_ != nullptr ? tail_->link : head_) = &job;
        tail_ = &job;
      }
      signal_.fetch_add(1, std::memory_order_seq_cst);
      if (sleeping_.load(std::memory_order_seq_cst) != 0) futex_wake(signal_, static_cast<int>(job.max_helpers), kScope);
    }
    job.drain(0);
    if (job.max_helpers == 0) return;
    {
      std::lock_guard<threading::Lock> g(lock_);
      if (job.listed) unlist(job);
    }
    for (int spin = 0;; ++spin) {
      const std::uint32_t a = job.active.load(std::memory_order_acquire);
      if (a == 0) return;
      if (spin < kCallerSpinRounds) {
        cpu_relax();
      } else {
        futex_wait(job.active, a, std::nullopt, kScope);
      }
    }
  }

 private:
  static constexpr FutexScope kScope = FutexScope::process_private;

  // Precondition: lock_ held, job listed.
  void unlist(Job& job) noexcept {
    Job** p = &head_;
    Job* prev = nullptr;
    while (*p != &job) {
      prev = *p;
      p = &(*p)->link;
    }
    *p = job.link;
    if (tail_ == &job) tail_ = prev;
    job.link = nullptr;
    job.listed = false;
  }

  void work() {
    for (;;) {
      const std::uint32_t seen = signal_.load(std::memory_order_seq_cst);
      Job* job = nullptr;
      std::size_t slot = 0;
      {
        std::lock_guard<threading::Lock> g(lock_);
        job = head_;
        if (job != nullptr) {
          slot = ++job->helpers;
          job->active.fetch_add(1, std::memory_order_relaxed);
          if (job->helpers == job->max_helpers) unlist(*job);
        }
      }
      if (job != nullptr) {
        job->drain(slot);
        std::atomic<std::uint32_t>& active = job->active;
        // After this decrement the caller may return and the Job be gone;
        // futex_wake only hashes the address.
        if (active.fetch_sub(1, std::memory_order_acq_rel) == 1) futex_wake_all(active, kScope);
        continue;
      }
      bool changed = false;
      for (int spin = 1; spin <= kSpinRounds && !changed; ++spin) {
        if (spin % kYieldEvery == 0) {
          ::sched_yield();
        } else {
          cpu_relax();
        }
        changed = signal_.load(std::memory_order_relaxed) != seen;
      }
      if (changed) continue;
      sleeping_.fetch_add(1, std::memory_order_seq_cst);
      futex_wait(signal_, seen, std::nullopt, kScope);
      sleeping_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  threading::Lock lock_;
  Job* head_ = nullptr;
  Job* tail_ = nullptr;
  std::atomic<std::uint32_t> signal_{0};   // bumped by every listed job; the workers' futex word
  std::atomic<std::uint32_t> sleeping_{0};  // workers in futex_wait (spares the wake syscall)
  unsigned workers_ = 0;
};

std::atomic<Pool*> g_pool{nullptr};
threading::Lock g_pool_lock;

// A forked child has none of the parent's workers: it starts its own pool on
// demand (the parent's is abandoned in the child's copy of memory).
void after_fork_in_child() { g_pool.store(nullptr, std::memory_order_relaxed); }
const int g_atfork_registered = ::pthread_atfork(nullptr, nullptr, after_fork_in_child);

Pool& pool() {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p != nullptr) return *p;
  std::lock_guard<threading::Lock> g(g_pool_lock);
  p = g_pool.load(std::memory_order_relaxed);
  if (p == nullptr) {
    p = new Pool(default_degree() - 1);
    g_pool.store(p, std::memory_order_release);
  }
  return *p;
}

}  // namespace

unsigned default_degree() noexcept {
  static const unsigned degree = [] {
    cpu_set_t set;
    int n = 0;
    if (::sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    if (n < 1) n = static_cast<int>(std::thread::hardware_concurrency());
    if (n < 1) n = 1;
    return static_cast<unsigned>(n) > kMaxDegree ? kMaxDegree : static_cast<unsigned>(n);
  }();
  return degree;
}

bool workers_awake() noexcept {
  const Pool* p = g_pool.load(std::memory_order_acquire);
  return p != nullptr && p->polling();
}

std::size_t slot_count(unsigned degree) {
  const unsigned most = default_degree();
  return degree > most ? most : (degree == 0 ? 1 : degree);
}

void run_chunks(std::size_t chunks, unsigned degree, void* ctx, ChunkFn fn) {
  (void)g_atfork_registered;
  Job job;
  job.fn = fn;
  job.ctx = ctx;
  job.chunks = chunks;
  if (degree > 1 && chunks > 1) {
    Pool& p = pool();
    std::size_t helpers = slot_count(degree) - 1;
    if (helpers > p.workers()) helpers = p.workers();
    if (helpers > chunks - 1) helpers = chunks - 1;
    job.max_helpers = static_cast<unsigned>(helpers);
    p.run(job);
  } else {
    job.drain(0);
  }
}

}  // namespace concur::detail::plinq
