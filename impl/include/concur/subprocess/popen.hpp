// concur/subprocess/popen.hpp — subprocess.Popen: run a program in a new
// process, connected to the parent by pipes (seed 004 §1.4 "拓展之subprocess";
// CPython Lib/subprocess.py).
//
// Contract
//  * `Popen(args, options)` starts the program and returns once it runs (the
//    exec succeeded). The child is created by Boost.Process (vfork + execve,
//    with concur's own child set-up handler): stdin/stdout/stderr are
//    redirected as the options say, every other fd is closed on exec
//    (close_fds=true; `pass_fds` keeps chosen ones open), SIGPIPE and SIGXFSZ
//    are reset to their defaults (CPython's restore_signals), and signal
//    handlers are reset before exec.
//  * A program name without '/' is searched in PATH (the PATH of `env` when
//    given, else this process's; /bin:/usr/bin when unset). A program that is
//    not found raises FileNotFoundError naming it; a `cwd` that cannot be
//    entered raises FileNotFoundError/PermissionError naming the directory.
//    Neither leaves a child behind (the failed child is reaped at once).
//  * Stream options (`stdin`, `stdout`, `stderr`): nullopt inherits the
//    parent's; PIPE makes a pipe whose parent end is `stdin()`/`stdout()`/
//    `stderr()`; DEVNULL is /dev/null; STDOUT (stderr only) sends stderr where
//    stdout goes; an fd >= 0 (or a File, e.g. another Popen's stdout(), for
//    pipelines) is used as is and stays open in the parent.
//  * `returncode()` is nullopt while the child runs, its exit status once it
//    was reaped, or -N when signal N ended it (CPython's convention).
//  * `communicate(input, timeout)` writes `input` to stdin, closes it, and
//    reads stdout and stderr to EOF, all in one poll() loop on this thread,
//    so a child that fills both pipes never deadlocks; then it waits for the
//    child. When the timeout passes it raises TimeoutExpired (with the output
//    read so far) and leaves the child running: the seed's warning
//    "如果超时到期,则子进程不会被终止". Calling communicate() again resumes:
//    the output already read is kept and returned in full. A call after
//    communication completed returns the same outputs again (CPython keeps
//    them too); they are held until the Popen is destroyed.
//
// Relation to concur::multiprocessing spawn: both start a fresh program
// image (exec), so nothing of the parent's memory, threads or locks crosses.
// multiprocessing's spawn re-executes this same binary (/proc/self/exe) with
// posix_spawn and hands it a serialized target; subprocess runs any program
// and talks to it only through argv, env, cwd and the three standard streams.
// BM_SubprocessRun/true in benchmarks/start_cost_benchmark.cpp is compared
// with BM_Floor_PosixSpawn/rss_mib:0, the raw posix_spawn+waitpid floor of spawn.
//
// Thread-safety: poll(), wait(), send_signal(), terminate(), kill(),
// returncode() and pid() may be called from any threads at once (reaping is
// serialized, and a pid is never signalled after it was reaped). communicate()
// and the File streams are not synchronized: one thread at a time.
// Fork-safety: the child is started with vfork and execs at once; no
// handler, lock or allocation of the parent runs in it. A Popen object must
// not be used in a forked copy of the parent (the child is not its child).
// Blocking: the constructor blocks until exec succeeded or failed; wait(),
// communicate() and the File reads block (bounded by their timeouts).
// No hidden threads: nothing here starts a thread.
// Lifetime and reaping: wait(), poll() (once the child ended) and
// communicate() reap the child. A Popen destroyed while its child still runs
// closes its pipe ends and leaves the child running; the child is reaped by
// the next Popen constructed, as CPython's _active list and _cleanup() do. Call
// wait() to leave no zombie.
//
// SIGPIPE: writes to a child's stdin (File::write, communicate) never raise
// SIGPIPE in the parent; communicate() ignores a child that closed its stdin
// early (as CPython does), File::write throws std::system_error(EPIPE)
// (CPython's BrokenPipeError).
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concur/detail/fd.hpp"
#include "concur/errors.hpp"
#include "concur/subprocess/args.hpp"
#include "concur/timeout.hpp"

namespace concur::subprocess {

// CPython's constants and values.
inline constexpr int PIPE = -1;
inline constexpr int STDOUT = -2;
inline constexpr int DEVNULL = -3;

// A file object over one end of a pipe (Popen's stdin()/stdout()/stderr()):
// CPython's unbuffered-write, buffered-read file objects, minus the encodings.
// With text=true, read results have universal newlines ("\r\n" and "\r"
// become "\n"). Movable, not copyable; closes its fd on destruction.
class File {
 public:
  File() = default;
  File(concur::detail::UniqueFd fd, bool text) : fd_(std::move(fd)), text_(text) {}

