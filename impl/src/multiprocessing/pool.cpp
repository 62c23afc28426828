// multiprocessing.Pool: the worker loop, the parent's engine (PoolCore) with
// its one handler thread, and the error transport between them.
#include "concur/multiprocessing/pool.hpp"

#include <cxxabi.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "concur/detail/fd.hpp"
#include "concur/detail/futex.hpp"
#include "concur/detail/type_name.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/thread.hpp"
#include "internal.hpp"

CONCUR_REGISTER_PROCESS(concur::multiprocessing::detail::PoolWorkerProcess);

namespace concur::multiprocessing {
namespace detail {
namespace {

using concur::detail::UniqueFd;

// The wire format of tasks and results: a bitwise header, written and read by
// serialization's memcpy fast path, followed by its variable-length fields
// (the SharedRing frames the whole message). No archive is built per task.

// What the parent sends a worker: one chunk of calls. Followed by the
// function's registered name and the chunk's serialized argument tuples.
struct TaskHeader {
  std::uint64_t job;
  std::uint64_t fn;       // fork: the function's address; else 0
  std::uint64_t invoker;  // fork: its TaskInvoker's address; else 0
  std::uint32_t chunk;
  std::uint32_t name_len;
};

// kBigFollows: the next message on this ring is a result larger than half
// the ring; the handler must read it at once (see worker_loop).
enum : std::uint32_t { kValue = 0, kError = 1, kReady = 2, kBigFollows = 3 };

// What a worker sends back: the chunk's values, its error, or "ready" (the
// initializer has run; every later task it takes is really started).
// Followed by the error's type name, the traceback text and the payload
// (kValue: dumps(std::vector<S>); kError: the message).
struct ResultHeader {
  std::uint64_t job;
  std::uint32_t chunk;
  std::uint32_t kind;
  std::uint32_t type_len;
  std::uint32_t traceback_len;
};

struct TaskView {
  TaskHeader h{};
  std::string_view name, args;
};

struct ResultMsg {
  ResultHeader h{};
  std::string_view type, traceback, payload;
};

std::string encode_task(const TaskHeader& h, std::string_view name, std::string_view args) {
  std::string out;
  out.reserve(sizeof h + name.size() + args.size());
  serialization::dump_into(h, out);
  out.append(name);
  out.append(args);
  return out;
}

TaskView decode_task(std::string_view buf) {
  TaskView v;
  if (buf.size() < sizeof(TaskHeader)) throw UnpicklingError("pool: truncated task message");
  serialization::load_into(buf.substr(0, sizeof(TaskHeader)), v.h);
  buf.remove_prefix(sizeof(TaskHeader));
  if (buf.size() < v.h.name_len) throw UnpicklingError("pool: truncated task message");
  v.name = buf.substr(0, v.h.name_len);
  v.args = buf.substr(v.h.name_len);
  return v;
}

void encode_result(std::string& out, const ResultHeader& h, std::string_view type, std::string_view traceback,
                   std::string_view payload) {
  out.clear();
  serialization::dump_into(h, out);
  out.append(type);
  out.append(traceback);
  out.append(payload);
}

ResultMsg decode_result(std::string_view buf) {
  ResultMsg r;
  if (buf.size() < sizeof(ResultHeader)) throw UnpicklingError("pool: truncated result message");
  serialization::load_into(buf.substr(0, sizeof(ResultHeader)), r.h);
  buf.remove_prefix(sizeof(ResultHeader));
  if (buf.size() < std::size_t{r.h.type_len} + r.h.traceback_len) {
    throw UnpicklingError("pool: truncated result message");
  }
  r.type = buf.substr(0, r.h.type_len);
  r.traceback = buf.substr(r.h.type_len, r.h.traceback_len);
  r.payload = buf.substr(std::size_t{r.h.type_len} + r.h.traceback_len);
  return r;
}

// The word in WorkerChannels::flags.
struct Flags {
  std::atomic<std::uint32_t> handler_sleeping;
};

Flags& flags_of(const concur::detail::SharedBlock& b) { return *b.as<Flags>(); }

using concur::detail::cpu_relax;

void ring_doorbell(WorkerChannels& ch) {
  // Pairs with the handler's store of handler_sleeping and re-check of the
  // rings: either it sees our message, or we see it asleep.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (flags_of(ch.flags).handler_sleeping.load(std::memory_order_relaxed)) ch.doorbell.send_bytes(std::string_view{});
}

std::string current_exception_type() {
  if (auto* t = abi::__cxa_current_exception_type()) return concur::detail::type_name(*t);
  return "unknown";
}

// ------------------------------------------------------------------ errors

using Maker = std::exception_ptr (*)(const std::string&);
template <class E>
std::exception_ptr make_with_message(const std::string& m) {
  return std::make_exception_ptr(E(m));
}
template <class E>
std::exception_ptr make_without_message(const std::string&) {
  return std::make_exception_ptr(E());
}

// The exception types the parent can rebuild from their name and message.
const std::unordered_map<std::string, Maker>& known_errors() {
  static const auto* m = new std::unordered_map<std::string, Maker>{
      {"concur::ValueError", &make_with_message<ValueError>},
      {"concur::RuntimeError", &make_with_message<RuntimeError>},
      {"concur::AssertionError", &make_with_message<AssertionError>},
      {"concur::TypeError", &make_with_message<TypeError>},
      {"concur::AttributeError", &make_with_message<AttributeError>},
      {"concur::IndexError", &make_with_message<IndexError>},
      {"concur::BrokenBarrierError", &make_with_message<BrokenBarrierError>},
      {"concur::TimeoutError", &make_with_message<concur::TimeoutError>},
      {"concur::NotImplementedError", &make_with_message<NotImplementedError>},
      {"concur::PicklingError", &make_with_message<PicklingError>},
      {"concur::UnpicklingError", &make_with_message<UnpicklingError>},
      {"concur::ProcessError", &make_with_message<ProcessError>},
      {"concur::OSError", &make_with_message<OSError>},
      {"concur::EOFError", &make_with_message<EOFError>},
      {"concur::multiprocessing::TimeoutError", &make_with_message<multiprocessing::TimeoutError>},
      {"concur::multiprocessing::WorkerLostError", &make_with_message<WorkerLostError>},
      {"concur::queue::Full", &make_without_message<queue::Full>},
      {"concur::queue::Empty", &make_without_message<queue::Empty>},
      {"concur::futures::CancelledError", &make_with_message<futures::CancelledError>},
      {"concur::futures::BrokenProcessPool", &make_with_message<futures::BrokenProcessPool>},
      {"std::runtime_error", &make_with_message<std::runtime_error>},
      {"std::logic_error", &make_with_message<std::logic_error>},
      {"std::invalid_argument", &make_with_message<std::invalid_argument>},
      {"std::out_of_range", &make_with_message<std::out_of_range>},
      {"std::domain_error", &make_with_message<std::domain_error>},
      {"std::length_error", &make_with_message<std::length_error>},
      {"std::range_error", &make_with_message<std::range_error>},
      {"std::overflow_error", &make_with_message<std::overflow_error>},
      {"std::underflow_error", &make_with_message<std::underflow_error>},
  };
  return *m;
}

std::exception_ptr rebuild_error(const ResultMsg& r) {
  auto& k = known_errors();
  if (auto it = k.find(std::string(r.type)); it != k.end()) return it->second(std::string(r.payload));
  return std::make_exception_ptr(RemoteError(std::string(r.type), std::string(r.payload), std::string(r.traceback)));
}

std::string signal_text(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return "signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
}

// ------------------------------------------------------------------ worker

// A worker whose parent died (SIGKILL, crash) has nobody to serve: every
// second that a ring wait lasts, it checks, and ends if the parent is gone
// (CPython's workers see EOF on their pipe instead).
constexpr std::chrono::duration<double> kOrphanCheck(1.0);

constexpr int kWorkerYields = 50;

bool parent_alive() {
  const ParentProcess* pp = parent_process();
  return !pp || pp->is_alive();
}

// send_bytes that gives up (false) when the parent has died.
bool send_or_orphan(SharedRing& ring, std::string_view msg) {
  for (;;) {
    try {
      ring.send_bytes(msg, kOrphanCheck);
      return true;
    } catch (const concur::TimeoutError&) {
      if (!parent_alive()) return false;
    }
  }
}

void worker_loop(PoolWorkerProcess& self) {
  WorkerChannels& ch = self.channels;
  const std::string who = self.name() + " (pid " + std::to_string(::getpid()) + ")";
  std::string out;
  encode_result(out, ResultHeader{0, 0, kReady, 0, 0}, {}, {}, {});
  if (!send_or_orphan(ch.results, out)) return;
  ring_doorbell(ch);
  std::string buf;
  std::string cached_name;
  GenericFn cached_fn = nullptr;
  TaskInvoker cached_invoker = nullptr;
  long done = 0;
  for (;;) {
    // Out of tasks: yield the CPU a few times before SharedRing's own
    // spin-then-sleep. The parent's handler, which refills the ring, may be
    // waiting for this very CPU (two workers and the handler share two cores
    // in the benchmark; more so when other programs load the machine):
    // measured 33 ms -> 6 ms per 10 000-task map under a load of 3.
    for (int i = 0; i < kWorkerYields && !ch.tasks.poll(); ++i) ::sched_yield();
    try {
      ch.tasks.recv_bytes_into(buf, kOrphanCheck);
    } catch (const EOFError&) {
      return;  // the pool closed our ring: no more work
    } catch (const concur::TimeoutError&) {
      if (!parent_alive()) return;
      continue;
    }
    TaskView t = decode_task(buf);
    ResultHeader h{t.h.job, t.h.chunk, kValue, 0, 0};
    std::string payload, type, traceback;
    try {
      GenericFn fn;
      TaskInvoker invoker;
      if (t.h.fn != 0) {
        fn = reinterpret_cast<GenericFn>(t.h.fn);
        invoker = reinterpret_cast<TaskInvoker>(t.h.invoker);
      } else {
        if (t.name != cached_name) {
          cached_invoker = registered_task_invoker(t.name, &cached_fn);
          if (!cached_invoker) {
            throw PicklingError("task function '" + std::string(t.name) + "' is not registered in the worker");
          }
          cached_name = t.name;
        }
        fn = cached_fn;
        invoker = cached_invoker;
      }
      payload = invoker(fn, t.args);
    } catch (const std::exception& e) {
      h.kind = kError;
      type = concur::detail::type_name(typeid(e));
      payload = e.what();
    } catch (...) {
      h.kind = kError;
      type = current_exception_type();
    }
    if (h.kind == kError) {
      // CPython's RemoteTraceback text; C++ keeps no frames once unwound, so
      // the text names where the task ran.
      traceback = "Traceback (most recent call last):\n  File \"<" + who + ">\", in " +
                  (t.name.empty() ? std::string("<task>") : std::string(t.name)) + "\n" + type +
                  (payload.empty() ? std::string() : ": " + payload) + "\n";
      h.type_len = static_cast<std::uint32_t>(type.size());
      h.traceback_len = static_cast<std::uint32_t>(traceback.size());
    }
    encode_result(out, h, type, traceback, payload);
    if (out.size() > ch.results.capacity() / 2) {
      // A result that may not fit blocks send_bytes until the handler reads
      // part of it, but the doorbell rings only after a send: announce it
      // first, so the handler is awake and reads it to the end.
      std::string notice;
      encode_result(notice, ResultHeader{h.job, h.chunk, kBigFollows, 0, 0}, {}, {}, {});
      if (!send_or_orphan(ch.results, notice)) return;
      ring_doorbell(ch);
    }
    if (!send_or_orphan(ch.results, out)) return;
    ring_doorbell(ch);
    if (self.maxtasks > 0 && ++done >= self.maxtasks) return;
  }
}

}  // namespace

void PoolWorkerProcess::run() {
  Process::run();  // the initializer, if any; an exception ends the worker
  worker_loop(*this);
}

// ------------------------------------------------------------------ parent

TaskRef make_task_ref(GenericFn fn, TaskInvoker invoker, bool fork, const std::type_info& type) {
  TaskRef ref;
  ref.name = std::string(registered_target_name(fn));
  if (!invoker) {
    ref.error = "Can't pickle the result of task function " +
                (ref.name.empty() ? concur::detail::type_name(type) : "'" + ref.name + "'") +
                ": its return type (or a parameter type) cannot be serialized; give it a cereal serialize() function";
    return ref;
  }
  if (fork) {
    ref.fn = reinterpret_cast<std::uint64_t>(fn);
    ref.invoker = reinterpret_cast<std::uint64_t>(invoker);
  } else if (ref.name.empty()) {
    ref.error =
        "Can't pickle the task function (" + concur::detail::type_name(type) +
        "): it is not registered for a fresh process image (spawn, forkserver); add CONCUR_REGISTER_TARGET(your_function) "
        "at namespace scope, or use the 'fork' start method";
  } else {
    try {
      find_target(ref.name);  // ambiguity
    } catch (const std::exception& e) {
      ref.error = e.what();
    }
  }
  return ref;
}

int default_pool_size() {
  try {
    return cpu_count();
  } catch (const NotImplementedError&) {
    return 1;  // CPython: os.cpu_count() or 1
  }
}

void check_chunksize(long long chunksize, bool imap_unordered) {
  if (chunksize < 1) {
    // CPython formats imap's with {0:n} and imap_unordered's with {0!r}:
    // both print the integer.
    (void)imap_unordered;
    throw ValueError("Chunksize must be 1+, not " + std::to_string(chunksize));
  }
}

std::size_t default_chunksize(std::size_t length, int processes) {
  if (length == 0) return 0;
  const std::size_t d = static_cast<std::size_t>(processes) * 4;
  std::size_t cs = length / d;
  if (length % d) ++cs;
  return cs;
}

void call_error_callback(const ErrorCallback& cb, const std::exception_ptr& e) noexcept {
  try {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      cb(ex);
    } catch (...) {
      cb(RemoteError(current_exception_type(), "", ""));
    }
  } catch (...) {
    report_callback_error("error_callback");
  }
}

void report_callback_error(const char* where) noexcept {
  try {
    std::string text = std::string("Exception in ") + where + ":\n";
    try {
      throw;
    } catch (const std::exception& e) {
      text += concur::detail::type_name(typeid(e)) + ": " + e.what() + "\n";
    } catch (...) {
      text += current_exception_type() + "\n";
    }
    std::fputs(text.c_str(), stderr);
  } catch (...) {
  }
}

std::exception_ptr pool_terminated_error() {
  return std::make_exception_ptr(ProcessError("Pool terminated before the task finished"));
}


namespace {

struct Pending {
  std::shared_ptr<JobSink> sink;
  std::uint64_t job = 0;
  std::uint32_t chunk = 0;
  std::string msg;  // encode_task()
};

struct Worker {
  std::unique_ptr<PoolWorkerProcess> proc;
  WorkerChannels ch;
  std::deque<Pending> inflight;
  std::size_t inflight_bytes = 0;  // of the messages in `inflight`
  long dispatched = 0;
  bool ready = false;
  std::string name;
  pid_t pid = 0;
  int sentinel = -1;
};

struct Completion {
  std::shared_ptr<JobSink> sink;
  std::uint32_t chunk = 0;
  std::string payload;
  std::exception_ptr error;
  bool run_callbacks = true;
};

}  // namespace

class PoolCore {
 public:
  explicit PoolCore(PoolConfig cfg) : cfg_(std::move(cfg)), method_(cfg_.context->start_method()) {
    auto [r, w] = Pipe(false);
    doorbell_r_ = r;
    doorbell_w_ = w;
    flags_ = concur::detail::SharedBlock(sizeof(Flags), "concur-pool");
    auto [wr, ww] = concur::detail::make_pipe();
    wake_r_ = std::move(wr);
    wake_w_ = std::move(ww);
    std::lock_guard lock(mu_);
    if (cfg_.start_on_first_submit) {
      handler_done_ = true;  // nothing to wait for until the first submit
    } else {
      start_locked();
    }
  }

