// Private to impl/src/multiprocessing: the backends of started processes and
// the state shared by process.cpp, spawn.cpp and forkserver.cpp.
#pragma once

#include <sys/types.h>

#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "concur/detail/fd.hpp"
#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/spawn.hpp"

namespace concur::multiprocessing::detail {

using concur::detail::UniqueFd;

// Backend of one started child: CPython's popen_fork / popen_spawn_posix /
// popen_forkserver objects. All reaping happens in poll() under mu_, so any
// number of threads may poll/wait/terminate concurrently and a pid is never
// signalled after it was reaped.
class Popen {
 public:
  Popen(pid_t pid, std::string name, bool daemon) : pid_(pid), name_(std::move(name)), daemon_(daemon) {}
  virtual ~Popen() = default;
  Popen(const Popen&) = delete;
  Popen& operator=(const Popen&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& name() const noexcept { return name_; }
  bool daemon() const noexcept { return daemon_; }

  // Non-blocking: the return code once the child has ended.
  std::optional<int> poll();
  // Blocks until the child ends or the timeout passes.
  std::optional<int> wait(Timeout timeout);
  // Sends `sig` unless the child has already been collected.
  void send_signal(int sig);
  // Readable when the child has ended.
  virtual int sentinel() = 0;
  // Releases fds. Precondition: poll() returned a value.
  virtual void close() = 0;

  // Registry bookkeeping (guarded by the children registry's mutex).
  Process* owner = nullptr;

 protected:
  // Called with mu_ held and returncode_ empty: try to collect without
  // blocking.
  virtual std::optional<int> try_collect() = 0;
  // Blocks until try_collect() would succeed or the timeout passes.
  virtual bool block_until_exit(Timeout timeout);

  std::mutex mu_;
  std::optional<int> returncode_;
  const pid_t pid_;
  const std::string name_;
  const bool daemon_;
};

// A direct child (fork and spawn): collected with waitpid.
class ChildPopen final : public Popen {
 public:
  using Popen::Popen;
  int sentinel() override;
  void close() override;

 private:
  std::optional<int> try_collect() override;
  bool block_until_exit(Timeout timeout) override;
  UniqueFd pidfd_;  // opened lazily: start()+join() never needs it
};

// A child of the forkserver: the server sends its exit status on `status`.
class ForkServerPopen final : public Popen {
 public:
  ForkServerPopen(pid_t pid, std::string name, bool daemon, UniqueFd status)
      : Popen(pid, std::move(name), daemon), status_(std::move(status)) {}
  int sentinel() override { return status_.get(); }
  void close() override { status_.reset(); }

 private:
  std::optional<int> try_collect() override;
  UniqueFd status_;
};

// waitpid status -> Python returncode (-signum for signals).
int decode_wait_status(int status) noexcept;

// What a spawn or forkserver child receives (CPython: preparation data plus
// the pickled Process object).
struct ChildPayload {
  std::string forced_start_method;  // the parent's fixed default, if any
  std::string context_method;       // ctx.Process: that context's method, else empty
  std::string class_name;           // registered Process subclass, or empty
  std::string class_state;
  std::string target_name;  // registered target, or empty
  std::string target_args;
  std::string name;
  std::vector<int> identity;
  bool daemon = false;
  int parent_pid = 0;
  std::string parent_name;
  int log_level = 0;
  bool log_to_stderr = false;
  std::uint32_t fd_count = 0;  // fds inherited by slot (concur/detail/inheritance.hpp)
  std::int64_t tracker_slot = -1;  // the parent's resource tracker fd, by slot

  template <class A>
  void serialize(A& ar) {
    ar(forced_start_method, context_method, class_name, class_state, target_name, target_args, name, identity, daemon, parent_pid,
       parent_name, log_level, log_to_stderr, fd_count, tracker_slot);
  }
};

struct ProcessAccess {
  // Builds the payload of `p` for a fresh image; throws PicklingError.
  static ChildPayload make_payload(const Process& p);
  // Runs `self` as the current process of a child and returns its exit code
  // (CPython BaseProcess._bootstrap). parent_pidfd: a pidfd of the parent,
  // -1 for a direct child (opened lazily), -2 when the parent is gone.
  static int bootstrap_child(Process& self, std::string parent_name, pid_t parent_pid, int parent_pidfd);
  // Decodes a payload fd and runs the child; never returns. `inherited`: the
  // fds passed by slot (forkserver); empty optional: the spawn layout, slots
  // on fds 4, 5, ... after the payload on fd 3.
  [[noreturn]] static void run_payload(int payload_fd, int parent_pidfd, std::optional<std::vector<int>> inherited);
  static void set_popen(Process& p, std::shared_ptr<Popen> popen);
  static Process* make_main();
  // Child side of spawn/forkserver: fills in the base part of a new object.
  static void restore(Process& p, const ChildPayload& payload);
  // Binds p to a context's start method (as Context::Process does).
  static void set_context(Process& p, const Context* ctx) noexcept { p.context_ = ctx; }
};

// --- spawn.cpp ----------------------------------------------------------
// posix_spawn of this executable with argv {argv0, marker}; `fds` land on
// 3, 4, ... in the child and every other fd above 2 is closed.
pid_t spawn_self(const char* marker, std::span<const int> fds);
bool is_bootstrapped() noexcept;
inline constexpr const char* kSpawnMarker = "--concur-multiprocessing-fork";
inline constexpr const char* kForkServerMarker = "--concur-forkserver";

struct TargetEntry {
  std::string name;
  GenericFn fn;
  TargetFactory factory;
  std::size_t arity;
  TaskInvoker invoker;  // nullptr: not usable as a pool task
};
const TargetEntry* find_target(std::string_view name);  // throws on ambiguity
struct ClassEntry {
  std::string name;
  ClassSaver save;
  ClassLoader load;
};
const ClassEntry* find_class(std::type_index type);
const ClassEntry* find_class(std::string_view name);

// --- forkserver.cpp -----------------------------------------------------
// Asks the server to fork a child running `payload`; returns its backend.
std::shared_ptr<Popen> forkserver_start(const ChildPayload& payload, std::span<const int> inherited,
                                        std::string name, bool daemon);
[[noreturn]] void forkserver_main(int control_fd, int payload_fd);
// In a new child: forget (close) the parent's connection to its server.
void forkserver_after_fork() noexcept;
void set_forkserver_preload_names(std::vector<std::string> names);
[[noreturn]] void resource_tracker_main(int fd);  // resource_tracker.cpp

// --- context.cpp --------------------------------------------------------
// In a new child: re-create the default context's lock.
void context_after_fork() noexcept;

// --- process.cpp --------------------------------------------------------
// True in a thread that forks pool workers on purpose while other threads
// run (pool.cpp): start() then does not log the multi-threaded-fork warning.
extern thread_local bool t_quiet_fork_warning;
// Registers CPython's util._exit_function with atexit (once).
void ensure_exit_hook();
// CPython util._exit_function: terminate daemons, join children.
void exit_function();
// Flushes C and C++ standard streams.
void flush_std_streams() noexcept;

}  // namespace concur::multiprocessing::detail
