// concur/tpl/progress.hpp — .NET's IProgress<T> and Progress<T> (seed 000,
// .NET half: "进度方面的可以使用IProgress<T>"; .NET docs "IProgress<T>",
// "Progress<T>").
//
// Guarantees
//  * IProgress<T> is the interface an operation reports progress through:
//    report(value). Write operations against IProgress<T>& (or a pointer
//    that may be null, as .NET code passes null for "no progress").
//  * Progress<T>(handler) calls handler(value) for every report(value).
//    progress_changed(handler) adds further handlers (.NET's ProgressChanged
//    event); each report calls the constructor's handler and then every
//    added handler, in the order they were added.
//  * Deviation from .NET, on purpose: C++ has no SynchronizationContext, and
//    .NET without one posts each report to the thread pool, so handlers run
//    late, concurrently and out of order. concur calls the handlers
//    synchronously on the reporting thread, one report at a time (an
//    internal lock serializes reports from concurrent threads): a handler
//    sees every report of one thread in report order and never runs
//    concurrently with itself. A handler's exception propagates from
//    report(); a handler must not call report() on the same Progress.
//
// Thread-safety: report and progress_changed may be called from any thread.
// Process-safety: none. Fork-safety: do not use a Progress in a child forked
// while another thread was inside report().
// Blocking: report() blocks while another thread's report runs the handlers.
// Lifetime: neither copyable nor movable (operations hold references to it).
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "concur/threading/lock.hpp"

namespace concur::tpl {

template <class T>
class IProgress {
 public:
  virtual ~IProgress() = default;
  // Reports a progress update.
  virtual void report(const T& value) = 0;
};

template <class T>
class Progress : public IProgress<T> {
 public:
  Progress() = default;
  explicit Progress(std::function<void(const T&)> handler) {
    if (handler) handlers_.push_back(std::move(handler));
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // ProgressChanged += handler.
  void progress_changed(std::function<void(const T&)> handler) {
    std::unique_lock guard(lock_);
    if (handler) handlers_.push_back(std::move(handler));
  }

  void report(const T& value) override {
    std::unique_lock guard(lock_);
    for (auto& h : handlers_) h(value);
  }

 private:
  threading::Lock lock_;
  std::vector<std::function<void(const T&)>> handlers_;
};

}  // namespace concur::tpl