  // The handler starts after the first workers were forked, so those forks
  // come from a (possibly) single-threaded parent.
  // PoolHandle's destructor terminates and joins before the core goes.
  void start_handler() {
    std::lock_guard lock(mu_);
    if (started_) start_handler_locked();
  }

  StartMethod method() const { return method_; }
  int processes() const { return cfg_.processes; }
  bool broken() const {
    std::lock_guard lock(mu_);
    return broken_;
  }

  void check_running() const {
    std::lock_guard lock(mu_);
    check_running_locked();
  }

  void submit(std::shared_ptr<JobSink> sink, const TaskRef& ref, std::vector<ChunkArgs> chunks) {
    std::vector<Completion> failed;
    {
      std::lock_guard lock(mu_);
      check_running_locked();
      if (!started_) {
        start_locked();
        start_handler_locked();
      }
      const std::uint64_t job = next_job_++;
      sink->fn_name = ref.name;
      for (std::uint32_t i = 0; i < chunks.size(); ++i) {
        if (!ref.error.empty()) {
          failed.push_back({sink, i, {}, std::make_exception_ptr(PicklingError(ref.error))});
          continue;
        }
        if (chunks[i].error) {
          failed.push_back({sink, i, {}, chunks[i].error});
          continue;
        }
        TaskHeader h{job, ref.fn, ref.invoker, i, static_cast<std::uint32_t>(ref.name.size())};
        backlog_.push_back(Pending{sink, job, i, encode_task(h, ref.name, chunks[i].bytes)});
      }
      dispatch_locked();
    }
    complete(failed);
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      if (state_ == State::run) state_ = State::close;
    }
    wake();
  }