  // The fd, or -1 once closed.
  int fileno() const noexcept { return fd_.get(); }
  bool closed() const noexcept { return !fd_; }
  void close() noexcept { fd_.reset(); }

  // Writes all of `data` (no SIGPIPE; a reader that is gone throws
  // std::system_error(EPIPE)). Precondition: open.
  void write(std::string_view data);
  // Writes are unbuffered: nothing to flush. Kept for CPython's spelling.
  void flush() {}
  // Reads to EOF. Precondition: open.
  std::string read();
  // Reads up to n bytes, fewer only at EOF. Precondition: open.
  std::string read(std::size_t n);
  // Reads through the next '\n' (or to EOF). Precondition: open.
  std::string readline();

  // Bytes read from the fd but not yet returned (readline's look-ahead);
  // communicate() returns them first.
  std::string take_buffered() { return std::exchange(buffer_, {}); }
  bool text() const noexcept { return text_; }

 private:
  bool fill();  // one read() into buffer_; false at EOF
  concur::detail::UniqueFd fd_;
  std::string buffer_;
  bool text_ = false;
};

// Where a child's standard stream goes: PIPE, DEVNULL, STDOUT, an fd >= 0, or
// the fd of a File (a pipeline: another Popen's stdout()).
class Redirect {
 public:
  Redirect(int fd_or_constant) : value_(fd_or_constant) {}
  Redirect(const File& file) : value_(file.fileno()) {}
  int value() const noexcept { return value_; }

 private:
  int value_;
};

// Popen's keyword arguments, in CPython's order (designated initializers:
// `{.stdout = PIPE, .text = true}`).
struct PopenOptions {
  std::optional<std::string> executable{};  // the program to exec instead of argv[0] (argv[0] stays)
  std::optional<Redirect> stdin{};        // nullopt: inherit
  std::optional<Redirect> stdout{};
  std::optional<Redirect> stderr{};
  bool close_fds = true;                  // close every fd >= 3 but pass_fds in the child
  bool shell = false;                     // run through /bin/sh -c
  std::optional<std::string> cwd{};
  std::optional<std::map<std::string, std::string>> env{};  // replaces the whole environment
  bool text = false;                      // universal newlines on the outputs
  bool start_new_session = false;         // setsid() in the child
  std::vector<int> pass_fds{};
};

class Popen {
 public:
  // (stdout, stderr) of communicate(); nullopt where that stream is not PIPE.
  using Output = std::pair<std::optional<std::string>, std::optional<std::string>>;

  // Starts the program. Throws ValueError for contradictory options,
  // IndexError for an empty args list (CPython: "list index out of range"),
  // FileNotFoundError / PermissionError (or std::system_error) when the
  // program cannot be executed or cwd cannot be entered.
  explicit Popen(Args args, PopenOptions options = {});
  // `Popen p({"ls", "-al"})`: a braced list is the argument list (this
  // overload keeps it from also matching Popen's move constructor).
  explicit Popen(std::initializer_list<std::string> argv, PopenOptions options = {})
      : Popen(Args(argv), std::move(options)) {}
  Popen(Popen&&) noexcept;
  Popen& operator=(Popen&&) noexcept;
  Popen(const Popen&) = delete;
  Popen& operator=(const Popen&) = delete;
  // Closes the parent's pipe ends; never blocks (see the contract on reaping).
  ~Popen();

  const Args& args() const noexcept;
  pid_t pid() const noexcept;
  std::optional<int> returncode() const;
  // The parent's ends of PIPE streams; nullptr for the others (CPython's None).
  File* stdin() noexcept;
  File* stdout() noexcept;
  File* stderr() noexcept;

  // Reaps the child if it has ended; its returncode, or nullopt while it runs.
  std::optional<int> poll();
  // Waits for the child to end and reaps it. Throws TimeoutExpired(args,
  // timeout) when the timeout passes first; the child keeps running.
  int wait(Timeout timeout = std::nullopt);
  // See the contract. Throws ValueError("Cannot send input after starting
  // communication") when a second call passes non-empty input, and
  // TimeoutExpired when the timeout passes.
  // `input` is only read during the call (a call that times out keeps a
  // copy of what it has not written yet).
  Output communicate(std::optional<std::string_view> input = std::nullopt, Timeout timeout = std::nullopt);

  // Sends `sig` unless the child was already reaped (then nothing).
  void send_signal(int sig);
  void terminate();  // SIGTERM
  void kill();       // SIGKILL

  struct State;  // implementation (impl/src/subprocess/popen.cpp)
  class Sink;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace concur::subprocess
