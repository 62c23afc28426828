// concur/errors.hpp — every exception type concur throws.
//
// Contract
//  * Each type carries the name of the Python (or .NET) exception it mirrors
//    and derives from the std:: exception that fits, so callers may catch
//    either the precise concur type or the std:: family.
//  * Messages match CPython's text wherever CPython fixes one (for example
//    "cannot start a process twice"); where concur adds detail it appends it
//    after CPython's words, never in place of them.
//  * Operating-system failures are not listed here: they throw
//    std::system_error carrying errno, the analogue of Python's OSError.
//  * SystemExit deliberately does NOT derive from std::exception, just as
//    Python's SystemExit is not an Exception: a `catch (const
//    std::exception&)` inside a process target does not swallow it.
//
// Thread-safety: these are plain value types.
#pragma once

#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "concur/subprocess/args.hpp"

namespace concur {

// Python's ValueError: an argument or object state is not acceptable.
class ValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Python's RuntimeError.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Python's AssertionError. CPython's multiprocessing guards its own API
// misuse with `assert` ("cannot start a process twice"); concur keeps the type
// and the text, and always checks (there is no -O to switch it off).
class AssertionError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Python's TypeError: a value of the wrong type, e.g. sharedctypes
// Value<long>("i", 0), whose typecode names another C type.
class TypeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Python's AttributeError, e.g. get_lock() on a Value created with
// lock=false ("'c_int' object has no attribute 'get_lock'").
class AttributeError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Python's IndexError, e.g. a sharedctypes Array index out of range
// ("invalid index", ctypes' text).
class IndexError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

// threading.BrokenBarrierError (also multiprocessing's): a Barrier was
// aborted, reset or timed out while a party waited. CPython raises it without
// a message, so what() is "".
class BrokenBarrierError : public std::runtime_error {
 public:
  BrokenBarrierError() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

// Python's TimeoutError.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Python's NotImplementedError (e.g. cpu_count() cannot tell).
class NotImplementedError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Python's FileExistsError and FileNotFoundError: the OSError subclasses
// CPython raises for errno EEXIST and ENOENT on a named object (e.g.
// SharedMemory creating a name that exists, or attaching to one that does
// not). They are std::system_error with that errno; what() is CPython's
// str(): "[Errno 17] File exists: '/psm_1a2b3c4d'".
namespace detail {
inline std::string os_error_text(int err, const std::string& filename) {
  return "[Errno " + std::to_string(err) + "] " + std::generic_category().message(err) + ": '" + filename + "'";
}
}  // namespace detail

class FileExistsError : public std::system_error {
 public:
  explicit FileExistsError(const std::string& filename)
      : std::system_error(EEXIST, std::generic_category(), filename),
        text_(std::make_shared<const std::string>(detail::os_error_text(EEXIST, filename))) {}
  const char* what() const noexcept override { return text_->c_str(); }

 private:
  std::shared_ptr<const std::string> text_;  // shared: copying an exception must not throw
};

class FileNotFoundError : public std::system_error {
 public:
  explicit FileNotFoundError(const std::string& filename)
      : std::system_error(ENOENT, std::generic_category(), filename),
        text_(std::make_shared<const std::string>(detail::os_error_text(ENOENT, filename))) {}
  const char* what() const noexcept override { return text_->c_str(); }

 private:
  std::shared_ptr<const std::string> text_;
};

// Python's PermissionError (errno EACCES), e.g. subprocess running a file
// that is not executable: "[Errno 13] Permission denied: '/etc/passwd'".
class PermissionError : public std::system_error {
 public:
  explicit PermissionError(const std::string& filename)
      : std::system_error(EACCES, std::generic_category(), filename),
        text_(std::make_shared<const std::string>(detail::os_error_text(EACCES, filename))) {}
  const char* what() const noexcept override { return text_->c_str(); }