  void terminate() {
    {
      std::lock_guard lock(mu_);
      if (state_ == State::terminate) return;
      state_ = State::terminate;
    }
    wake();
    join_handler();
    // CPython _terminate_pool: terminate the workers, then join them.
    std::vector<Completion> failed;
    std::vector<std::unique_ptr<Worker>> workers;
    {
      std::lock_guard lock(mu_);
      workers.swap(workers_);
      for (auto& w : workers) {
        for (auto& p : w->inflight) failed.push_back({p.sink, p.chunk, {}, pool_terminated_error(), false});
        w->inflight.clear();
        w->inflight_bytes = 0;
      }
      for (auto& p : backlog_) failed.push_back({p.sink, p.chunk, {}, pool_terminated_error(), false});
      backlog_.clear();
    }
    for (auto& w : workers) w->proc->terminate();
    for (auto& w : workers) release_worker(*w);
    complete(failed);
    std::lock_guard lock(mu_);
    terminated_ = true;
    done_cv_.notify_all();
  }

  void join(Timeout timeout) {
    {
      std::lock_guard lock(mu_);
      if (state_ == State::run) throw ValueError("Pool is still running");
    }
    {
      std::lock_guard lock(mu_);
      if (!done_cv_.wait_for([this] { return handler_done_ && (state_ != State::terminate || terminated_); }, timeout)) {
        return;
      }
    }
    join_handler();
  }

