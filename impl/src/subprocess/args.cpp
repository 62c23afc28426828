// Python reprs and the messages of CalledProcessError and TimeoutExpired
// (CPython 3.11 Lib/subprocess.py, CalledProcessError.__str__ and
// TimeoutExpired.__str__).
#include "concur/subprocess/args.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "concur/errors.hpp"

namespace concur::subprocess {

namespace {

std::string quoted(std::string_view s, bool bytes) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char q = has_single && !has_double ? '"' : '\'';
  std::string out;
  out.reserve(s.size() + 3);
  if (bytes) out += 'b';
  out += q;
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(q)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);  // UTF-8 of a str passes through, as Python prints it
        }
    }
  }
  out += q;
  return out;
}

}  // namespace

std::string python_repr(std::string_view s) { return quoted(s, false); }

std::string python_bytes_repr(std::string_view s) { return quoted(s, true); }

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  // Python's repr uses fixed notation for 1e-4 <= |x| < 1e16 and exponent
  // notation outside (float_repr_style 'short'), with the shortest digits
  // that round-trip. to_chars' plain shortest form would pick whichever text
  // is shorter ("1e+05" for 100000.0), so the notation is chosen here.
  const double a = std::fabs(x);
  const bool fixed = a == 0 || (a >= 1e-4 && a < 1e16);
  auto r = fixed ? std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed)
                 : std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  // Add ".0" to integral values.
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string python_signal_repr(int signum) {
  // CPython 3.11's signal.Signals on Linux (the names repr() shows).
  static constexpr const char* names[] = {
      nullptr,   "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
  const char* name = nullptr;
  if (signum > 0 && signum < static_cast<int>(std::size(names))) name = names[signum];
  if (signum == 34) name = "SIGRTMIN";
  if (signum == 64) name = "SIGRTMAX";
  if (name == nullptr) return "";
  return std::string("<Signals.") + name + ": " + std::to_string(signum) + ">";
}

std::string Args::str() const {
  if (is_string_) return argv_.empty() ? std::string() : argv_.front();
  std::string out = "[";
  for (std::size_t i = 0; i < argv_.size(); ++i) {
    if (i) out += ", ";
    out += python_repr(argv_[i]);
  }
  return out + "]";
}

std::string Args::repr() const { return is_string_ ? python_repr(str()) : str(); }

namespace detail {

std::string called_process_error_text(int returncode, const Args& cmd) {
  std::string head = "Command '" + cmd.str() + "' ";
  if (returncode < 0) {
    std::string sig = python_signal_repr(-returncode);
    if (sig.empty()) return head + "died with unknown signal " + std::to_string(-returncode) + ".";
    return head + "died with " + sig + ".";
  }
  return head + "returned non-zero exit status " + std::to_string(returncode) + ".";
}

std::string timeout_expired_text(const Args& cmd, double seconds) {
  return "Command '" + cmd.str() + "' timed out after " + python_float_repr(seconds) + " seconds";
}

}  // namespace detail

}  // namespace concur::subprocess
