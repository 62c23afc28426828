// Twin of process_state_errors.py: Process state errors under each start
// method — start twice, join before start, sentinel before start, daemon
// after start, close while running / twice / before start, every use after
// close, join(timeout) of a running child, a daemonic child starting a child
// (seed 000 §1.1; CPython process.py start/join/close/_check_closed/daemon).
#include <chrono>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void ok() {}
CONCUR_REGISTER_TARGET(ok);

void sleeper() { std::this_thread::sleep_for(60s); }
CONCUR_REGISTER_TARGET(sleeper);

void from_daemon(std::string method) {
  auto& me = mp::current_process();
  twin::line("  daemon child: daemon=", twin::py(me.daemon()));
  auto p = mp::get_context(method).Process(ok);
  twin::line("  daemon child start: ", twin::describe([&] { p.start(); }));
}
CONCUR_REGISTER_TARGET(from_daemon);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto p = ctx.Process(ok);
    twin::line(method, " before start: is_alive=", twin::py(p.is_alive()), " exitcode=", twin::py(p.exitcode()),
               " daemon=", twin::py(p.daemon()));
    twin::line(method, " join before start: ", twin::describe([&] { p.join(); }));
    twin::line(method, " sentinel before start: ", twin::describe([&] { (void)p.sentinel(); }));
    p.start();
    twin::line(method, " start twice: ", twin::describe([&] { p.start(); }));
    p.join();
    twin::line(method, " joined: exitcode=", twin::py(p.exitcode()), " is_alive=", twin::py(p.is_alive()));
    twin::line(method, " join again: ", twin::describe([&] { p.join(); }));
    twin::line(method, " set daemon after start: ", twin::describe([&] { p.set_daemon(true); }));
    twin::line(method, " close ended: ", twin::describe([&] { p.close(); }));
    twin::line(method, " close again: ", twin::describe([&] { p.close(); }));
    twin::line(method, " start after close: ", twin::describe([&] { p.start(); }));
    twin::line(method, " join after close: ", twin::describe([&] { p.join(); }));
    twin::line(method, " is_alive after close: ", twin::describe([&] { (void)p.is_alive(); }));
    twin::line(method, " exitcode after close: ", twin::describe([&] { (void)p.exitcode(); }));
    twin::line(method, " pid after close: ", twin::describe([&] { (void)p.pid(); }));
    twin::line(method, " sentinel after close: ", twin::describe([&] { (void)p.sentinel(); }));
    twin::line(method, " terminate after close: ", twin::describe([&] { p.terminate(); }));
    twin::line(method, " kill after close: ", twin::describe([&] { p.kill(); }));
    twin::line(method, " name after close: ", p.name());

    auto s = ctx.Process(sleeper);
    s.start();
    twin::line(method, " close while running: ", twin::describe([&] { s.close(); }));
    s.join(50ms);
    twin::line(method, " join(timeout) while running: exitcode=", twin::py(s.exitcode()),
               " is_alive=", twin::py(s.is_alive()));
    s.terminate();
    s.join();
    twin::line(method, " terminated: exitcode=", twin::py(s.exitcode()));
    twin::line(method, " close after terminate: ", twin::describe([&] { s.close(); }));

    auto u = ctx.Process(ok);
    twin::line(method, " close before start: ", twin::describe([&] { u.close(); }));
    twin::line(method, " start after close: ", twin::describe([&] { u.start(); }));

    auto d = ctx.Process({.daemon = true}, from_daemon, method);
    twin::line(method, " daemon=", twin::py(d.daemon()));
    d.start();
    d.join();
    twin::line(method, " daemon child exitcode=", twin::py(d.exitcode()));
  }
}
