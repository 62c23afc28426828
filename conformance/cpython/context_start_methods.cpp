// Twin of context_start_methods.py: get_all_start_methods, get_context names
// and identity, unknown methods, set_start_method once ("context has already
// been set"), force, get_start_method(allow_none), and the method a child
// runs under and inherits (seed 001 "进程创建", seed 004 "上下文系"; CPython
// context.py DefaultContext).
#include <optional>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

namespace {
std::string opt(std::optional<std::string_view> s) { return s ? std::string(*s) : "None"; }
}  // namespace

void show_method() { twin::line("  child: get_start_method()=", mp::get_start_method()); }
CONCUR_REGISTER_TARGET(show_method);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  twin::line("get_all_start_methods: ", twin::list(mp::get_all_start_methods()));
  twin::line("get_start_method(allow_none=True): ", opt(mp::get_start_method(true)));
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    twin::line(method, ": get_start_method()=", ctx.get_start_method(),
               " same object twice: ", twin::py(&ctx == &mp::get_context(method)));
  }
  twin::line("get_context('thread'): ", twin::describe([] { (void)mp::get_context("thread"); }));
  twin::line("get_context(''): ", twin::describe([] { (void)mp::get_context(""); }));
  twin::line("set_start_method('thread'): ", twin::describe([] { mp::set_start_method("thread"); }));
  twin::line("still unset: ", opt(mp::get_start_method(true)));
  mp::set_start_method("spawn");
  twin::line("after set spawn: ", mp::get_start_method(), " default context: ", mp::get_context().get_start_method());
  twin::line("set again: ", twin::describe([] { mp::set_start_method("fork"); }));
  twin::line("set same again: ", twin::describe([] { mp::set_start_method("spawn"); }));
  auto run = [](mp::Process p) {
    p.start();
    p.join();
  };
  run(mp::Process(show_method));
  mp::set_start_method("forkserver", true);
  twin::line("after force forkserver: ", mp::get_start_method());
  run(mp::Process(show_method));
  mp::set_start_method(std::nullopt, true);
  twin::line("after force None: ", opt(mp::get_start_method(true)));
  twin::line("get_start_method() fixes the default: ", mp::get_start_method());
  twin::line("then set: ", twin::describe([] { mp::set_start_method("spawn"); }));
  run(mp::Process(show_method));
  for (const std::string method : {"fork", "spawn", "forkserver"}) run(mp::get_context(method).Process(show_method));
}