  void cancel_pending() {
    std::deque<Pending> dropped;
    {
      std::lock_guard lock(mu_);
      dropped.swap(backlog_);
    }
    for (auto& p : dropped) p.sink->cancel(p.chunk);
  }

 private:
  enum class State { run, close, terminate };

  void check_running_locked() const {
    if (broken_) throw futures::BrokenProcessPool(broken_reason_);
    if (state_ != State::run) {
      if (cfg_.break_on_worker_loss) throw RuntimeError("cannot schedule new futures after shutdown");
      throw ValueError("Pool not running");
    }
  }

  void wake() {
    char c = 1;
    ssize_t n = ::write(wake_w_.get(), &c, 1);
    (void)n;
  }

  void join_handler() {
    std::lock_guard g(join_mu_);
    if (handler_ && handler_->is_alive() && threading::get_ident() != *handler_->ident()) handler_->join();
  }

  // Starts the first workers (all or none).
  void start_locked() {
    try {
      for (int i = 0; i < cfg_.processes; ++i) start_worker_locked();
    } catch (...) {
      for (auto& w : workers_) {
        w->proc->terminate();
        w->proc->join();
      }
      workers_.clear();
      throw;
    }
    started_ = true;
  }

  // The handler thread waits for mu_ before it looks at anything.
  void start_handler_locked() {
    handler_done_ = false;
    handler_ = std::make_unique<threading::Thread>(threading::ThreadOptions{.daemon = true},
                                                   [this] { handler_main(); });
    handler_->start();
  }

