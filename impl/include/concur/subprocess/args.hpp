// concur/subprocess/args.hpp — the program arguments of a subprocess call,
// as CPython's `args` (a sequence of strings, or one string).
//
// Contract
//  * `Args` holds what the caller passed: a list (`{"ls", "-al"}`, a
//    std::vector) or one string (`"ls"`, or a command line with shell=true).
//    CPython treats a lone string as the program to run (no arguments), or
//    with shell=True as the command string for /bin/sh -c; concur does the
//    same (concur/subprocess/popen.hpp).
//  * `str()` is Python's str(args): the string itself, or the list's repr
//    (`['ls', '-al']`). CalledProcessError and TimeoutExpired messages quote
//    it, as CPython's do ("Command '['ls', '-al']' returned non-zero exit
//    status 2.").
//  * `python_repr` / `python_bytes_repr` / `python_float_repr` render values
//    the way Python's repr() does, for messages and CompletedProcess::repr().
//
// Thread-safety: a value type. Fork-safety: no state.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concur::subprocess {

class Args {
 public:
  // A list of arguments; argv[0] is the program (searched in PATH when it
  // has no '/').
  Args(std::initializer_list<std::string> argv) : argv_(argv) {}
  Args(std::vector<std::string> argv) : argv_(std::move(argv)) {}
  // One string: the program alone, or the command line when shell=true.
  Args(std::string command) : argv_{std::move(command)}, is_string_(true) {}
  Args(const char* command) : Args(std::string(command)) {}

  const std::vector<std::string>& argv() const noexcept { return argv_; }
  bool is_string() const noexcept { return is_string_; }

  // Python's str(args).
  std::string str() const;
  // Python's repr(args).
  std::string repr() const;

  friend bool operator==(const Args&, const Args&) = default;

 private:
  std::vector<std::string> argv_;
  bool is_string_ = false;
};

// repr() of a Python str holding `s` (UTF-8 passes through; control
// characters are escaped; single quotes unless `s` contains ' and no ").
std::string python_repr(std::string_view s);
// repr() of a Python bytes object: b'...' with \xNN for non-ASCII bytes.
std::string python_bytes_repr(std::string_view s);
// repr() of a Python float: shortest round-trip digits, "1.0" not "1".
std::string python_float_repr(double x);
// repr(signal.Signals(n)) — "<Signals.SIGKILL: 9>" — or "" when Python's
// Signals enum has no member n (e.g. the real-time signals 35..63).
std::string python_signal_repr(int signum);

}  // namespace concur::subprocess