 private:
  std::shared_ptr<const std::string> text_;
};

// pickle.PicklingError: something cannot cross a process boundary. Under the
// spawn and forkserver start methods that means an unregistered target or an
// argument type cereal cannot serialize; the message names the remedy.
class PicklingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// pickle.UnpicklingError: bytes received from another process do not decode.
class UnpicklingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// multiprocessing.ProcessError, base of the multiprocessing-specific errors.
class ProcessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Python's OSError where CPython raises it with a fixed message and no errno
// ("handle is closed", "connection is read-only", "bad message length").
// Failures that carry an errno still throw std::system_error.
class OSError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Python's EOFError: the other end of a Connection was closed and nothing is
// left to read. CPython raises it without a message.
class EOFError : public std::runtime_error {
 public:
  EOFError() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

// multiprocessing.BufferTooShort: Connection::recv_bytes_into got a message
// longer than the buffer. The message was consumed; bytes() holds all of it
// (CPython's e.args[0]), and what() is CPython's str(e): its repr, b'...'.
class BufferTooShort : public ProcessError {
 public:
  explicit BufferTooShort(std::string message)
      : ProcessError(subprocess::python_bytes_repr(message)),
        bytes_(std::make_shared<const std::string>(std::move(message))) {}
  const std::string& bytes() const noexcept { return *bytes_; }

 private:
  std::shared_ptr<const std::string> bytes_;  // shared: copying an exception must not throw
};

// .NET's System.OperationCanceledException: an operation observed a
// cancellation request on its CancellationToken (concur/tpl/cancellation.hpp:
// throw_if_cancellation_requested, Parallel::*, plinq's with_cancellation).
// The default message is .NET's: "The operation was canceled.".
class OperationCanceledException : public std::runtime_error {
 public:
  OperationCanceledException() : std::runtime_error("The operation was canceled.") {}
  using std::runtime_error::runtime_error;
};

// .NET's System.Threading.Tasks.TaskCanceledException: the task that was
// waited for ended canceled (concur/tpl/task.hpp; e.g. delay() whose token
// fired). Default message: "A task was canceled.".
class TaskCanceledException : public OperationCanceledException {
 public:
  TaskCanceledException() : OperationCanceledException("A task was canceled.") {}
  using OperationCanceledException::OperationCanceledException;
};

// .NET's System.InvalidOperationException: a call that the object's current
// state does not allow, e.g. min()/max()/average() of an empty sequence
// ("Sequence contains no elements", .NET's text).
class InvalidOperationException : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// .NET's System.ArgumentOutOfRangeException, e.g. plinq's
// with_degree_of_parallelism(0). what() is .NET Core's Message:
// "<message> (Parameter '<param_name>')"; param_name() is ParamName.
class ArgumentOutOfRangeException : public std::out_of_range {
 public:
  explicit ArgumentOutOfRangeException(
      const std::string& param_name,
      const std::string& message = "Specified argument was out of the range of valid values.")
      : std::out_of_range(message + " (Parameter '" + param_name + "')"),
        param_name_(std::make_shared<const std::string>(param_name)) {}
  const std::string& param_name() const noexcept { return *param_name_; }

 private:
  std::shared_ptr<const std::string> param_name_;  // shared: copying an exception must not throw
};

namespace detail {
// "One or more errors occurred. (msg1) (msg2)": .NET Core's
// AggregateException.Message (an inner that is not a std::exception shows as
// "(unknown exception)").
std::string aggregate_exception_text(const std::string& message, const std::vector<std::exception_ptr>& inners);
}  // namespace detail

// .NET's System.AggregateException: one or more failures gathered from
// parallel work (Task::result/wait, when_all, Parallel::*, plinq). Holds every
// inner exception as a std::exception_ptr, in the order they were gathered;
// rethrow one with std::rethrow_exception to inspect its type. what() is
// .NET Core's Message: "One or more errors occurred. (msg1) (msg2)".
class AggregateException : public std::runtime_error {
 public:
  explicit AggregateException(std::vector<std::exception_ptr> inner_exceptions)
      : AggregateException("One or more errors occurred.", std::move(inner_exceptions)) {}
  AggregateException(const std::string& message, std::vector<std::exception_ptr> inner_exceptions)
      : std::runtime_error(detail::aggregate_exception_text(message, inner_exceptions)),
        inner_(std::make_shared<const std::vector<std::exception_ptr>>(std::move(inner_exceptions))) {}