  void start_worker_locked() {
    auto w = std::make_unique<Worker>();
    w->ch.tasks = SharedRing(SharedRing::default_capacity);
    w->ch.results = SharedRing(SharedRing::default_capacity);
    w->ch.doorbell = doorbell_w_;
    w->ch.flags = flags_;
    w->proc = cfg_.make_process();
    w->proc->channels = w->ch;
    w->proc->maxtasks = cfg_.maxtasks.value_or(0);
    ProcessAccess::set_context(*w->proc, cfg_.context);
    // CPython: w.name = w.name.replace('Process', 'PoolWorker') on a
    // ForkProcess / SpawnProcess / ForkServerProcess.
    std::string name = w->proc->name();
    auto dash = name.find('-');
    const char* prefix = method_ == StartMethod::fork    ? "ForkPoolWorker"
                         : method_ == StartMethod::spawn ? "SpawnPoolWorker"
                                                         : "ForkServerPoolWorker";
    w->proc->set_name(std::string(prefix) + (dash == std::string::npos ? "" : name.substr(dash)));
    w->proc->set_daemon(true);
    {
      t_quiet_fork_warning = true;
      struct Reset {
        ~Reset() { t_quiet_fork_warning = false; }
      } reset;
      w->proc->start();
    }
    w->name = w->proc->name();
    w->pid = w->proc->pid().value_or(0);
    w->sentinel = w->proc->sentinel();
    workers_.push_back(std::move(w));
  }

  // Reaps the worker; returns its exit code (-signum for a signal).
  static int release_worker(Worker& w) {
    int code = 0;
    try {
      w.proc->join();
      code = w.proc->exitcode().value_or(0);
      w.proc->close();
    } catch (...) {
    }
    return code;
  }

