// concur/detail/plinq_engine.hpp — the scheduler under concur::plinq (private).
//
// run_chunks() runs `fn(ctx, chunk, slot)` once for every chunk index in
// [0, chunks), on at most `degree` threads, the calling thread included, and
// returns when every call returned. The caller lists the run in a process-wide
// fork-join pool of default_degree() - 1 worker threads ("plinq-worker"),
// then drains a shared chunk counter itself; idle workers join (up to
// degree - 1 of them) and drain the same counter. A run never waits for a
// worker to arrive: a caller whose helpers are all busy (with other runs, or
// with the query this one is nested in) does every chunk itself, so nested
// queries cannot deadlock. The caller returns after the helpers that joined
// have left; everything they wrote happens-before the return.
//
// `slot` is 0 for the caller and 1.. for the helpers, below
// slot_count(degree); no two calls with the same slot overlap in time, so a
// caller may keep one accumulator per slot without locking.
//
// fn must not throw (plinq's wrapper catches every user exception).
// Hidden threads: the first run with degree > 1 and more than one chunk
// starts the workers (detached std::threads, never stopped); they poll for
// new runs a few tens of µs after each run, then sleep on a futex. A forked
// child starts its own pool on demand.
#pragma once

#include <cstddef>

namespace concur::detail::plinq {

using ChunkFn = void (*)(void* ctx, std::size_t chunk, std::size_t slot) noexcept;

// The hardware threads this process may run on (its CPU affinity mask),
// at most 512: the default degree of parallelism.
unsigned default_degree() noexcept;

// The number of distinct `slot` values run_chunks passes for `degree`:
// min(degree, default_degree()).
std::size_t slot_count(unsigned degree);

// True when the pool exists and not every worker is asleep (they poll for a
// few tens of µs after each run): a run now would not pay a futex wake.
bool workers_awake() noexcept;

// Precondition: 1 <= degree <= 512.
void run_chunks(std::size_t chunks, unsigned degree, void* ctx, ChunkFn fn);

}  // namespace concur::detail::plinq
