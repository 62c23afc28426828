// Twin of sharedctypes_raw.py: RawValue and RawArray (no lock) — typecodes,
// values, zero initialisation, indexing and IndexError("invalid index"),
// slices and slice assignment, and a child writing them under each start
// method (seed 004 §1.6; CPython sharedctypes.py RawValue, RawArray).
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void writer(mp::RawValue<long> v, mp::RawArray<int> a) {
  v.set_value(-v.value());
  a.set_slice(0, 2, {a[1], a[0]});
  a[-1] = 99;
}
CONCUR_REGISTER_TARGET(writer);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::RawValue<int> v("i", 5);
  twin::line("RawValue('i', 5): ", v.repr(), " value=", v.value());
  v.set_value(7);
  twin::line("set 7: ", v.repr());
  twin::line("RawValue('d'): ", mp::RawValue<double>("d").repr());
  twin::line("RawValue('B', 255): ", mp::RawValue<unsigned char>("B", 255).repr());
  mp::RawArray<int> a("i", {1, 2, 3, 4});
  twin::line("RawArray('i', [1, 2, 3, 4]): len=", a.len(), " a[:]=", twin::list(a.to_vector()), " a[-1]=", a[-1]);
  const std::string e1 = twin::describe([&] { (void)a[4]; });
  twin::line("a[4]: ", e1, " a[-5]: ", twin::describe([&] { (void)a[-5]; }));
  a.set_slice(1, 3, {20, 30});
  twin::line("after a[1:3] = [20, 30]: ", twin::list(a.to_vector()), " a[2:]=", twin::list(a.slice(2, 4)));
  twin::line("a[1:3] = [1, 2, 3]: ", twin::describe([&] { a.set_slice(1, 3, {1, 2, 3}); }));
  mp::RawArray<short> z("h", 3);
  twin::line("RawArray('h', 3): ", twin::list(z.to_vector()));

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto rv = ctx.RawValue<long>("l", 12);
    auto ra = ctx.RawArray<int>("i", std::vector<int>{1, 2, 3});
    auto p = ctx.Process(writer, rv, ra);
    p.start();
    p.join();
    twin::line(method, ": after the child: value=", rv.value(), " array=", twin::list(ra.to_vector()),
               " exitcode=", twin::py(p.exitcode()));
  }
}
