// conformance/cpython/twin.hpp — the concur side of a CPython twin (issue 10).
//
// A twin prints a canonical transcript that must equal what <case>.py prints
// under CPython (run_twin.py diffs them). Two helpers keep the C++ side in
// CPython's words:
//   twin::line(...)      prints its arguments and a newline, unbuffered, so
//                        the order survives fork (no stdio buffer is copied
//                        into a child) and matches Python's print().
//   twin::describe(fn)   runs fn; returns "no exception" or the exception as
//                        Python prints type(e).__name__ + ": " + str(e).
// Python's side of the same helpers is twinlib.py.
#pragma once

#include <unistd.h>

#include <exception>
#include <sstream>
#include <string>
#include <typeinfo>
#include <utility>

#include "concur/detail/type_name.hpp"
#include "concur/errors.hpp"

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

// "ValueError: message": the unqualified class name, as type(e).__name__.
inline std::string describe_current() {
  try {
    throw;
  } catch (const concur::SystemExit& e) {
    return "SystemExit: " + (e.message() ? *e.message() : e.code() ? std::to_string(*e.code()) : std::string());
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
