// concurrent.futures.ThreadPoolExecutor: a FIFO of work items and lazily
// started threading::Thread workers (CPython thread.py).
#include "concur/futures/thread_pool_executor.hpp"

#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>

#include "concur/detail/type_name.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/thread.hpp"

namespace concur::futures {
namespace detail {

namespace {
std::atomic<int> g_executor_counter{0};
}

class ThreadExecutorCore {
 public:
  ThreadExecutorCore(int max_workers, std::string prefix, std::function<void()> init)
      : max_workers_(max_workers), prefix_(std::move(prefix)), init_(std::move(init)) {}

  void enqueue(WorkItem item) {
    {
      std::lock_guard lock(mu_);
      if (broken_) throw BrokenThreadPool(broken_reason_);
      if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
      queue_.push_back(std::move(item));
      cv_.notify();
      // CPython _adjust_thread_count: a new thread only if none is idle.
      if (idle_ == 0 && static_cast<int>(threads_.size()) < max_workers_) {
        std::string name = prefix_ + "_" + std::to_string(threads_.size());
        auto t = std::make_unique<threading::Thread>(threading::ThreadOptions{.name = name, .daemon = true},
                                                     [this] { worker(); });
        t->start();
        threads_.push_back(std::move(t));
      }
    }
  }

  void shutdown(bool wait, bool cancel_futures) {
    std::deque<WorkItem> dropped;
    {
      std::lock_guard lock(mu_);
      shutdown_ = true;
      if (cancel_futures) dropped.swap(queue_);
      cv_.notify_all();
    }
    for (auto& w : dropped) w.cancel();
    if (wait) {
      std::lock_guard g(join_mu_);
      const auto me = threading::get_ident();
      std::vector<threading::Thread*> ts;
      {
        std::lock_guard lock(mu_);
        for (auto& t : threads_) ts.push_back(t.get());
      }
      for (auto* t : ts) {
        if (t->ident() && *t->ident() != me) t->join();
      }
    }
  }

 private:
  void worker() {
    if (init_) {
      try {
        init_();
      } catch (const std::exception& e) {
        std::fputs(("Exception in initializer:\n" + concur::detail::type_name(typeid(e)) + ": " + e.what() + "\n").c_str(),
                   stderr);
        initializer_failed();
        return;
      } catch (...) {
        std::fputs("Exception in initializer:\n", stderr);
        initializer_failed();
        return;
      }
    }
    for (;;) {
      WorkItem item;
      {
        std::lock_guard lock(mu_);
        ++idle_;
        cv_.wait_for([this] { return !queue_.empty() || shutdown_ || broken_; });
        --idle_;
        if (queue_.empty()) return;  // shut down (or broken) and drained
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      item.run();
    }
  }

  void initializer_failed() {
    std::deque<WorkItem> pending;
    {
      std::lock_guard lock(mu_);
      broken_ = true;
      broken_reason_ = "A thread initializer failed, the thread pool is not usable anymore";
      pending.swap(queue_);
      cv_.notify_all();
    }
    auto err = std::make_exception_ptr(BrokenThreadPool(broken_reason_));
    for (auto& w : pending) w.fail(err);
  }

  const int max_workers_;
  const std::string prefix_;
  std::function<void()> init_;
  threading::Lock mu_;  // with cv_: CPython's queue.py waiting
  threading::Lock join_mu_;
  threading::Condition cv_{mu_};
  std::deque<WorkItem> queue_;
  std::vector<std::unique_ptr<threading::Thread>> threads_;
  int idle_ = 0;
  bool shutdown_ = false;
  bool broken_ = false;
  std::string broken_reason_;
};

}  // namespace detail

void ThreadPoolExecutor::start(std::optional<int> max_workers, std::string prefix, std::function<void()> init) {
  int n;
  if (max_workers) {
    if (*max_workers <= 0) throw ValueError("max_workers must be greater than 0");
    n = *max_workers;
  } else {
    int cpus = 1;
    try {
      cpus = multiprocessing::cpu_count();
    } catch (...) {
    }
    n = std::min(32, cpus + 4);  // CPython 3.8+: min(32, (os.cpu_count() or 1) + 4)
  }
  if (prefix.empty()) prefix = "ThreadPoolExecutor-" + std::to_string(detail::g_executor_counter++);
  core_ = std::make_shared<detail::ThreadExecutorCore>(n, std::move(prefix), std::move(init));
}

void ThreadPoolExecutor::enqueue(detail::WorkItem item) { core_->enqueue(std::move(item)); }

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) { core_->shutdown(wait, cancel_futures); }

ThreadPoolExecutor::~ThreadPoolExecutor() {
  try {
    core_->shutdown(true, false);
  } catch (...) {
  }
}

}  // namespace concur::futures
