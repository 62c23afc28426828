// concurrent.futures.ProcessPoolExecutor on the multiprocessing.Pool engine
// (pool.cpp) in its executor mode: a call queue of max_workers + 1 and a
// worker loss that breaks the pool.
#include "concur/futures/process_pool_executor.hpp"

namespace concur::futures {
namespace detail {

void check_executor_options(const ProcessPoolExecutorOptions& o, multiprocessing::detail::PoolConfig& config) {
  if (o.max_workers) {
    if (*o.max_workers <= 0) throw ValueError("max_workers must be greater than 0");
    config.processes = *o.max_workers;
  } else {
    config.processes = multiprocessing::detail::default_pool_size();
  }
  const multiprocessing::Context* ctx = o.context;
  if (!ctx) ctx = o.max_tasks_per_child ? &multiprocessing::get_context("spawn") : &multiprocessing::get_context();
  if (o.max_tasks_per_child) {
    if (*o.max_tasks_per_child <= 0) throw ValueError("max_tasks_per_child must be >= 1");
    if (ctx->start_method() == multiprocessing::StartMethod::fork) {
      throw ValueError(
          "max_tasks_per_child is incompatible with the 'fork' multiprocessing start method; supply a different "
          "mp_context.");
    }
  }
  config.context = ctx;
  config.maxtasks = o.max_tasks_per_child;
  config.max_inflight = static_cast<std::size_t>(config.processes) + 1;  // EXTRA_QUEUED_CALLS = 1
  config.break_on_worker_loss = true;
  config.start_on_first_submit = true;
}

}  // namespace detail

void ProcessPoolExecutor::submit_erased(std::shared_ptr<multiprocessing::detail::JobSink> sink,
                                        multiprocessing::detail::GenericFn fn,
                                        multiprocessing::detail::TaskInvoker invoker, const std::type_info& type,
                                        std::vector<multiprocessing::detail::ChunkArgs> chunks) {
  auto ref = multiprocessing::detail::make_task_ref(fn, invoker,
                                                    handle_.method() == multiprocessing::StartMethod::fork, type);
  handle_.submit(std::move(sink), ref, std::move(chunks));
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  if (!handle_) return;
  if (cancel_futures) handle_.cancel_pending();
  handle_.close();
  if (wait) handle_.join();
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
  try {
    shutdown(true, false);
  } catch (...) {
  }
}

}  // namespace concur::futures
