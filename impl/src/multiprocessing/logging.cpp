#include "concur/multiprocessing/logging.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

#include "concur/multiprocessing/process.hpp"

namespace concur::logging {

std::string level_name(int level) {
  switch (level) {
    case NOTSET: return "NOTSET";
    case SUBDEBUG: return "SUBDEBUG";
    case DEBUG: return "DEBUG";
    case INFO: return "INFO";
    case SUBWARNING: return "SUBWARNING";
    case WARNING: return "WARNING";
    case ERROR: return "ERROR";
    case CRITICAL: return "CRITICAL";
    default: return "Level " + std::to_string(level);
  }
}

}  // namespace concur::logging

namespace concur::multiprocessing {
namespace {
std::atomic<int> g_level{logging::NOTSET};
std::atomic<bool> g_stderr_handler{false};
}  // namespace

void Logger::set_level(int level) noexcept { g_level.store(level, std::memory_order_relaxed); }
int Logger::level() const noexcept { return g_level.load(std::memory_order_relaxed); }
int Logger::get_effective_level() const noexcept {
  int l = level();
  return l == logging::NOTSET ? logging::WARNING : l;
}
bool Logger::is_enabled_for(int level) const noexcept { return level >= get_effective_level(); }
bool Logger::has_stderr_handler() const noexcept { return g_stderr_handler.load(std::memory_order_relaxed); }

void Logger::log(int level, std::string_view message) const {
  if (!is_enabled_for(level)) return;
  // Without a handler, Python's logging.lastResort (level WARNING) prints the
  // bare message; lower records go nowhere.
  if (!has_stderr_handler() && level < logging::WARNING) return;
  std::string line;
  if (has_stderr_handler()) {
    // CPython's DEFAULT_LOGGING_FORMAT: '[%(levelname)s/%(processName)s] %(message)s'
    line.reserve(message.size() + 32);
    line += '[';
    line += logging::level_name(level);
    line += '/';
    line += current_process().name();
    line += "] ";
  }
  line += message;
  line += '\n';
  // One write(2) per record: atomic w.r.t. other writers of the same fd up to
  // PIPE_BUF on pipes; no lock, so safe in a child forked mid-log.
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n <= 0) return;  // logging never throws (Python's handleError swallows)
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

Logger& get_logger() {
  static Logger* logger = new Logger();  // never destroyed: used by atexit code
  return *logger;
}

Logger& log_to_stderr(std::optional<int> level) {
  Logger& l = get_logger();
  g_stderr_handler.store(true, std::memory_order_relaxed);
  if (level && *level) l.set_level(*level);
  return l;
}

}  // namespace concur::multiprocessing
