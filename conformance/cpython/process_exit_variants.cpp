// Twin of process_exit_variants.py: exit codes process_exitcodes does not
// cover, under each start method — SystemExit with a message (1),
// SystemExit(0), codes outside 0..255 (256 -> 0, -1 -> 255), a child ended by
// its own signal (SIGUSR1 -> -10, SIGABRT -> -6), a signal from the parent
// (SIGHUP -> -1), and is_alive/exitcode while the child runs (seed 000 §1.1;
// CPython process.py _bootstrap, popen_fork.py poll).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void exits(int code) { throw concur::SystemExit(code); }
CONCUR_REGISTER_TARGET(exits);
void exits_with_message() { throw concur::SystemExit(std::string("fatal: giving up")); }
CONCUR_REGISTER_TARGET(exits_with_message);
void own_signal(int signum) {
  ::kill(::getpid(), signum);
  std::this_thread::sleep_for(std::chrono::seconds(10));
}
CONCUR_REGISTER_TARGET(own_signal);
void waits() { std::this_thread::sleep_for(std::chrono::seconds(60)); }
CONCUR_REGISTER_TARGET(waits);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto report = [&](const std::string& label, mp::Process p) {
      p.start();
      p.join();
      twin::line(method, " ", label, ": exitcode=", twin::py(p.exitcode()));
    };
    report("SystemExit('fatal: giving up')", ctx.Process(exits_with_message));
    report("SystemExit(0)", ctx.Process(exits, 0));
    report("SystemExit(256)", ctx.Process(exits, 256));
    report("SystemExit(-1)", ctx.Process(exits, -1));
    report("SystemExit(255)", ctx.Process(exits, 255));
    report("own SIGUSR1", ctx.Process(own_signal, int(SIGUSR1)));
    report("own SIGABRT", ctx.Process(own_signal, int(SIGABRT)));
    auto p = ctx.Process(waits);
    p.start();
    twin::line(method, " running: is_alive=", twin::py(p.is_alive()), " exitcode=", twin::py(p.exitcode()));
    ::kill(*p.pid(), SIGHUP);
    p.join();
    twin::line(method, " SIGHUP from the parent: exitcode=", twin::py(p.exitcode()), " is_alive=", twin::py(p.is_alive()));
  }
}
