// The tpl worker pool (design notes in concur/detail/tpl_scheduler.hpp).
//
// Workers are daemonic concur::threading::Threads named "tpl-worker-N",
// started lazily: a post() that finds fewer sleeping workers than queued
// items starts one, as long as fewer than tpl_target_workers() are running
// (not blocked). A worker that finds more running workers than the target
// after a work item (a compensating worker whose blocked peer came back)
// ends. The Pool is never destroyed: exit-time destructors cannot pull it
// from under its daemon workers.
#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "concur/detail/tpl_scheduler.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/thread.hpp"

namespace concur::detail {

namespace {

thread_local bool on_worker = false;

class Pool {
 public:
  Pool() : target_(std::max(2u, std::thread::hardware_concurrency())) {}

  unsigned target() const noexcept { return target_; }

  void post(std::function<void()> work) {
    bool spawn = false;
    {
      std::unique_lock guard(lock_);
      queue_.push_back(std::move(work));
      if (queue_.size() <= sleeping_) {
        cond_.notify();
      } else if (workers_ - blocked_ < target_) {
        ++workers_;
        spawn = true;
      }
    }
    if (spawn) start_worker();
  }

  void begin_blocking() {
    bool spawn = false;
    {
      std::unique_lock guard(lock_);
      ++blocked_;
      if (queue_.size() > sleeping_ && workers_ - blocked_ < target_) {
        ++workers_;
        spawn = true;
      }
    }
    if (spawn) start_worker();
  }

  void end_blocking() {
    std::unique_lock guard(lock_);
    --blocked_;
  }

 private:
  void start_worker() {
    unsigned n;
    {
      std::unique_lock guard(lock_);
      n = ++started_;
    }
    try {
      threading::Thread t(threading::ThreadOptions{.name = "tpl-worker-" + std::to_string(n), .daemon = true},
                          [this] { loop(); });
      t.start();
      // Destroying a started daemon Thread detaches it (threading/thread.hpp).
    } catch (...) {
      std::unique_lock guard(lock_);
      --workers_;
      if (workers_ == 0 && !queue_.empty()) throw;  // nobody would ever run the queue
    }
  }

  void loop() {
    on_worker = true;
    std::unique_lock guard(lock_);
    for (;;) {
      while (queue_.empty()) {
        ++sleeping_;
        cond_.wait();
        --sleeping_;
      }
      auto work = std::move(queue_.front());
      queue_.pop_front();
      guard.unlock();
      try {
        work();
      } catch (...) {
      }
      work = nullptr;
      guard.lock();
      if (workers_ - blocked_ > target_) {
        --workers_;
        return;
      }
    }
  }

  const unsigned target_;
  threading::Lock lock_;
  threading::Condition cond_{lock_};
  std::deque<std::function<void()>> queue_;
  unsigned workers_ = 0, blocked_ = 0, sleeping_ = 0, started_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: see the file comment
  return *p;
}

}  // namespace

void tpl_post(std::function<void()> work) { pool().post(std::move(work)); }

unsigned tpl_target_workers() { return pool().target(); }

bool tpl_on_worker() noexcept { return on_worker; }

TplBlockingScope::TplBlockingScope() : active_(on_worker) {
  if (active_) pool().begin_blocking();
}

TplBlockingScope::~TplBlockingScope() {
  if (active_) pool().end_blocking();
}

}  // namespace concur::detail