  // InnerExceptions: every gathered failure.
  const std::vector<std::exception_ptr>& inner_exceptions() const noexcept { return *inner_; }
  // InnerException: the first one (null when there is none).
  std::exception_ptr inner_exception() const noexcept { return inner_->empty() ? nullptr : inner_->front(); }
  // Flatten(): inner AggregateExceptions replaced by their own inner
  // exceptions, recursively.
  AggregateException flatten() const;

 private:
  std::shared_ptr<const std::vector<std::exception_ptr>> inner_;  // shared: copying an exception must not throw
};

// Python's SystemExit. Throw it from a process target to end the child with
// a chosen exit code: no code means 0, an int is the exit code, a message is
// printed to stderr and the exit code is 1 (CPython BaseProcess._bootstrap).
class SystemExit {
 public:
  SystemExit() = default;
  explicit SystemExit(int code) : code_(code) {}
  explicit SystemExit(std::string message) : message_(std::move(message)) {}

  const std::optional<int>& code() const noexcept { return code_; }
  const std::optional<std::string>& message() const noexcept { return message_; }

 private:
  std::optional<int> code_;
  std::optional<std::string> message_;
};

}  // namespace concur

// Errors of multiprocessing.pool (CPython Lib/multiprocessing/context.py and
// pool.py) and of concur's pool additions.
namespace concur::multiprocessing {

// multiprocessing.TimeoutError (context.py: `class TimeoutError(ProcessError)`),
// raised by AsyncResult::get(timeout) and IMapIterator::next(timeout). It is
// NOT the builtin TimeoutError (concur::TimeoutError): CPython's pool raises
// its own. Raised without a message, as CPython does.
class TimeoutError : public ProcessError {
 public:
  TimeoutError() : ProcessError("") {}
  using ProcessError::ProcessError;
};

// A task failed in a worker process with an exception whose type concur
// cannot rebuild in the parent (a type that is not in this file or the
// standard <stdexcept> family). Carries what CPython's RemoteTraceback shows:
// the type name, the message and the remote traceback text; what() is
// "<type>: <message>".
class RemoteError : public std::runtime_error {
 public:
  RemoteError(std::string type_name, std::string message, std::string traceback)
      : std::runtime_error(type_name + ": " + message),
        info_(std::make_shared<const Info>(Info{std::move(type_name), std::move(message), std::move(traceback)})) {}
  const std::string& type_name() const noexcept { return info_->type_name; }
  const std::string& message() const noexcept { return info_->message; }
  const std::string& traceback() const noexcept { return info_->traceback; }

