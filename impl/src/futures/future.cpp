// concurrent.futures.Future's state machine, wait() and as_completed().
#include "concur/futures/future.hpp"

#include <algorithm>
#include <cstdio>

#include "concur/detail/type_name.hpp"

namespace concur::futures::detail {

// Shared by wait()/as_completed() and the futures they watch: the futures
// that completed, in completion order.
struct Waiter {
  threading::Lock mu;
  threading::Condition cv{mu};
  std::vector<const FutureCore*> completed;
  void add(const FutureCore* f) {
    std::lock_guard lock(mu);
    completed.push_back(f);
    cv.notify_all();
  }
};

namespace {
const char* state_name(FutureCore::State s) {
  switch (s) {
    case FutureCore::State::pending: return "PENDING";
    case FutureCore::State::running: return "RUNNING";
    case FutureCore::State::cancelled: return "CANCELLED";
    case FutureCore::State::cancelled_and_notified: return "CANCELLED_AND_NOTIFIED";
    case FutureCore::State::finished: return "FINISHED";
  }
  return "?";
}
bool is_done(FutureCore::State s) {
  return s == FutureCore::State::cancelled || s == FutureCore::State::cancelled_and_notified ||
         s == FutureCore::State::finished;
}
std::optional<std::chrono::steady_clock::time_point> deadline_of(const Timeout& t) {
  if (!t) return std::nullopt;
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::max(*t, Timeout::value_type(0)));
}
// What is left until `deadline` (never negative); no deadline: no timeout.
Timeout left_until(const std::optional<std::chrono::steady_clock::time_point>& deadline) {
  if (!deadline) return std::nullopt;
  return std::max(Timeout::value_type(*deadline - std::chrono::steady_clock::now()), Timeout::value_type(0));
}
}  // namespace

bool FutureCore::cancel() {
  std::vector<std::function<void()>> cbs;
  std::vector<std::shared_ptr<Waiter>> ws;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::running || state_ == State::finished) return false;
    if (state_ == State::cancelled || state_ == State::cancelled_and_notified) return true;
    state_ = State::cancelled;
    cv_.notify_all();
    cbs.swap(callbacks_);
    ws.swap(waiters_);
  }
  for (auto& w : ws) w->add(this);
  run_callbacks(cbs);
  return true;
}

bool FutureCore::cancelled() const {
  std::lock_guard lock(mu_);
  return state_ == State::cancelled || state_ == State::cancelled_and_notified;
}
bool FutureCore::running() const {
  std::lock_guard lock(mu_);
  return state_ == State::running;
}
bool FutureCore::done() const {
  std::lock_guard lock(mu_);
  return is_done(state_);
}

bool FutureCore::set_running_or_notify_cancel() {
  std::lock_guard lock(mu_);
  if (state_ == State::cancelled) {
    state_ = State::cancelled_and_notified;
    return false;
  }
  if (state_ == State::pending) {
    state_ = State::running;
    return true;
  }
  throw RuntimeError("Future in unexpected state");
}

void FutureCore::wait_done(const Timeout& timeout, bool) {
  std::lock_guard lock(mu_);
  if (!cv_.wait_for([this] { return is_done(state_); }, timeout)) throw concur::TimeoutError("");
  if (state_ != State::finished) throw CancelledError();
  if (error_) std::rethrow_exception(error_);
}

std::exception_ptr FutureCore::exception(const Timeout& timeout) {
  std::lock_guard lock(mu_);
  if (!cv_.wait_for([this] { return is_done(state_); }, timeout)) throw concur::TimeoutError("");
  if (state_ != State::finished) throw CancelledError();
  return error_;
}

void FutureCore::finish(std::exception_ptr error, const std::function<void()>& store) {
  std::vector<std::function<void()>> cbs;
  std::vector<std::shared_ptr<Waiter>> ws;
  {
    std::lock_guard lock(mu_);
    if (is_done(state_)) {
      throw InvalidStateError(std::string(state_name(state_)) + ": " + repr_locked());
    }
    if (error) {
      error_ = std::move(error);
    } else {
      store();
    }
    state_ = State::finished;
    cv_.notify_all();
    cbs.swap(callbacks_);
    ws.swap(waiters_);
  }
  for (auto& w : ws) w->add(this);
  run_callbacks(cbs);
}

void FutureCore::add_done_callback(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!is_done(state_)) {
      callbacks_.push_back(std::move(fn));
      return;
    }
  }
  std::vector<std::function<void()>> one{std::move(fn)};
  run_callbacks(one);
}

void FutureCore::run_callbacks(std::vector<std::function<void()>>& cbs) {
  for (auto& cb : cbs) {
    try {
      cb();
    } catch (const std::exception& e) {
      std::string m = "exception calling callback for " + repr() + "\n" + concur::detail::type_name(typeid(e)) +
                      ": " + e.what() + "\n";
      std::fputs(m.c_str(), stderr);
    } catch (...) {
      std::string m = "exception calling callback for " + repr() + "\n";
      std::fputs(m.c_str(), stderr);
    }
  }
}

