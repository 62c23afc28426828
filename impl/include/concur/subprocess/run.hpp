// concur/subprocess/run.hpp — subprocess.run and CompletedProcess, and the
// older API: call, check_call, check_output, getoutput, getstatusoutput
// (seed 004 §1.4 "拓展之subprocess"; CPython Lib/subprocess.py).
//
// Contract
//  * `run(args, options)` starts the program (a Popen), communicates (input,
//    timeout), waits, and returns CompletedProcess{args, returncode, stdout,
//    stderr}; stdout/stderr are nullopt unless captured (PIPE).
//  * On timeout the child is killed (SIGKILL) and reaped, then
//    TimeoutExpired is raised carrying the output read so far. Any other
//    exception while communicating also kills and reaps the child first.
//  * check=true and a non-zero returncode raise CalledProcessError carrying
//    the captured output.
//  * `input` together with `stdin` raises ValueError("stdin and input
//    arguments may not both be used."); capture_output together with stdout
//    or stderr raises ValueError("stdout and stderr arguments may not be used
//    with capture_output."). check_output with stdout raises
//    ValueError("stdout argument not allowed, it will be overridden.").
//  * getoutput/getstatusoutput run `cmd` through /bin/sh -c with stderr
//    merged into stdout, in text mode, and strip one trailing newline.
//
// Thread-safety: every function may be called from any number of threads at
// once; each runs its own child. Fork-safety: as Popen (vfork + exec).
// Blocking: every function blocks until the child ended (or its timeout).
// Lifetime: every child is reaped before the function returns or throws.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concur/errors.hpp"
#include "concur/subprocess/args.hpp"
#include "concur/subprocess/popen.hpp"
#include "concur/timeout.hpp"

namespace concur::subprocess {

// The result of run(). `text` records whether the outputs are str (text=true)
// or bytes; it only changes repr().
struct CompletedProcess {
  Args args{};
  int returncode = 0;
  std::optional<std::string> stdout{};
  std::optional<std::string> stderr{};
  bool text = false;

  // Throws CalledProcessError(returncode, args, stdout, stderr) if returncode
  // is non-zero.
  void check_returncode() const;
  // CPython's repr: "CompletedProcess(args=['ls', '-al'], returncode=0)",
  // with ", stdout=b'...'" / ", stderr=..." when captured.
  std::string repr() const;
};

// run()'s keyword arguments: run's own (input .. check), then Popen's in
// CPython's order.
struct RunOptions {
  std::optional<std::string> input{};  // sets stdin=PIPE; "" sends nothing and closes stdin
  bool capture_output = false;       // stdout=PIPE, stderr=PIPE
  Timeout timeout{};
  bool check = false;
  std::optional<std::string> executable{};
  std::optional<Redirect> stdin{};
  std::optional<Redirect> stdout{};
  std::optional<Redirect> stderr{};
  bool close_fds = true;
  bool shell = false;
  std::optional<std::string> cwd{};
  std::optional<std::map<std::string, std::string>> env{};
  bool text = false;
  bool start_new_session = false;
  std::vector<int> pass_fds{};
};

CompletedProcess run(Args args, RunOptions options = {});

// call(): run without capturing; the returncode. On timeout the child is
// killed and reaped and TimeoutExpired raised. `input`, `capture_output` and
// `check` of the options are ignored, as call() has none.
int call(Args args, RunOptions options = {});
// check_call(): call(); a non-zero returncode raises CalledProcessError.
void check_call(Args args, RunOptions options = {});
// check_output(): run(stdout=PIPE, check=true); stdout.
std::string check_output(Args args, RunOptions options = {});
// getstatusoutput(cmd): (exitcode, output) of `cmd` run by the shell, stderr
// merged into output, one trailing newline removed; a signal gives -N.
std::pair<int, std::string> getstatusoutput(const std::string& cmd);
// getoutput(cmd): getstatusoutput(cmd).second.
std::string getoutput(const std::string& cmd);

}  // namespace concur::subprocess