 private:
  struct Info {
    std::string type_name, message, traceback;
  };
  std::shared_ptr<const Info> info_;  // shared: copying an exception must not throw
};

// Beyond CPython (whose Pool hangs forever): the worker process running a
// task ended abruptly (a signal such as SIGKILL or SIGSEGV, or an exit)
// before the task finished. The message names the worker, its pid and the
// signal or exit code. The name follows billiard's (Celery's pool).
class WorkerLostError : public ProcessError {
 public:
  using ProcessError::ProcessError;
};

}  // namespace concur::multiprocessing

// Errors of concurrent.futures (CPython Lib/concurrent/futures/_base.py,
// process.py, thread.py). futures' TimeoutError is the builtin one since
// Python 3.11: concur::TimeoutError.
namespace concur::futures {

// concurrent.futures.CancelledError: result()/exception() of a cancelled
// Future. Raised without a message.
class CancelledError : public std::runtime_error {
 public:
  CancelledError() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

// concurrent.futures.InvalidStateError: set_result/set_exception on a Future
// that is already done ("FINISHED: <Future ...>").
class InvalidStateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// concurrent.futures.BrokenExecutor (a RuntimeError): the executor cannot run
// work any more.
class BrokenExecutor : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// concurrent.futures.process.BrokenProcessPool: a worker process of a
// ProcessPoolExecutor ended abruptly; every pending future fails with it and
// later submit() raises it.
class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

// concurrent.futures.thread.BrokenThreadPool: a ThreadPoolExecutor's
// initializer failed.
class BrokenThreadPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

}  // namespace concur::futures

// queue.Full and queue.Empty (also raised by multiprocessing.Queue): put()
// found no room before its timeout, get() found no item. Python's classes
// derive from Exception and are raised without arguments, so what() is "".
namespace concur::queue {

class Full : public std::runtime_error {
 public:
  Full() : std::runtime_error("") {}
};

class Empty : public std::runtime_error {
 public:
  Empty() : std::runtime_error("") {}
};

// queue.ShutDown (CPython 3.13): put() on a queue that was shut down, or get()
// on one that was shut down and is empty. Raised without arguments: what() is "".
class ShutDown : public std::runtime_error {
 public:
  ShutDown() : std::runtime_error("") {}
};

}  // namespace concur::queue

// Errors of subprocess (CPython Lib/subprocess.py: SubprocessError,
// CalledProcessError, TimeoutExpired). `cmd` is the Args the call was given;
// messages quote Python's str(cmd).
namespace concur::subprocess {

// subprocess.SubprocessError, base of the two below.
class SubprocessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
// CalledProcessError.__str__: "Command '<cmd>' returned non-zero exit status
// 3." or, for a negative returncode, "died with <Signals.SIGKILL: 9>." /
// "died with unknown signal 40.".
std::string called_process_error_text(int returncode, const Args& cmd);
// TimeoutExpired.__str__: "Command '<cmd>' timed out after 0.5 seconds".
std::string timeout_expired_text(const Args& cmd, double seconds);
}  // namespace detail

// Raised by run(check=true), check_call, check_output and
// CompletedProcess::check_returncode() for a non-zero returncode. output()
// (alias stdout()) and stderr() hold what was captured (nullopt: not piped).
class CalledProcessError : public SubprocessError {
 public:
  CalledProcessError(int returncode, Args cmd, std::optional<std::string> output = std::nullopt,
                     std::optional<std::string> stderr = std::nullopt)
      : SubprocessError(detail::called_process_error_text(returncode, cmd)),
        info_(std::make_shared<const Info>(Info{returncode, std::move(cmd), std::move(output), std::move(stderr)})) {}
  int returncode() const noexcept { return info_->returncode; }
  const Args& cmd() const noexcept { return info_->cmd; }
  const std::optional<std::string>& output() const noexcept { return info_->output; }
  const std::optional<std::string>& stdout() const noexcept { return info_->output; }
  const std::optional<std::string>& stderr() const noexcept { return info_->err; }

 private:
  struct Info {
    int returncode;
    Args cmd;
    std::optional<std::string> output, err;
  };
  std::shared_ptr<const Info> info_;  // shared: copying an exception must not throw
};

// Raised when a timeout passes: by Popen::wait and Popen::communicate (the
// child keeps running) and by run/call/check_output (the child was killed and
// reaped first). output()/stderr() hold what was read before the timeout.
class TimeoutExpired : public SubprocessError {
 public:
  TimeoutExpired(Args cmd, std::chrono::duration<double> timeout, std::optional<std::string> output = std::nullopt,
                 std::optional<std::string> stderr = std::nullopt)
      : SubprocessError(detail::timeout_expired_text(cmd, timeout.count())),
        info_(std::make_shared<const Info>(Info{std::move(cmd), timeout, std::move(output), std::move(stderr)})) {}
  const Args& cmd() const noexcept { return info_->cmd; }
  std::chrono::duration<double> timeout() const noexcept { return info_->timeout; }
  const std::optional<std::string>& output() const noexcept { return info_->output; }
  const std::optional<std::string>& stdout() const noexcept { return info_->output; }
  const std::optional<std::string>& stderr() const noexcept { return info_->err; }

 private:
  struct Info {
    Args cmd;
    std::chrono::duration<double> timeout;
    std::optional<std::string> output, err;
  };
  std::shared_ptr<const Info> info_;
};

}  // namespace concur::subprocess
