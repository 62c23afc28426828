// Twin of subprocess_returncodes.py: subprocess return codes — run/call/
// check_call/check_output, getstatusoutput, Popen poll/wait/returncode,
// 0 / non-zero / -signal, CalledProcessError texts for an exit status and
// for a signal, CompletedProcess repr and check_returncode (seed 004 §1.4
// "拓展之subprocess"; CPython Lib/subprocess.py run,
// CalledProcessError.__str__, Popen._handle_exitstatus).
#include <csignal>
#include <string>
#include <utility>
#include <vector>

#include "concur/subprocess.hpp"
#include "twin.hpp"

namespace sp = concur::subprocess;
using twin::describe;
using twin::line;
using twin::py;

namespace {
std::string status_output(const std::pair<int, std::string>& r) {
  return "(" + std::to_string(r.first) + ", " + twin::repr(r.second) + ")";
}
}  // namespace

int main() {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"true"}, {"false"}, {"sh", "-c", "exit 7"}, {"sh", "-c", "kill -TERM $$"}, {"sh", "-c", "kill -KILL $$"}}) {
    auto cp = sp::run(args);
    line("run ", twin::list(args), ": returncode=", cp.returncode, " ", cp.repr());
  }
  auto cp = sp::run("exit 4", {.shell = true});
  line("run shell string: ", cp.repr());
  line("check_returncode 4: ", describe([&] { cp.check_returncode(); }));
  line("check_returncode 0: ", describe([] { sp::run({"true"}).check_returncode(); }));
  line("run check=True exit 3: ", describe([] { sp::run({"sh", "-c", "exit 3"}, {.check = true}); }));
  line("run check=True SIGTERM: ", describe([] { sp::run({"sh", "-c", "kill -TERM $$"}, {.check = true}); }));
  line("run check=True SIGKILL: ", describe([] { sp::run("kill -9 $$", {.check = true, .shell = true}); }));
  line("run check=True exit 0: ", describe([] { sp::run({"true"}, {.check = true}); }));
  line("call exit 5: ", sp::call({"sh", "-c", "exit 5"}));
  line("check_call exit 6: ", describe([] { sp::check_call({"sh", "-c", "exit 6"}); }));
  line("check_output: ", twin::bytes_repr(sp::check_output({"echo", "hi"})));
  try {
    sp::check_output({"sh", "-c", "echo partial; exit 2"});
  } catch (const sp::CalledProcessError& e) {
    line("check_output failing: CalledProcessError: ", e.what(), " returncode=", e.returncode(),
         " output=", e.output() ? twin::bytes_repr(*e.output()) : "None",
         " stderr=", e.stderr() ? twin::bytes_repr(*e.stderr()) : "None", " cmd=", e.cmd().str());
  }
  line("getstatusoutput exit 3: ", status_output(sp::getstatusoutput("echo out; echo err >&2; exit 3")));
  line("getstatusoutput signal: ", status_output(sp::getstatusoutput("kill -TERM $$")));
  line("getoutput: ", twin::repr(sp::getoutput("printf 'a\\nb\\n'")));

  {
    sp::Popen p({"sleep", "30"});
    const auto polled = p.poll();
    line("Popen running: poll=", py(polled), " returncode=", py(p.returncode()));
    p.terminate();
    const int w = p.wait();
    line("after terminate: wait=", w, " returncode=", py(p.returncode()), " poll=", py(p.poll()));
  }
  {
    sp::Popen p({"sleep", "30"});
    p.kill();
    line("after kill: wait=", p.wait());
  }
  {
    sp::Popen p({"sleep", "30"});
    p.send_signal(SIGINT);
    line("after SIGINT: wait=", p.wait());
    const std::string sent = describe([&] { p.send_signal(SIGTERM); });
    line("send_signal after reaping: ", sent, " returncode=", py(p.returncode()));
  }
  sp::Popen p({"sh", "-c", "exit 9"});
  const int w1 = p.wait();
  const int w2 = p.wait();
  line("Popen exit 9: wait=", w1, " wait again=", w2);
}
