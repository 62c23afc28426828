// Twin of sharedctypes_array.py: multiprocessing.Array — len, indexing with
// negative indices, IndexError("invalid index"), clamped slices, slice
// assignment and its ValueError, zero initialisation by size, lock=false
// without get_lock, repr, and a child changing the array under each start
// method (seed 004 §1.6; CPython sharedctypes.py Array, SynchronizedArray).
#include <mutex>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void double_all(mp::Array<int> a) {
  std::lock_guard g(a.get_lock());
  for (std::size_t i = 0; i < a.len(); ++i) a[static_cast<std::ptrdiff_t>(i)] = a.get(static_cast<std::ptrdiff_t>(i)) * 2;
}
CONCUR_REGISTER_TARGET(double_all);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Array<int> a("i", {1, 2, 3, 4, 5});
  twin::line("len=", a.len(), " a[0]=", a.get(0), " a[-1]=", a.get(-1), " a[:]=", twin::list(a.to_vector()));
  twin::line("a[1:3]=", twin::list(a.slice(1, 3)), " a[-2:]=", twin::list(a.slice(-2, 5)),
             " a[1:100]=", twin::list(a.slice(1, 100)), " a[3:1]=", twin::list(a.slice(3, 1)),
             " a[-100:2]=", twin::list(a.slice(-100, 2)));
  twin::line("a[5]: ", twin::describe([&] { (void)a.get(5); }));
  twin::line("a[-6]: ", twin::describe([&] { (void)a.get(-6); }));
  twin::line("a[5] = 1: ", twin::describe([&] { a.set(5, 1); }));
  a.set_slice(1, 3, {9, 8});
  a[-1] = 50;
  twin::line("after a[1:3] = [9, 8]; a[-1] = 50: ", twin::list(a.to_vector()));
  twin::line("a[0:2] = [1]: ", twin::describe([&] { a.set_slice(0, 2, {1}); }));
  twin::line("repr: ", a.repr());
  mp::Array<double> z("d", 3);
  twin::line("Array('d', 3)=", twin::list(z.to_vector()), " len=", z.len());
  mp::Array<int> e("i", 0);
  twin::line("Array('i', 0)=", twin::list(e.to_vector()), " len=", e.len(),
             " e[0]: ", twin::describe([&] { (void)e.get(0); }));
  mp::Array<short> r("h", {1, 2, 3}, false);
  twin::line("lock=False: ", twin::list(r.to_vector()), " get_lock: ", twin::describe([&] { (void)r.get_lock(); }));
  twin::line("lock=False repr: ", r.repr());
  mp::Array<long long> q("q", 3);
  twin::line("Array('q', 3) get_lock: ", q.get_lock().repr());

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto arr = ctx.Array<int>("i", std::vector<int>{0, 1, 2, 3, 4, 5});
    auto p = ctx.Process(double_all, arr);
    p.start();
    p.join();
    twin::line(method, ": after the child doubled: ", twin::list(arr.to_vector()), " exitcode=", twin::py(p.exitcode()));
  }
}
