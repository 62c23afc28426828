// concur/detail/plinq_engine.hpp — the scheduler under concur::plinq (private).
//
// run_chunks() runs `fn(ctx, chunk, slot)` once for every chunk index in
// [0, chunks), on at most `degree` threads, the calling thread included, and
// returns when every call returned. The threads are oneTBB's: one
// tbb::task_arena per degree (max_concurrency = degree, created on first use
// and kept until exit), a parallel_for with simple_partitioner over the chunk
// indices (one stealable task per chunk), run inside
// this_task_arena::isolate under an isolated task_group_context, so a query
// nested in another query's user function neither steals the outer query's
// chunks nor is cancelled by an outer TBB algorithm.
//
// `slot` is the running thread's index in the arena, in [0, slot_count(degree)):
// no two calls with the same slot overlap in time, so a caller may keep one
// accumulator per slot without locking.
//
// fn must not throw (plinq's wrapper catches every user exception).
// Hidden threads: the first call with more than one chunk and degree > 1
// starts oneTBB's worker threads (default_degree() - 1 of them); they stay
// for the life of the process (documented in concur/plinq/query.hpp).
#pragma once

#include <cstddef>

namespace concur::detail::plinq {

using ChunkFn = void (*)(void* ctx, std::size_t chunk, std::size_t slot) noexcept;

// The number of hardware threads oneTBB may use (affinity mask and cgroup
// limits respected): the default degree of parallelism.
unsigned default_degree() noexcept;

// The number of distinct `slot` values run_chunks passes for `degree`.
std::size_t slot_count(unsigned degree);

// Precondition: 1 <= degree <= 512.
void run_chunks(std::size_t chunks, unsigned degree, void* ctx, ChunkFn fn);

}  // namespace concur::detail::plinq
