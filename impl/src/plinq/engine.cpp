// The oneTBB engine of concur::plinq (see concur/detail/plinq_engine.hpp).
#include "concur/detail/plinq_engine.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <array>
#include <atomic>
#include <mutex>

namespace concur::detail::plinq {
namespace {

constexpr unsigned kMaxDegree = 512;  // .NET's WithDegreeOfParallelism limit

// One arena per degree, created on first use and never destroyed: queries
// may run during static destruction, and an arena's workers are TBB's
// process-wide pool anyway.
std::array<std::atomic<tbb::task_arena*>, kMaxDegree + 1> g_arenas{};
std::mutex g_arenas_mutex;

unsigned capped(unsigned degree) noexcept;

// Arenas never hold more slots than oneTBB has threads: a larger degree would
// only make oneTBB warn that it cannot supply the workers.
tbb::task_arena& arena_for(unsigned requested) {
  const unsigned degree = capped(requested);
  tbb::task_arena* a = g_arenas[degree].load(std::memory_order_acquire);
  if (a != nullptr) return *a;
  std::lock_guard<std::mutex> g(g_arenas_mutex);
  a = g_arenas[degree].load(std::memory_order_relaxed);
  if (a == nullptr) {
    a = new tbb::task_arena(static_cast<int>(degree));
    a->initialize();
    g_arenas[degree].store(a, std::memory_order_release);
  }
  return *a;
}

unsigned capped(unsigned degree) noexcept {
  const unsigned most = default_degree();
  return degree > most ? most : degree;
}

}  // namespace

unsigned default_degree() noexcept {
  static const unsigned degree = [] {
    int n = tbb::info::default_concurrency();
    if (n < 1) n = 1;
    return static_cast<unsigned>(n) > kMaxDegree ? kMaxDegree : static_cast<unsigned>(n);
  }();
  return degree;
}

std::size_t slot_count(unsigned degree) {
  return static_cast<std::size_t>(arena_for(degree).max_concurrency());
}

void run_chunks(std::size_t chunks, unsigned degree, void* ctx, ChunkFn fn) {
  tbb::task_arena& arena = arena_for(degree);
  // Happens-before edges that ThreadSanitizer can see (the task hand-off
  // inside libtbb is not instrumented): the caller's writes before the run
  // reach every chunk, and every chunk's writes reach the caller after it.
  std::atomic<std::size_t> handoff{0};
  handoff.store(1, std::memory_order_release);
  arena.execute([&] {
    tbb::this_task_arena::isolate([&] {
      tbb::task_group_context group(tbb::task_group_context::isolated);
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, chunks, 1),
          [&](const tbb::blocked_range<std::size_t>& r) {
            (void)handoff.load(std::memory_order_acquire);
            auto slot = static_cast<std::size_t>(tbb::this_task_arena::current_thread_index());
            for (std::size_t c = r.begin(); c != r.end(); ++c) fn(ctx, c, slot);
            handoff.fetch_add(1, std::memory_order_acq_rel);
          },
          tbb::simple_partitioner(), group);
    });
  });
  (void)handoff.load(std::memory_order_acquire);
}

}  // namespace concur::detail::plinq
