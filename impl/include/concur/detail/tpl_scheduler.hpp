// concur/detail/tpl_scheduler.hpp — private: the worker pool under
// concur::tpl's Task::run, continuations and Parallel::* (the public contract
// is in concur/tpl/task.hpp, "Threads").
//
// Why its own pool, not futures::ThreadPoolExecutor or oneTBB:
//  * TPL semantics need two things neither gives: a thread that waits for a
//    task that no worker has started yet runs it itself (.NET's task
//    inlining), and a worker that blocks in Task::wait/result is compensated
//    by an extra worker while it waits, so chains of tasks waiting for tasks
//    cannot starve a fixed-size pool (.NET's thread injection, oneTBB's and
//    ForkJoinPool's managed blocking). ThreadPoolExecutor is CPython's
//    fixed-size FIFO executor with Future cancel semantics and shutdown.
//  * oneTBB's dispatcher lives in the uninstrumented libtbb.so: ThreadSanitizer
//    cannot see its happens-before edges and reports false races in every
//    test that reads what a body wrote, and the suite must run clean under TSan.
//  * The pool is built from concur's own primitives (threading::Thread,
//    threading::Lock + threading::Condition, as the in-process queue rule of
//    DESIGN.md says), so TSan and fork behaviour are those of the rest of
//    concur::threading.
// Parallel::* loops are chunked by the caller (parallel.hpp) into at most
// max_degree_of_parallelism work items that pull indices from a shared
// atomic counter, so per-iteration cost is one fetch_add.
#pragma once

#include <functional>

namespace concur::detail {

// Queues `work` for a tpl worker. Never blocks for long (it may start a
// worker thread). `work` must not throw (an exception is swallowed).
void tpl_post(std::function<void()> work);

// The number of workers the pool keeps busy: max(2, hardware_concurrency()).
unsigned tpl_target_workers();

// True on a tpl worker thread.
bool tpl_on_worker() noexcept;

// While alive on a tpl worker, the worker counts as blocked and the pool may
// start a compensating worker if work is queued. No effect on other threads.
class TplBlockingScope {
 public:
  TplBlockingScope();
  ~TplBlockingScope();
  TplBlockingScope(const TplBlockingScope&) = delete;
  TplBlockingScope& operator=(const TplBlockingScope&) = delete;

 private:
  bool active_;
};

}  // namespace concur::detail
