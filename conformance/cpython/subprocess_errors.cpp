// Twin of subprocess_errors.py: subprocess exceptions — FileNotFoundError for
// a missing program and a missing cwd, TimeoutExpired texts from run/
// Popen.wait/communicate (run kills the child, Popen leaves it running),
// output kept on timeout, argument errors (input with stdin, capture_output
// with stdout, check_output with stdout, empty args), communicate twice with
// input (seed 004 §1.4; CPython Lib/subprocess.py run,
// TimeoutExpired.__str__, Popen._execute_child, communicate).
#include <chrono>
#include <string>
#include <type_traits>
#include <vector>

#include "concur/subprocess.hpp"
#include "twin.hpp"

namespace sp = concur::subprocess;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::py;
using twin::bytes_or_none;


int main() {
  line("missing program: ", describe([] { sp::run({"no-such-program-xyz", "arg"}); }));
  line("missing program by path: ", describe([] { sp::run({"./no-such-program-xyz"}); }));
  line("missing cwd: ", describe([] { sp::run({"true"}, {.cwd = "/no/such/dir"}); }));
  line("empty args: ", describe([] { sp::run(std::vector<std::string>{}); }));
  line("input and stdin: ", describe([] { sp::run({"cat"}, {.input = "x", .stdin = sp::DEVNULL}); }));
  line("capture_output and stdout: ",
       describe([] { sp::run({"true"}, {.capture_output = true, .stdout = sp::PIPE}); }));
  line("check_output and stdout: ", describe([] { sp::check_output({"true"}, {.stdout = sp::PIPE}); }));

  const auto t0 = std::chrono::steady_clock::now();
  try {
    sp::run({"sh", "-c", "echo started; exec sleep 30"}, {.timeout = 0.5s, .stdout = sp::PIPE});
  } catch (const sp::TimeoutExpired& e) {
    line("run timeout: TimeoutExpired: ", e.what(), " output=", bytes_or_none(e.output()),
         " stderr=", bytes_or_none(e.stderr()), " timeout=", py(e.timeout().count()));
  }
  line("run timeout killed the child quickly: ", py(std::chrono::steady_clock::now() - t0 < 10s));
  line("call timeout: ", describe([] { sp::call({"sleep", "30"}, {.timeout = 0.25s}); }));
  // With a PIPE the text carries the timeout given (without one, CPython's
  // wait() reports the time that was left, a racy value).
  line("shell string timeout: ",
       describe([] { sp::run("exec sleep 30", {.capture_output = true, .timeout = 0.25s, .shell = true}); }));

  {
    sp::Popen p({"sleep", "30"});
    line("Popen.wait timeout: ", describe([&] { p.wait(0.2s); }));
    line("child still running: poll=", py(p.poll()));
    p.kill();
    line("then killed: ", p.wait());
  }
  sp::Popen p({"sh", "-c", "echo first; exec sleep 30"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
  try {
    p.communicate("data", 0.5s);
  } catch (const sp::TimeoutExpired& e) {
    line("communicate timeout: TimeoutExpired: ", e.what(), " output=", bytes_or_none(e.output()));
  }
  line("communicate again with input: ", describe([&] { p.communicate("more", 0.1s); }));
  p.kill();
  auto [out, err] = p.communicate();
  line("communicate after kill: out=", bytes_or_none(out), " err=", bytes_or_none(err),
       " returncode=", py(p.returncode()));
  line("CalledProcessError and TimeoutExpired are SubprocessErrors: ",
       py(std::is_base_of_v<sp::SubprocessError, sp::CalledProcessError>), " ",
       py(std::is_base_of_v<sp::SubprocessError, sp::TimeoutExpired>));
}
