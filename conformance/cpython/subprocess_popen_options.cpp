// Twin of subprocess_popen_options.py: Popen's options — a two-process
// pipeline (one's stdout as the other's stdin), env replacing the
// environment (PATH search without PATH), cwd, shell=True with a pipe,
// executable= keeping argv[0], arguments with spaces and quotes passed
// verbatim, Popen.args (seed 004 §1.4 "拓展之subprocess"; CPython
// Lib/subprocess.py Popen.__init__, _execute_child).
#include <string>

#include "concur/subprocess.hpp"
#include "twin.hpp"

namespace sp = concur::subprocess;
using twin::line;
using twin::py;
using twin::bytes_or_none;


int main() {
  {
    sp::Popen p1({"printf", "b\\na\\nc\\n"}, {.stdout = sp::PIPE});
    sp::Popen p2({"sort"}, {.stdin = *p1.stdout(), .stdout = sp::PIPE});
    p1.stdout()->close();
    auto [out, err] = p2.communicate();
    const int rc1 = p1.wait();
    line("pipeline: ", bytes_or_none(out), " ", bytes_or_none(err), " returncodes: ", rc1, " ", py(p2.returncode()));
  }
  auto cp = sp::run({"sh", "-c", "echo $ONLY ${HOME-unset}"},
                    {.capture_output = true, .env = std::map<std::string, std::string>{{"ONLY", "x"}}});
  line("env replaces the environment: ", bytes_or_none(cp.stdout));
  cp = sp::run({"pwd"}, {.capture_output = true, .cwd = "/"});
  line("cwd: ", bytes_or_none(cp.stdout));
  cp = sp::run("echo hi there | tr a-z A-Z", {.capture_output = true, .shell = true});
  line("shell pipe: ", bytes_or_none(cp.stdout), " args=", cp.args.repr());
  cp = sp::run({"my-name", "-c", "echo $0"}, {.capture_output = true, .executable = "sh"});
  line("executable keeps argv[0]: ", bytes_or_none(cp.stdout));
  cp = sp::run({"printf", "%s|", "a b", "it's", "say \"hi\"", "", "$HOME"}, {.capture_output = true});
  line("arguments verbatim: ", bytes_or_none(cp.stdout));
  {
    sp::Popen p({"true"});
    line("Popen.args: ", p.args().str(), " returncode before wait: ", py(p.returncode()));
    p.wait();
  }
  {
    sp::Popen p("exit 3", {.shell = true});
    const int rc = p.wait();
    line("Popen.args of a shell string: ", p.args().repr(), " wait: ", rc);
  }
  sp::Popen p({"sh", "-c", "echo to-err >&2"}, {.stdout = sp::DEVNULL, .stderr = sp::PIPE});
  line("stdout/stderr handles: stdin=", p.stdin() ? "<file>" : "None", " stdout=", p.stdout() ? "<file>" : "None",
       " stderr read=", twin::bytes_repr(p.stderr()->read()));
  p.wait();
  p.stderr()->close();
}
