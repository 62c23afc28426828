// conformance/cpython/twin.hpp — the concur side of a CPython twin (issue 10).
//
// A twin prints a canonical transcript that must equal what <case>.py prints
// under CPython (run_twin.py diffs them). Two helpers keep the C++ side in
// CPython's words:
//   twin::line(...)      prints its arguments and a newline, unbuffered, so
//                        the order survives fork (no stdio buffer is copied
//                        into a child) and matches Python's print().
//   twin::describe(fn)   runs fn; returns "no exception" or the exception as
//                        Python prints type(e).__name__ + ": " + str(e). A
//                        plain std::system_error is named as CPython names
//                        the OSError of its errno: "BrokenPipeError: [Errno
//                        32] Broken pipe".
//   twin::py(x)          Python's str() of a value: True/False for bool,
//                        None for an empty optional, the number otherwise.
//   twin::repr(s)        Python's repr() of a str ('abc'); bytes_repr(s) of
//                        bytes (b'abc').
//   twin::list(v)        Python's repr() of a list: "[1, 2]", "['a', 'b']",
//                        "[True, None]" (strings repr'd, the rest as py()).
// Python's side of the same helpers is twinlib.py.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "concur/detail/type_name.hpp"
#include "concur/errors.hpp"
#include "concur/subprocess/args.hpp"

namespace twin {

template <class... Args>
void line(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  out << '\n';
  const std::string s = out.str();
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// Python's str() of a value.
inline std::string py(bool b) { return b ? "True" : "False"; }
template <class T>
  requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
std::string py(T v) {
  std::ostringstream out;
  out << +v;
  return out.str();
}
// A float as Python prints it: the shortest text that round-trips, "1.0"
// rather than "1".
template <class T>
  requires std::is_floating_point_v<T>
std::string py(T v) {
  return concur::subprocess::python_float_repr(static_cast<double>(v));
}
template <class T>
std::string py(const std::optional<T>& v) {
  return v ? py(*v) : std::string("None");
}


// repr(str) (UTF-8 passes through, as Python prints it); repr(bytes). The
// one implementation is concur's own (concur/subprocess/args.hpp).
inline std::string repr(std::string_view s) { return concur::subprocess::python_repr(s); }
inline std::string bytes_repr(std::string_view s) { return concur::subprocess::python_bytes_repr(s); }
// A captured stream as Python prints it: its bytes repr, or None.
inline std::string bytes_or_none(const std::optional<std::string>& s) { return s ? bytes_repr(*s) : "None"; }

// list(range(n)).
inline std::vector<int> range(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

// repr(list): each element as repr() prints it.
template <class Range>
std::string list(const Range& items) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ", ";
    first = false;
    if constexpr (std::is_convertible_v<decltype(item), std::string_view>) {
      out += repr(item);
    } else {
      out += py(item);
    }
  }
  return out + "]";
}

// The OSError subclass CPython raises for an errno (Objects/exceptions.c).
inline const char* os_error_name(int err) {
  switch (err) {
    case EPIPE: case ESHUTDOWN: return "BrokenPipeError";
    case ECONNRESET: return "ConnectionResetError";
    case ECONNREFUSED: return "ConnectionRefusedError";
    case ECONNABORTED: return "ConnectionAbortedError";
    case EAGAIN: case EALREADY: case EINPROGRESS: return "BlockingIOError";
    case ECHILD: return "ChildProcessError";
    case EEXIST: return "FileExistsError";
    case ENOENT: return "FileNotFoundError";
    case EISDIR: return "IsADirectoryError";
    case ENOTDIR: return "NotADirectoryError";
    case EINTR: return "InterruptedError";
    case EACCES: case EPERM: return "PermissionError";
    case ESRCH: return "ProcessLookupError";
    case ETIMEDOUT: return "TimeoutError";
    default: return "OSError";
  }
}

// "ValueError: message": the unqualified class name, as type(e).__name__.
inline std::string describe_current() {
  try {
    throw;
  } catch (const concur::SystemExit& e) {
    return "SystemExit: " + (e.message() ? *e.message() : e.code() ? std::to_string(*e.code()) : std::string());
  } catch (const std::system_error& e) {
    if (typeid(e) != typeid(std::system_error)) return concur::detail::class_name(typeid(e)) + ": " + e.what();
    const int err = e.code().value();
    return std::string(os_error_name(err)) + ": [Errno " + std::to_string(err) + "] " +
           std::generic_category().message(err);
  } catch (const std::exception& e) {
    return concur::detail::class_name(typeid(e)) + ": " + e.what();
  } catch (...) {
    return "unknown exception";
  }
}

template <class F>
std::string describe(F&& fn) {
  try {
    std::forward<F>(fn)();
    return "no exception";
  } catch (...) {
    return describe_current();
  }
}

}  // namespace twin
