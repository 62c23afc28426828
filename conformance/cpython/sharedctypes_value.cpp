// Twin of sharedctypes_value.py: multiprocessing.Value — every typecode with
// its value and repr, an unknown typecode, lock=true (an RLock, or a given
// Lock) and lock=false (no get_lock: AttributeError), and increments by
// children under each start method, locked and raw (seed 004 §1.6; CPython
// sharedctypes.py Value, Synchronized, typecode_to_type).
#include <mutex>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

template <class T>
std::string value_repr(T v) {
  if constexpr (std::is_same_v<T, char>)
    return twin::bytes_repr(std::string(1, v));
  else
    return twin::py(v);
}

template <class T>
void show(const char* tc, T init) {
  mp::Value<T> v(tc, init);
  twin::line(tc, ": value=", value_repr(v.value()), " repr=", v.repr());
  mp::Value<T> z(tc);
  twin::line(tc, ": default value=", value_repr(z.value()));
}

void add(mp::Value<int> v, int n) {
  for (int i = 0; i < n; ++i) {
    std::lock_guard g(v.get_lock());
    v.set_value(v.value() + 1);
  }
}
CONCUR_REGISTER_TARGET(add);

void set_raw(mp::Value<double> v, double x) { v.set_value(x); }
CONCUR_REGISTER_TARGET(set_raw);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  show<char>("c", 'x');
  show<signed char>("b", -5);
  show<unsigned char>("B", 250);
  show<short>("h", -300);
  show<unsigned short>("H", 65000);
  show<int>("i", -7);
  show<unsigned>("I", 7);
  show<long>("l", -8);
  show<unsigned long>("L", 8);
  show<long long>("q", -9);
  show<unsigned long long>("Q", 9);
  show<float>("f", 1.5f);
  show<double>("d", 2.25);
  twin::line("Value('z', 0): ", twin::describe([] { mp::Value<int> bad("z", 0); }));
  mp::Value<int> v("i", 5);
  twin::line("get_lock: ", v.get_lock().repr());
  const bool got = v.acquire();
  const std::string held = v.get_lock().repr();
  twin::line("acquire: ", twin::py(got), " then ", held, " release: ", twin::describe([&] { v.release(); }));
  mp::Lock lk;
  mp::Value<int> w("i", 1, lk);
  twin::line("lock=Lock(): get_lock is the lock: ", twin::py(w.get_lock().same_as(lk)), " ", w.get_lock().repr());
  mp::Value<int> r("i", 5, false);
  twin::line("lock=False: repr=", r.repr(), " value=", r.value());
  twin::line("lock=False get_lock: ", twin::describe([&] { (void)r.get_lock(); }));
  twin::line("lock=False acquire: ", twin::describe([&] { (void)r.acquire(); }));
  r.set_value(6);
  twin::line("lock=False set: ", r.value());

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto counter = ctx.Value<int>("i", 0);
    std::vector<mp::Process> ps;
    for (int i = 0; i < 2; ++i) ps.push_back(ctx.Process(add, counter, 200));
    for (auto& p : ps) p.start();
    add(counter, 200);
    for (auto& p : ps) p.join();
    twin::line(method, ": three adders of 200 under get_lock: ", counter.value());
    auto raw = ctx.Value<double>("d", 0.5, false);
    auto p = ctx.Process(set_raw, raw, 4.75);
    p.start();
    p.join();
    twin::line(method, ": raw double set by the child: ", twin::py(raw.value()));
  }
}
