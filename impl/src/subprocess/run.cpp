// subprocess.run, CompletedProcess and the older API (CPython 3.11
// Lib/subprocess.py: run, call, check_call, check_output, getstatusoutput,
// getoutput).
#include "concur/subprocess/run.hpp"

#include <exception>

namespace concur::subprocess {

namespace {

PopenOptions popen_options(RunOptions& o) {
  PopenOptions p;
  p.executable = std::move(o.executable);
  p.stdin = o.stdin;
  p.stdout = o.stdout;
  p.stderr = o.stderr;
  p.close_fds = o.close_fds;
  p.shell = o.shell;
  p.cwd = std::move(o.cwd);
  p.env = std::move(o.env);
  p.text = o.text;
  p.start_new_session = o.start_new_session;
  p.pass_fds = std::move(o.pass_fds);
  return p;
}

}  // namespace

void CompletedProcess::check_returncode() const {
  if (returncode != 0) throw CalledProcessError(returncode, args, stdout, stderr);
}

std::string CompletedProcess::repr() const {
  auto show = [this](const std::string& s) { return text ? python_repr(s) : python_bytes_repr(s); };
  std::string out = "CompletedProcess(args=" + args.repr() + ", returncode=" + std::to_string(returncode);
  if (stdout) out += ", stdout=" + show(*stdout);
  if (stderr) out += ", stderr=" + show(*stderr);
  return out + ")";
}

CompletedProcess run(Args args, RunOptions o) {
  if (o.input) {
    if (o.stdin) throw ValueError("stdin and input arguments may not both be used.");
    o.stdin = PIPE;
  }
  if (o.capture_output) {
    if (o.stdout || o.stderr) throw ValueError("stdout and stderr arguments may not be used with capture_output.");
    o.stdout = PIPE;
    o.stderr = PIPE;
  }
  bool text = o.text;
  Popen process(std::move(args), popen_options(o));
  Popen::Output out;
  try {
    out = process.communicate(o.input ? std::optional<std::string_view>(*o.input) : std::nullopt, o.timeout);
  } catch (...) {
    // TimeoutExpired already carries the output read so far (POSIX
    // _communicate); kill and reap, as run() and Popen.__exit__ do.
    process.kill();
    process.wait();
    throw;
  }
  int retcode = *process.poll();
  if (o.check && retcode != 0) throw CalledProcessError(retcode, process.args(), out.first, out.second);
  return CompletedProcess{process.args(), retcode, std::move(out.first), std::move(out.second), text};
}

int call(Args args, RunOptions o) {
  Timeout timeout = o.timeout;
  Popen p(std::move(args), popen_options(o));
  try {
    return p.wait(timeout);
  } catch (...) {
    p.kill();
    p.wait();
    throw;
  }
}

void check_call(Args args, RunOptions o) {
  Args cmd = args;
  int retcode = call(std::move(args), std::move(o));
  if (retcode != 0) throw CalledProcessError(retcode, std::move(cmd));
}

std::string check_output(Args args, RunOptions o) {
  if (o.stdout) throw ValueError("stdout argument not allowed, it will be overridden.");
  o.stdout = PIPE;
  o.check = true;
  return *run(std::move(args), std::move(o)).stdout;
}

std::pair<int, std::string> getstatusoutput(const std::string& cmd) {
  int exitcode = 0;
  std::string data;
  try {
    data = check_output(cmd, {.stderr = STDOUT, .shell = true, .text = true});
  } catch (const CalledProcessError& ex) {
    data = ex.output().value_or("");
    exitcode = ex.returncode();
  }
  if (!data.empty() && data.back() == '\n') data.pop_back();
  return {exitcode, data};
}

std::string getoutput(const std::string& cmd) { return getstatusoutput(cmd).second; }

}  // namespace concur::subprocess