  void dispatch_locked() {
    if (broken_ || state_ == State::terminate) return;
    while (!backlog_.empty()) {
      if (cfg_.max_inflight && inflight_total_ >= *cfg_.max_inflight) break;
      std::size_t live = 0;
      for (auto& w : workers_) live += w->ch.tasks.closed() ? 0 : 1;
      if (live == 0) break;
      std::size_t fair = (backlog_.size() + inflight_total_ + live - 1) / live;
      fair = std::clamp<std::size_t>(fair, 1, kMaxAhead);
      const std::size_t next_size = backlog_.front().msg.size();
      Worker* best = nullptr;
      for (auto& w : workers_) {
        if (w->inflight.size() >= fair) continue;
        if (cfg_.maxtasks && w->dispatched >= *cfg_.maxtasks) continue;
        // A busy worker gets a task only if its ring surely has room: a
        // send that blocked here would stop the handler draining results,
        // while the worker may be blocked sending one (a deadlock). An idle
        // worker reads while we send, so any size goes.
        if (!w->inflight.empty() && w->inflight_bytes + next_size > w->ch.tasks.capacity() / 2) continue;
        if (!best || w->inflight.size() < best->inflight.size()) best = w.get();
      }
      if (!best) break;
      Pending p = std::move(backlog_.front());
      backlog_.pop_front();
      if (!p.sink->on_dispatch(p.chunk)) continue;  // a cancelled future
      if (!send_task(*best, p.msg)) {
        backlog_.push_front(std::move(p));  // the worker is gone: the handler settles it
        break;
      }
      best->inflight_bytes += p.msg.size();
      best->inflight.push_back(std::move(p));
      ++best->dispatched;
      ++inflight_total_;
    }
  }

  // Receives the message announced by kBigFollows into rbuf_; false if the
  // worker ended before sending it.
  bool recv_following(Worker& w) {
    std::chrono::duration<double> timeout(0.5);
    for (;;) {
      try {
        w.ch.results.recv_bytes_into(rbuf_, timeout);
        return true;
      } catch (const concur::TimeoutError&) {
        if (concur::detail::wait_readable(w.sentinel, std::chrono::duration<double>(0))) return false;
        timeout *= 2;
      }
    }
  }

  // Sends one task; false if the worker ended first. A message larger than
  // the free room completes only as the worker reads it; a timed send lets a
  // dead worker be noticed (it withdraws what it had sent), with a doubling
  // timeout so a huge message is not restarted forever.
  static bool send_task(Worker& w, const std::string& msg) {
    std::chrono::duration<double> timeout(0.5);
    for (;;) {
      try {
        w.ch.tasks.send_bytes(msg, timeout);
        return true;
      } catch (const concur::TimeoutError&) {
        if (concur::detail::wait_readable(w.sentinel, std::chrono::duration<double>(0))) return false;
        timeout *= 2;
      }
    }
  }

  // Receives every waiting result; true if any arrived.
  bool drain_locked(Worker& w, std::vector<Completion>& out) {
    bool any = false;
    while (w.ch.results.poll()) {
      w.ch.results.recv_bytes_into(rbuf_);
      any = true;
      ResultMsg r = decode_result(rbuf_);
      if (r.h.kind == kReady) {
        w.ready = true;
        continue;
      }
      if (r.h.kind == kBigFollows) {
        if (!recv_following(w)) return any;  // the worker ended: its sentinel settles it
        r = decode_result(rbuf_);
      }
      auto it = std::find_if(w.inflight.begin(), w.inflight.end(),
                             [&](const Pending& p) { return p.job == r.h.job && p.chunk == r.h.chunk; });
      if (it == w.inflight.end()) continue;
      Completion c{it->sink, r.h.chunk, {}, nullptr};
      if (r.h.kind == kValue) {
        c.payload = std::string(r.payload);
      } else {
        c.error = rebuild_error(r);
      }
      out.push_back(std::move(c));
      w.inflight_bytes -= it->msg.size();
      w.inflight.erase(it);
      --inflight_total_;
    }
    return any;
  }

  bool drain_all_locked(std::vector<Completion>& out) {
    bool any = false;
    for (auto& w : workers_) any |= drain_locked(*w, out);
    return any;
  }

  void complete(std::vector<Completion>& done) {
    for (auto& c : done) {
      if (c.error) {
        c.sink->fail(c.chunk, c.error, c.run_callbacks);
      } else {
        c.sink->deliver_bytes(c.chunk, c.payload);
      }
    }
    done.clear();
  }

