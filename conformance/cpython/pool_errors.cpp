// Twin of pool_errors.py: multiprocessing.Pool errors under each start
// method — argument errors, "Pool not running" after close/terminate, "Pool
// is still running" on join before close, exceptions from workers with their
// type and message (get, map, imap at its position, error_callback),
// AsyncResult.get timeout (multiprocessing.TimeoutError), ready()/
// successful() and "... not ready" (seeds 000/004 §1.3 "源码拓展"; CPython
// Lib/multiprocessing/pool.py Pool._check_running, join,
// ApplyResult.successful, MapResult).
#include <chrono>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "concur/detail/type_name.hpp"
#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::py;

int check_positive(int x) {
  if (x < 0) throw concur::ValueError("negative: " + std::to_string(x));
  return x;
}

double slow(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return seconds;
}

int fail_runtime(std::string msg) { throw concur::RuntimeError(msg); }

CONCUR_REGISTER_TARGET(check_positive);
CONCUR_REGISTER_TARGET(slow);
CONCUR_REGISTER_TARGET(fail_runtime);

namespace {
std::string exc(const std::exception& e) { return concur::detail::class_name(typeid(e)) + ": " + e.what(); }
}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  auto& fork = mp::get_context("fork");
  line("Pool(0): ", describe([&] { fork.Pool(0); }));
  line("Pool(maxtasksperchild=0): ",
       describe([&] { fork.Pool(mp::PoolOptions{.processes = 1, .maxtasksperchild = 0}); }));
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    {
      auto pool = ctx.Pool(2);
      std::vector<std::vector<int>> got;
      const std::string r0 = describe([&] { got.push_back(pool.map(check_positive, std::vector<int>{1, 2}, 0)); });
      std::string shown = "[";
      for (std::size_t i = 0; i < got.size(); ++i) shown += (i ? ", " : "") + twin::list(got[i]);
      line(method, " map chunksize=0: ", r0, " returned ", shown, "]");
      line(method, " imap chunksize=0: ", describe([&] { pool.imap(check_positive, std::vector<int>{1}, 0); }));
      line(method, " join while running: ", describe([&] { pool.join(); }));

      auto r = pool.apply_async(check_positive, {-3});
      const std::string got_r = describe([&] { r.get(30s); });
      line(method, " apply_async get: ", got_r, " ready=", py(r.ready()), " successful=", py(r.successful()));
      line(method, " apply raises: ", describe([&] { pool.apply(fail_runtime, {"worker said no"}); }));
      // With several failures get() raises the first to *complete* (racy),
      // so one task fails here.
      line(method, " map raises the task's error: ",
           describe([&] { pool.map(check_positive, std::vector<int>{1, -2, 3}, 1); }));
      auto it = pool.imap(check_positive, std::vector<int>{5, -6, 7});
      std::vector<std::string> seen;
      for (int i = 0; i < 3; ++i) {
        const std::string d = describe([&] { seen.push_back(std::to_string(*it.next(30s))); });
        if (d != "no exception") seen.push_back(twin::repr(d));
      }
      std::string after;
      try {
        after = it.next(30s) ? "no exception" : "StopIteration: ";
      } catch (...) {
        after = twin::describe_current();
      }
      std::string seen_list = "[";
      for (std::size_t i = 0; i < seen.size(); ++i) seen_list += (i ? ", " : "") + seen[i];
      line(method, " imap continues after a failure: ", seen_list, "] then ", after);
      {
        std::vector<std::string> errors;
        auto e = pool.apply_async(
            check_positive, {-9}, [&](const int& v) { errors.push_back(std::to_string(v)); },
            [&](const std::exception& x) { errors.push_back(exc(x)); });
        e.wait(30s);
        line(method, " error_callback got: ", twin::list(errors));
      }
      {
        std::vector<std::string> errors;
        auto m = pool.map_async(check_positive, std::vector<int>{1, -1, -2}, 1, {},
                                [&](const std::exception& x) { errors.push_back(exc(x)); });
        m.wait(30s);
        const bool one_of_them =
            !errors.empty() && (errors[0] == "ValueError: negative: -1" || errors[0] == "ValueError: negative: -2");
        line(method, " map_async error_callback called once: ", errors.size(), " with one of them: ", py(one_of_them),
             " successful=", py(m.successful()));
      }
      auto s = pool.apply_async(slow, {1.0});
      line(method, " get(timeout=0.1): ", describe([&] { s.get(0.1s); }));
      line(method, " ready while running: ", py(s.ready()));
      line(method, " successful while running: ", describe([&] { s.successful(); }));
      auto m = pool.map_async(slow, std::vector<double>{1.0});
      line(method, " MapResult successful while running: ", describe([&] { m.successful(); }));
      s.wait(0.05s);
      line(method, " wait(0.05) returns quietly: ready=", py(s.ready()));
      line(method, " the slow task still finishes: ", py(s.get(30s)));

      pool.close();
      line(method, " apply_async after close: ", describe([&] { pool.apply_async(check_positive, {1}); }));
      line(method, " map after close: ", describe([&] { pool.map(check_positive, std::vector<int>{1}); }));
      line(method, " imap after close: ", describe([&] { pool.imap(check_positive, std::vector<int>{1}); }));
      pool.join();
      line(method, " join after close: done");
      line(method, " close twice: ", describe([&] { pool.close(); }));
      pool.terminate();
      line(method, " terminate after join: done");
    }
    auto pool = ctx.Pool(1);
    pool.terminate();
    line(method, " apply after terminate: ", describe([&] { pool.apply(check_positive, {1}); }));
    line(method, " join after terminate: ", describe([&] { pool.join(); }));
  }
}
