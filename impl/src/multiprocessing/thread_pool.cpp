// multiprocessing.pool.ThreadPool: a FIFO of chunks and N threading::Thread
// workers.
#include "concur/multiprocessing/thread_pool.hpp"

#include <deque>
#include <mutex>

#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/thread.hpp"

namespace concur::multiprocessing {
namespace detail {

class ThreadPoolCore {
 public:
  using Chunk = std::pair<std::function<void()>, std::function<void()>>;

  ThreadPoolCore(int processes, std::function<void()> initializer)
      : processes_(processes), initializer_(std::move(initializer)) {
    for (int i = 0; i < processes; ++i) {
      auto t = std::make_unique<threading::Thread>(threading::ThreadOptions{.daemon = true}, [this] { worker(); });
      t->start();
      workers_.push_back(std::move(t));
    }
  }

  int processes() const { return processes_; }

  void check_running() const {
    std::lock_guard lock(mu_);
    if (state_ != State::run) throw ValueError("Pool not running");
  }

  void submit(std::vector<Chunk> chunks) {
    std::lock_guard lock(mu_);
    if (state_ != State::run) throw ValueError("Pool not running");
    for (auto& c : chunks) queue_.push_back(std::move(c));
    cv_.notify_all();
  }

  void close() {
    std::lock_guard lock(mu_);
    if (state_ == State::run) state_ = State::close;
    cv_.notify_all();
  }

  void terminate() {
    std::deque<Chunk> dropped;
    {
      std::lock_guard lock(mu_);
      state_ = State::terminate;
      dropped.swap(queue_);
      cv_.notify_all();
    }
    for (auto& c : dropped) c.second();
  }

  void join() {
    {
      std::lock_guard lock(mu_);
      if (state_ == State::run) throw ValueError("Pool is still running");
    }
    std::lock_guard g(join_mu_);
    const auto me = threading::get_ident();
    for (auto& t : workers_) {
      if (t->ident() && *t->ident() != me) t->join();
    }
  }

 private:
  enum class State { run, close, terminate };

  void worker() {
    if (initializer_) {
      try {
        initializer_();
      } catch (...) {
        report_callback_error("ThreadPool initializer");
      }
    }
    for (;;) {
      Chunk c;
      {
        std::lock_guard lock(mu_);
        cv_.wait_for([this] { return !queue_.empty() || state_ != State::run; });
        if (queue_.empty() || state_ == State::terminate) return;
        c = std::move(queue_.front());
        queue_.pop_front();
      }
      c.first();
    }
  }

  const int processes_;
  std::function<void()> initializer_;
  mutable threading::Lock mu_;  // with cv_: CPython's queue.py waiting
  threading::Lock join_mu_;
  threading::Condition cv_{mu_};
  State state_ = State::run;
  std::deque<Chunk> queue_;
  std::vector<std::unique_ptr<threading::Thread>> workers_;
};

ThreadPoolHandle::ThreadPoolHandle(int processes, std::function<void()> initializer)
    : core_(std::make_shared<ThreadPoolCore>(processes, std::move(initializer))) {}
ThreadPoolHandle::ThreadPoolHandle(ThreadPoolHandle&&) noexcept = default;
ThreadPoolHandle& ThreadPoolHandle::operator=(ThreadPoolHandle&&) noexcept = default;
ThreadPoolHandle::~ThreadPoolHandle() {
  if (!core_) return;
  try {
    core_->terminate();
    core_->join();
  } catch (...) {
  }
}
int ThreadPoolHandle::processes() const { return core_->processes(); }
void ThreadPoolHandle::check_running() const { core_->check_running(); }
void ThreadPoolHandle::submit(std::vector<std::pair<std::function<void()>, std::function<void()>>> chunks) {
  core_->submit(std::move(chunks));
}
void ThreadPoolHandle::close() { core_->close(); }
void ThreadPoolHandle::terminate() { core_->terminate(); }
void ThreadPoolHandle::join() { core_->join(); }

}  // namespace detail

ThreadPool::~ThreadPool() = default;

}  // namespace concur::multiprocessing