  void break_pool_locked(std::vector<Completion>& out) {
    broken_ = true;
    broken_reason_ = "A child process terminated abruptly, the process pool is not usable anymore";
    auto err = std::make_exception_ptr(futures::BrokenProcessPool(
        "A process in the process pool was terminated abruptly while the future was running or pending."));
    for (auto& w : workers_) {
      for (auto& p : w->inflight) out.push_back({p.sink, p.chunk, {}, err});
      w->inflight.clear();
      w->inflight_bytes = 0;
      try {
        w->proc->terminate();
      } catch (const ValueError&) {
        // already reaped and closed (the worker whose death broke the pool)
      }
    }
    for (auto& p : backlog_) out.push_back({p.sink, p.chunk, {}, err});
    backlog_.clear();
    inflight_total_ = 0;
  }

  // A worker's sentinel fired: reap it, settle its tasks, replace it.
  void worker_exited_locked(std::size_t index, std::vector<Completion>& out) {
    std::unique_ptr<Worker> gone = std::move(workers_[index]);
    workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(index));
    Worker& w = *gone;
    drain_locked(w, out);
    const int code = release_worker(w);
    drain_locked(w, out);
    const bool lost_work = !w.inflight.empty();
    if (cfg_.break_on_worker_loss && !broken_ && (lost_work || code != 0)) {
      workers_.push_back(std::move(gone));  // its tasks fail with the others
      break_pool_locked(out);
      workers_.pop_back();
    } else if (lost_work) {
      auto first = w.inflight.begin();
      if (w.ready) {
        std::string how = code < 0 ? "died from " + signal_text(-code) : "exited with code " + std::to_string(code);
        out.push_back({first->sink, first->chunk, {},
                       std::make_exception_ptr(WorkerLostError("worker " + w.name + " (pid " + std::to_string(w.pid) +
                                                               ") " + how + " while running a task of " +
                                                               (first->sink->fn_name.empty() ? std::string("the pool")
                                                                                             : first->sink->fn_name)))});
        ++first;
      }
      // Tasks it never started go back to the front of the queue, in order.
      for (auto it = w.inflight.rbegin(); it != std::make_reverse_iterator(first); ++it) backlog_.push_front(std::move(*it));
      inflight_total_ -= w.inflight.size();
      w.inflight.clear();
      w.inflight_bytes = 0;
    }
    // The replacement starts after the failed task's result is delivered
    // (handler_main), so that result does not wait for a process start.
    const bool repopulate = !broken_ && (state_ == State::run || (state_ == State::close && !backlog_.empty()));
    if (repopulate) ++to_replace_;
  }

  // Starts the replacements of exited workers; true if it started any.
  bool repopulate_locked() {
    bool started = false;
    while (to_replace_ > 0) {
      --to_replace_;
      if (broken_ || state_ == State::terminate) continue;
      try {
        start_worker_locked();
        started = true;
      } catch (const std::exception& e) {
        std::fputs((std::string("concur: Pool could not start a worker: ") + e.what() + "\n").c_str(), stderr);
      }
    }
    return started;
  }

  void handler_main() {
    std::vector<Completion> done;
    std::vector<pollfd> fds;
    std::vector<int> sentinels;
    Flags& flags = flags_of(flags_);
    std::unique_lock lock(mu_);
    for (;;) {
      if (state_ == State::terminate) break;
      bool progress = drain_all_locked(done);
      dispatch_locked();
      if (state_ == State::close && backlog_.empty() && inflight_total_ == 0 && !closing_sent_) {
        for (auto& w : workers_) w->ch.tasks.close();  // workers drain and exit
        closing_sent_ = true;
      }
      if ((closing_sent_ || broken_) && workers_.empty()) break;
      if (!done.empty()) {
        lock.unlock();
        complete(done);
        lock.lock();
        continue;
      }
      if (repopulate_locked()) continue;
      if (progress) continue;
      // Workers that hold tasks usually answer within microseconds: look
      // again for a short while (as SharedRing's bounded spin, yielding now
      // and then) before paying for a doorbell and a wake-up. Only this
      // thread changes workers_ while it runs, so it may read it unlocked.
      if (inflight_total_ > 0) {
        lock.unlock();
        bool arrived = false;
        for (int i = 0; i < kHandlerSpins && !arrived; ++i) {
          for (auto& w : workers_) {
            if (w->ch.results.poll()) {
              arrived = true;
              break;
            }
          }
          if (arrived) break;
          // Mostly pause, sometimes yield: a worker that would answer may be
          // waiting for this CPU.
          if ((i & 63) == 63) {
            ::sched_yield();
          } else {
            cpu_relax();
          }
        }
        lock.lock();
        if (arrived) continue;
      }
      // Going to sleep: announce it, then look once more (see ring_doorbell).
      flags.handler_sleeping.store(1, std::memory_order_seq_cst);
      bool waiting = false;
      for (auto& w : workers_) waiting |= w->ch.results.poll();
      if (waiting) {
        flags.handler_sleeping.store(0, std::memory_order_relaxed);
        continue;
      }
      fds.clear();
      sentinels.clear();
      fds.push_back({doorbell_r_.fileno(), POLLIN, 0});
      fds.push_back({wake_r_.get(), POLLIN, 0});
      for (auto& w : workers_) {
        fds.push_back({w->sentinel, POLLIN, 0});
        sentinels.push_back(w->sentinel);
      }
      lock.unlock();
      concur::detail::poll_fds(fds, std::nullopt);
      flags.handler_sleeping.store(0, std::memory_order_relaxed);
      if (fds[0].revents) {
        while (doorbell_r_.poll()) (void)doorbell_r_.recv_bytes();
      }
      if (fds[1].revents) {
        char buf[64];
        ssize_t n = ::read(wake_r_.get(), buf, sizeof buf);
        (void)n;
      }
      lock.lock();
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        for (std::size_t k = 0; k < workers_.size(); ++k) {
          if (workers_[k]->sentinel == fds[i].fd) {
            worker_exited_locked(k, done);
            break;
          }
        }
      }
    }
    lock.unlock();
    complete(done);
    lock.lock();
    handler_done_ = true;
    done_cv_.notify_all();
  }

  static constexpr std::size_t kMaxAhead = 64;
  static constexpr int kHandlerSpins = 2000;

  const PoolConfig cfg_;
  const StartMethod method_;
  mutable threading::Lock mu_;
  threading::Lock join_mu_;
  threading::Condition done_cv_{mu_};
  State state_ = State::run;
  bool broken_ = false;
  std::string broken_reason_;
  bool closing_sent_ = false;
  bool handler_done_ = false;
  bool started_ = false;  // the first workers were started
  bool terminated_ = false;
  std::deque<Pending> backlog_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t inflight_total_ = 0;
  std::size_t to_replace_ = 0;  // exited workers to replace
  std::uint64_t next_job_ = 1;
  std::string rbuf_;
  connection::Connection doorbell_r_, doorbell_w_;
  concur::detail::SharedBlock flags_;
  UniqueFd wake_r_, wake_w_;
  std::unique_ptr<threading::Thread> handler_;
};

