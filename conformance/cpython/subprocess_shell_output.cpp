// Twin of subprocess_shell_output.py: the shell and the older output helpers
// — getstatusoutput of a missing command (127) and of a multi-line output,
// getoutput stripping one newline only, check_output with text and input,
// stdin=DEVNULL, universal newlines on stderr, a shell command's exit status
// and signal, timeout=0 (seed 004 §1.4 "拓展之subprocess": getoutput/
// getstatusoutput; CPython Lib/subprocess.py getstatusoutput, check_output,
// run).
#include <chrono>
#include <string>
#include <utility>

#include "concur/subprocess.hpp"
#include "twin.hpp"

namespace sp = concur::subprocess;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::py;
using twin::bytes_or_none;


int main() {
  {
    auto [status, out] = sp::getstatusoutput("no-such-command-xyz");
    line("missing command: status=", status, " mentions it: ", py(out.find("no-such-command-xyz") != std::string::npos));
  }
  {
    auto [status, out] = sp::getstatusoutput("printf 'a\\n\\nb\\n\\n'");
    line("multi-line: (", status, ", ", twin::repr(out), ")");
  }
  line("getoutput strips one newline: ", twin::repr(sp::getoutput("printf 'x\\n\\n'")));
  line("getoutput of nothing: ", twin::repr(sp::getoutput("true")));
  line("check_output text with input: ",
       twin::repr(sp::check_output({"tr", "a-z", "A-Z"}, {.input = "shout\n", .text = true})));
  line("check_output stderr passes through, stdout kept: ",
       twin::bytes_repr(sp::check_output({"sh", "-c", "echo out; echo err >&2"}, {.stderr = sp::DEVNULL})));
  auto cp = sp::run({"cat"}, {.capture_output = true, .stdin = sp::DEVNULL});
  line("stdin=DEVNULL: ", bytes_or_none(cp.stdout), " returncode=", cp.returncode);
  cp = sp::run({"sh", "-c", "printf 'e1\\r\\ne2\\r' >&2"}, {.capture_output = true, .text = true});
  line("text stderr: ", twin::repr(*cp.stderr));
  cp = sp::run("exit 42", {.shell = true});
  line("shell exit 42: ", cp.returncode);
  cp = sp::run("kill -INT $$", {.shell = true});
  line("shell killed by SIGINT: ", cp.returncode);
  line("timeout=0.0: ", describe([] { sp::run({"sleep", "5"}, {.capture_output = true, .timeout = 0.0s}); }));
  line("check=True with capture: ", describe([] {
         sp::run({"sh", "-c", "echo o; echo e >&2; exit 1"}, {.capture_output = true, .check = true});
       }));
  try {
    sp::run({"sh", "-c", "echo o; echo e >&2; exit 1"}, {.capture_output = true, .check = true});
  } catch (const sp::CalledProcessError& e) {
    line("  its output=", bytes_or_none(e.output()), " stderr=", bytes_or_none(e.stderr()),
         " stdout is output: ", py(e.stdout() == e.output()));
  }
}
