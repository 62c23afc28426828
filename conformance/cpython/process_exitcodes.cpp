// Twin of process_exitcodes.py: Process exit codes under each start method
// (seed 000 §1.1; CPython process.py _bootstrap, popen_fork.py poll).
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void ok() {}
void exits(int code) {
  if (code < 0) throw concur::SystemExit();
  throw concur::SystemExit(code);
}
void raises() { throw concur::ValueError("boom"); }
void sleeps() { std::this_thread::sleep_for(std::chrono::seconds(60)); }
CONCUR_REGISTER_TARGET(ok);
CONCUR_REGISTER_TARGET(exits);
CONCUR_REGISTER_TARGET(raises);
CONCUR_REGISTER_TARGET(sleeps);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto report = [&](const std::string& label, mp::Process p) {
      twin::line(method, " ", label, ": exitcode before start=", twin::py(p.exitcode()));
      p.start();
      p.join();
      twin::line(method, " ", label, ": exitcode=", twin::py(p.exitcode()), " is_alive=", twin::py(p.is_alive()));
    };
    report("return", ctx.Process(ok));
    report("SystemExit(3)", ctx.Process(exits, 3));
    report("SystemExit()", ctx.Process(exits, -1));
    report("raise ValueError", ctx.Process(raises));
    auto t = ctx.Process(sleeps);
    t.start();
    t.terminate();
    t.join();
    twin::line(method, " terminate: exitcode=", twin::py(t.exitcode()));
    auto k = ctx.Process(sleeps);
    k.start();
    k.kill();
    k.join();
    twin::line(method, " kill: exitcode=", twin::py(k.exitcode()));
  }
}
