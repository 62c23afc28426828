// concur/multiprocessing/logging.hpp — multiprocessing's logger
// (CPython multiprocessing.util: get_logger, log_to_stderr; seed 004 §2 "日记系列").
//
// Contract
//  * One process-wide logger named "multiprocessing". Until log_to_stderr()
//    is called it has no handler: as with Python's logging.lastResort,
//    records of level WARNING and above are written to stderr as the bare
//    message, everything else is dropped.
//  * After log_to_stderr() every record at or above the logger's effective
//    level is written to stderr as `[LEVEL/ProcessName] message`
//    (CPython's DEFAULT_LOGGING_FORMAT), ProcessName being
//    current_process().name() at the time of the call.
//  * The level is NOTSET (0) until set; NOTSET means "effective WARNING",
//    like a Python logger under a default root.
//  * Process lifecycle records are emitted here exactly as CPython emits
//    them: "child process calling self.run()", "process shutting down",
//    "process exiting with exitcode N", "calling terminate() for daemon X",
//    "calling join() for process X".
//  * Children inherit the configuration under every start method (fork by
//    memory copy; spawn and forkserver receive it with the process payload,
//    as CPython's preparation data carries log_to_stderr and the level).
//
// Thread- and fork-safety: each record is written with a single write(2) and
// no lock, so records from threads and processes never interleave within a
// line and a child forked while another thread logs cannot deadlock.
// Level changes are atomic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace concur::logging {

// Python's logging levels, plus multiprocessing.util's SUBDEBUG/SUBWARNING.
inline constexpr int NOTSET = 0;
inline constexpr int SUBDEBUG = 5;
inline constexpr int DEBUG = 10;
inline constexpr int INFO = 20;
inline constexpr int SUBWARNING = 25;
inline constexpr int WARNING = 30;
inline constexpr int ERROR = 40;
inline constexpr int CRITICAL = 50;

// "INFO", "WARNING", ...; "Level N" for unnamed levels, as Python's
// logging.getLevelName.
std::string level_name(int level);

}  // namespace concur::logging

namespace concur::multiprocessing {

class Logger {
 public:
  void set_level(int level) noexcept;
  int level() const noexcept;
  // The level in force: level() or, when that is NOTSET, WARNING.
  int get_effective_level() const noexcept;
  bool is_enabled_for(int level) const noexcept;

  void log(int level, std::string_view message) const;
  void subdebug(std::string_view m) const { log(logging::SUBDEBUG, m); }
  void debug(std::string_view m) const { log(logging::DEBUG, m); }
  void info(std::string_view m) const { log(logging::INFO, m); }
  void subwarning(std::string_view m) const { log(logging::SUBWARNING, m); }
  void warning(std::string_view m) const { log(logging::WARNING, m); }
  void error(std::string_view m) const { log(logging::ERROR, m); }
  void critical(std::string_view m) const { log(logging::CRITICAL, m); }

  // True once log_to_stderr() has attached the stderr handler.
  bool has_stderr_handler() const noexcept;

 private:
  friend Logger& log_to_stderr(std::optional<int>);
  friend Logger& get_logger();
  Logger() = default;
};

// Returns the multiprocessing logger.
Logger& get_logger();

// Attaches the `[LEVEL/ProcessName] message` stderr handler (once; repeated
// calls do not duplicate output) and, when `level` is given, sets the level.
Logger& log_to_stderr(std::optional<int> level = std::nullopt);

}  // namespace concur::multiprocessing