std::string class_name_of(const std::type_info& type) { return concur::detail::class_name(type); }

namespace {
// type(e).__name__ of a stored exception.
std::string exception_class_name(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return concur::detail::class_name(typeid(x));
  } catch (const concur::SystemExit&) {
    return "SystemExit";
  } catch (...) {
    return "BaseException";
  }
}
}  // namespace

// CPython's Future.__repr__: "<Future at 0x7f... state=finished returned int>".
std::string FutureCore::repr_locked() const {
  std::string s = "<Future at " + concur::detail::address_text(this) + " state=";
  switch (state_) {
    case State::pending: s += "pending"; break;
    case State::running: s += "running"; break;
    case State::cancelled:
    case State::cancelled_and_notified: s += "cancelled"; break;
    case State::finished:
      s += error_ ? "finished raised " + exception_class_name(error_) : "finished returned " + result_type();
      break;
  }
  return s + ">";
}

std::string FutureCore::repr() const {
  std::lock_guard lock(mu_);
  return repr_locked();
}

bool FutureCore::attach(const std::shared_ptr<Waiter>& w) {
  std::lock_guard lock(mu_);
  if (is_done(state_)) return true;
  waiters_.push_back(w);
  return false;
}

void FutureCore::detach(const std::shared_ptr<Waiter>& w) {
  std::lock_guard lock(mu_);
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
}

bool FutureCore::has_exception() const {
  std::lock_guard lock(mu_);
  return state_ == State::finished && error_ != nullptr;
}

std::vector<std::size_t> wait_indices(const std::vector<FutureCore*>& fs, const Timeout& timeout, ReturnWhen when) {
  auto waiter = std::make_shared<Waiter>();
  std::vector<bool> done(fs.size(), false);
  std::size_t ndone = 0;
  bool any_error = false;
  for (std::size_t i = 0; i < fs.size(); ++i) {
    if (fs[i]->attach(waiter)) {
      done[i] = true;
      ++ndone;
      any_error |= fs[i]->has_exception();
    }
  }
  auto satisfied = [&] {
    if (ndone == fs.size()) return true;
    if (when == FIRST_COMPLETED) return ndone > 0;
    if (when == FIRST_EXCEPTION) return any_error;
    return false;
  };
  const auto deadline = deadline_of(timeout);
  std::unique_lock lock(waiter->mu);
  std::size_t seen = 0;
  while (!satisfied()) {
    if (!waiter->cv.wait_for([&] { return waiter->completed.size() > seen; }, left_until(deadline))) break;
    for (; seen < waiter->completed.size(); ++seen) {
      for (std::size_t i = 0; i < fs.size(); ++i) {
        if (fs[i] == waiter->completed[seen] && !done[i]) {
          done[i] = true;
          ++ndone;
          any_error |= fs[i]->has_exception();
        }
      }
    }
  }
  lock.unlock();
  for (auto* f : fs) f->detach(waiter);
  // Futures that completed after we stopped waiting count as done too, as
  // CPython recomputes the done set from the states.
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < fs.size(); ++i) {
    if (done[i] || fs[i]->done()) out.push_back(i);
  }
  return out;
}

AsCompletedCore::AsCompletedCore(std::vector<FutureCore*> fs, Timeout timeout)
    : fs_(std::move(fs)), waiter_(std::make_shared<Waiter>()), deadline_(deadline_of(timeout)) {
  std::vector<const FutureCore*> already;
  for (auto* f : fs_) {
    if (f->attach(waiter_)) already.push_back(f);
  }
  // Those done before the call come first (CPython yields `finished` first).
  std::lock_guard lock(waiter_->mu);
  waiter_->completed.insert(waiter_->completed.begin(), already.begin(), already.end());
}

AsCompletedCore::~AsCompletedCore() {
  for (auto* f : fs_) f->detach(waiter_);
}

std::optional<std::size_t> AsCompletedCore::next() {
  if (yielded_ == fs_.size()) return std::nullopt;
  std::lock_guard lock(waiter_->mu);
  if (!waiter_->cv.wait_for([&] { return waiter_->completed.size() > yielded_; }, left_until(deadline_))) {
    throw concur::TimeoutError(std::to_string(fs_.size() - yielded_) + " (of " + std::to_string(fs_.size()) +
                               ") futures unfinished");
  }
  const FutureCore* f = waiter_->completed[yielded_++];
  for (std::size_t i = 0; i < fs_.size(); ++i) {
    if (fs_[i] == f) return i;
  }
  return std::nullopt;
}

}  // namespace concur::futures::detail