PoolHandle::PoolHandle(PoolConfig config) : core_(std::make_shared<PoolCore>(std::move(config))) {
  core_->start_handler();
}
PoolHandle::PoolHandle(PoolHandle&&) noexcept = default;
PoolHandle& PoolHandle::operator=(PoolHandle&&) noexcept = default;
PoolHandle::~PoolHandle() {
  if (!core_) return;
  try {
    core_->terminate();
    core_->join(std::nullopt);
  } catch (...) {
  }
}

StartMethod PoolHandle::method() const { return core_->method(); }
int PoolHandle::processes() const { return core_->processes(); }
void PoolHandle::check_running() const { core_->check_running(); }
void PoolHandle::submit(std::shared_ptr<JobSink> sink, const TaskRef& ref, std::vector<ChunkArgs> chunks) {
  core_->submit(std::move(sink), ref, std::move(chunks));
}
void PoolHandle::close() { core_->close(); }
void PoolHandle::terminate() { core_->terminate(); }
void PoolHandle::join(Timeout timeout) { core_->join(timeout); }
void PoolHandle::cancel_pending() { core_->cancel_pending(); }
bool PoolHandle::broken() const { return core_->broken(); }

}  // namespace detail

Pool::~Pool() {
  if (!handle_) return;
  try {
    handle_.terminate();
    handle_.join();
  } catch (...) {
  }
}

void Pool::submit_erased(std::shared_ptr<detail::JobSink> sink, detail::GenericFn fn, detail::TaskInvoker invoker,
                         const std::type_info& type, std::vector<detail::ChunkArgs> chunks) {
  auto ref = detail::make_task_ref(fn, invoker, handle_.method() == StartMethod::fork, type);
  handle_.submit(std::move(sink), ref, std::move(chunks));
}

void Pool::close() { handle_.close(); }
void Pool::terminate() { handle_.terminate(); }
void Pool::join() { handle_.join(); }

}  // namespace concur::multiprocessing
