// ipc_benchmark — how fast bytes move between two processes, and how long a
// message takes to go there and back.
//
// Every benchmark runs a child process (forked; start cost is measured by
// start_cost_benchmark) against the parent, which runs the timed loop.
//
// Throughput: the child sends messages of one size as fast as it can; the
// parent receives them. Each iteration is one message: items_per_second is
// messages per second, bytes_per_second the payload rate. When the loop ends
// the parent closes its end, the producer's next send fails and it exits.
//
//   BM_Floor_RawPipe/<size>   raw write(2)/read(2) of whole messages on a pipe
//                             enlarged to 1 MiB: the floor of any pipe channel.
//   BM_Floor_Memcpy/<size>    one memcpy of the message on one core: the floor
//                             of any shared-memory channel (which copies in and
//                             out, on two cores).
//   BM_Pipe/<size>            Connection send_bytes/recv_bytes over
//                             Pipe(duplex=false).
//   BM_SharedRing/<size>      SharedRing send_bytes/recv_bytes_into a reused
//                             buffer (4 MiB ring).
//   BM_Queue/<size>           Queue<std::string> put/get (unbounded, default
//                             1 MiB ring).
//   Sizes: 64 B, 4 KiB, 64 KiB, 1 MiB.
//
// Latency: one iteration is one round trip of a 64-byte message, parent ->
// child -> parent (the child echoes it); real_time is the time per round
// trip, items_per_second round trips per second. One channel per direction.
//
//   BM_Floor_PipePingPong     1 byte over two raw pipes, write(2)/read(2):
//                             the floor of any channel that sleeps in the
//                             kernel.
//   BM_Floor_ShmSpinPingPong  two processes spinning on one shared-memory
//                             word (a sequence number), never sleeping: the
//                             physical limit, one cache-line transfer each
//                             way. (After 256 pauses without news a side
//                             yields the CPU, so a descheduled peer can run.)
//   BM_PingPong/pipe          Connection send_bytes/recv_bytes, two
//                             Pipe(duplex=false); floor PipePingPong.
//   BM_PingPong/queue         Queue<std::string> put/get, two queues; floor
//                             ShmSpinPingPong (its transport is a SharedRing).
//   BM_PingPong/shared_ring   SharedRing send_bytes/recv_bytes_into, two
//                             rings; floor ShmSpinPingPong.
//
// Pinning (harness.hpp, PinnedTo): the rows whose two sides wait by spinning
// on shared memory (SharedRing, Queue, ShmSpinPingPong) run the parent on the
// first allowed CPU and the child on the second; the rows that sleep in the
// kernel (pipes) let the scheduler place both. Measured on the shared 2-core
// VM under load, each choice was the steadier one (results/README.md). Every
// such row has a control row in the other mode, named with the suffix
// "/unpinned" or "/pinned", for the round trips and at 64 B and 64 KiB, so
// that every run shows whether the choice still holds.
//
// The CPython peer (benchmarks/peers/ipc.py) names its rows CPython_<name
// without "BM_">; its shared-memory row is CPython_SharedMemory/<size>.
//
// Goals (measured and reported, never asserted):
//   Pipe at 64 KiB >= 0.8x RawPipe; Pipe at 64 B >= 1 M msg/s (CPython ~256 k);
//   SharedRing at 64 KiB >= 0.6x Memcpy; SharedRing at 64 B >= 20 M msg/s.
//   The round trips have no goal: scripts/ratios.py prints their ratios.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "concur/detail/fd.hpp"
#include "concur/detail/futex.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/connection.hpp"
#include "concur/multiprocessing/queues.hpp"
#include "concur/multiprocessing/shared_ring.hpp"
#include "harness.hpp"

namespace mp = concur::multiprocessing;

namespace {

constexpr std::int64_t kSizes[] = {64, 4096, 65536, 1 << 20};
constexpr std::size_t kPingPongBytes = 64;

// The CPUs the harness may use, read once before anything is pinned (a child
// forked by a pinned parent inherits a one-CPU mask).
const std::vector<int>& harness_cpus() {
  static const std::vector<int> cpus = concur_bench::allowed_cpus();
  return cpus;
}

// With `pinned`, the parent runs on the first allowed CPU for the scope of
// this object, and the child it forks meanwhile calls pin_child(). With
// fewer than two CPUs allowed nothing is pinned: two processes pinned to one
// CPU would only take turns.
bool can_pin() { return harness_cpus().size() >= 2; }
struct ParentPin {
  explicit ParentPin(bool pinned) {
    if (pinned && can_pin()) pin.emplace(harness_cpus(), 0);
  }
  std::optional<concur_bench::PinnedTo> pin;
};
void pin_child(bool pinned) {
  if (pinned && can_pin()) concur_bench::pin_self(harness_cpus(), 1);
}

void report(benchmark::State& state, std::int64_t size) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * size);
}

// ---- throughput floors ------------------------------------------------------

void BM_Floor_RawPipe(benchmark::State& state, std::int64_t message_size, bool pinned) {
  const auto size = static_cast<std::size_t>(message_size);
  auto [r, w] = concur::detail::make_pipe();
  ::fcntl(w.get(), F_SETPIPE_SZ, 1 << 20);
  ParentPin pin(pinned);
  pid_t pid = ::fork();
  if (pid == 0) {
    pin_child(pinned);
    r.reset();
    ::signal(SIGPIPE, SIG_DFL);
    std::string msg(size, 'x');
    for (;;) {
      std::size_t off = 0;
      while (off < size) {
        ssize_t n = ::write(w.get(), msg.data() + off, size - off);
        if (n <= 0) ::_exit(0);  // reader gone
        off += static_cast<std::size_t>(n);
      }
    }
  }
  w.reset();
  std::vector<char> buf(size);
  for (auto _ : state) {
    std::size_t off = 0;
    while (off < size) {
      ssize_t n = ::read(r.get(), buf.data() + off, size - off);
      if (n <= 0) {
        state.SkipWithError("pipe producer died");
        break;
      }
      off += static_cast<std::size_t>(n);
    }
  }
  r.reset();
  ::waitpid(pid, nullptr, 0);
  report(state, message_size);
}

void BM_Floor_Memcpy(benchmark::State& state, std::int64_t message_size) {
  const auto size = static_cast<std::size_t>(message_size);
  std::vector<char> src(size, 'x'), dst(size);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), size);
    benchmark::ClobberMemory();
  }
  report(state, message_size);
}

// ---- Pipe / Connection ---------------------------------------------------

void pipe_producer(mp::Connection r, mp::Connection w, std::int64_t size, bool pinned) {
  pin_child(pinned);
  r.close();  // a forked child inherits the read end: without this, EPIPE never comes
  std::string msg(static_cast<std::size_t>(size), 'x');
  try {
    for (;;) w.send_bytes(msg);
  } catch (const std::exception&) {  // the consumer closed its end (EPIPE)
  }
}
CONCUR_REGISTER_TARGET(pipe_producer);

void BM_Pipe(benchmark::State& state, std::int64_t size, bool pinned) {
  auto [r, w] = mp::Pipe(false);
  ParentPin pin(pinned);
  auto p = mp::get_context("fork").Process(pipe_producer, r, w, size, pinned);
  p.start();
  w.close();
  for (auto _ : state) benchmark::DoNotOptimize(r.recv_bytes());
  r.close();
  p.join();
  report(state, size);
}

// ---- SharedRing ------------------------------------------------------------

void ring_producer(mp::SharedRing ring, std::int64_t size, bool pinned) {
  pin_child(pinned);
  std::string msg(static_cast<std::size_t>(size), 'x');
  try {
    for (;;) ring.send_bytes(msg);
  } catch (const concur::OSError&) {  // the consumer closed the ring
  }
}
CONCUR_REGISTER_TARGET(ring_producer);

void BM_SharedRing(benchmark::State& state, std::int64_t size, bool pinned) {
  mp::SharedRing ring(std::size_t{4} << 20);
  ParentPin pin(pinned);
  auto p = mp::get_context("fork").Process(ring_producer, ring, size, pinned);
  p.start();
  std::string buf;  // recv_bytes_into reuses it: no allocation per message
  for (auto _ : state) benchmark::DoNotOptimize(ring.recv_bytes_into(buf));
  ring.close();
  p.join();
  report(state, size);
}

// ---- Queue -----------------------------------------------------------------

// Puts until `stop` is set; a put that finds no room gives up after 50 ms so
// the flag is seen even when the parent stopped reading.
void queue_producer(mp::Queue<std::string> q, mp::Event stop, std::int64_t size, bool pinned) {
  pin_child(pinned);
  std::string msg(static_cast<std::size_t>(size), 'x');
  while (!stop.is_set()) {
    try {
      q.put(msg, true, std::chrono::milliseconds(50));
    } catch (const concur::queue::Full&) {
    }
  }
}
CONCUR_REGISTER_TARGET(queue_producer);

void BM_Queue(benchmark::State& state, std::int64_t size, bool pinned) {
  mp::Queue<std::string> q(0);
  mp::Event stop;
  ParentPin pin(pinned);
  auto p = mp::get_context("fork").Process(queue_producer, q, stop, size, pinned);
  p.start();
  for (auto _ : state) benchmark::DoNotOptimize(q.get());
  stop.set();
  p.join();
  report(state, size);
}

// ---- latency floors -------------------------------------------------------

void BM_Floor_PipePingPong(benchmark::State& state, bool pinned) {
  auto [there_r, there_w] = concur::detail::make_pipe();
  auto [back_r, back_w] = concur::detail::make_pipe();
  ParentPin pin(pinned);
  pid_t pid = ::fork();
  if (pid == 0) {
    pin_child(pinned);
    there_w.reset();
    back_r.reset();
    char c;
    while (::read(there_r.get(), &c, 1) == 1) {
      if (::write(back_w.get(), &c, 1) != 1) break;
    }
    ::_exit(0);  // EOF: the parent closed its end
  }
  there_r.reset();
  back_w.reset();
  char c = 'x';
  auto round_trip = [&] {
    return ::write(there_w.get(), &c, 1) == 1 && ::read(back_r.get(), &c, 1) == 1;
  };
  if (!round_trip()) state.SkipWithError("echo child died");  // warm-up: the child runs
  for (auto _ : state) {
    if (!round_trip()) {
      state.SkipWithError("echo child died");
      break;
    }
  }
  there_w.reset();
  ::waitpid(pid, nullptr, 0);
  state.SetItemsProcessed(state.iterations());
}

// Spins until `word` holds `want` or `stop`, yielding the CPU every 256
// pauses (the peer may be descheduled). Returns the value seen.
std::uint64_t spin_until(const std::atomic<std::uint64_t>& word, std::uint64_t want, std::uint64_t stop) {
  for (unsigned n = 1;; ++n) {
    std::uint64_t v = word.load(std::memory_order_acquire);
    if (v == want || v == stop) return v;
    concur::detail::cpu_relax();
    if (n % 256 == 0) ::sched_yield();
  }
}

void BM_Floor_ShmSpinPingPong(benchmark::State& state, bool pinned) {
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
  constexpr std::uint64_t kStop = ~std::uint64_t{0};
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  // The parent stores odd sequence numbers, the child answers with the next even one.
  auto* word = new (page) std::atomic<std::uint64_t>(0);
  ParentPin pin(pinned);
  pid_t pid = ::fork();
  if (pid == 0) {
    pin_child(pinned);
    for (std::uint64_t seq = 1; spin_until(*word, seq, kStop) != kStop; seq += 2) {
      word->store(seq + 1, std::memory_order_release);
    }
    ::_exit(0);
  }
  std::uint64_t seq = 1;
  auto round_trip = [&] {
    word->store(seq, std::memory_order_release);
    spin_until(*word, seq + 1, kStop);
    seq += 2;
  };
  round_trip();  // warm-up: the child runs
  for (auto _ : state) round_trip();
  word->store(kStop, std::memory_order_release);
  ::waitpid(pid, nullptr, 0);
  ::munmap(page, 4096);
  state.SetItemsProcessed(state.iterations());
}

// ---- round trips through concur's channels -----------------------------------

// Echoes messages from `there` to `back` until `there` reaches EOF.
void pipe_echo(mp::Connection there_r, mp::Connection there_w, mp::Connection back_r, mp::Connection back_w,
               bool pinned) {
  pin_child(pinned);
  there_w.close();  // the forked copies of the parent's ends: else no EOF
  back_r.close();
  try {
    for (;;) back_w.send_bytes(there_r.recv_bytes());
  } catch (const concur::EOFError&) {
  }
}
CONCUR_REGISTER_TARGET(pipe_echo);

void BM_PingPong_Pipe(benchmark::State& state, bool pinned) {
  auto [there_r, there_w] = mp::Pipe(false);
  auto [back_r, back_w] = mp::Pipe(false);
  ParentPin pin(pinned);
  auto p = mp::get_context("fork").Process(pipe_echo, there_r, there_w, back_r, back_w, pinned);
  p.start();
  there_r.close();
  back_w.close();
  const std::string msg(kPingPongBytes, 'x');
  there_w.send_bytes(msg);  // warm-up: the child runs
  back_r.recv_bytes();
  for (auto _ : state) {
    there_w.send_bytes(msg);
    benchmark::DoNotOptimize(back_r.recv_bytes());
  }
  there_w.close();
  p.join();
  state.SetItemsProcessed(state.iterations());
}

// Echoes items from `there` to `back` until it gets an empty string.
void queue_echo(mp::Queue<std::string> there, mp::Queue<std::string> back, bool pinned) {
  pin_child(pinned);
  for (std::string item = there.get(); !item.empty(); item = there.get()) back.put(item);
}
CONCUR_REGISTER_TARGET(queue_echo);

void BM_PingPong_Queue(benchmark::State& state, bool pinned) {
  mp::Queue<std::string> there(0), back(0);
  ParentPin pin(pinned);
  auto p = mp::get_context("fork").Process(queue_echo, there, back, pinned);
  p.start();
  const std::string msg(kPingPongBytes, 'x');
  there.put(msg);  // warm-up: the child runs
  back.get();
  for (auto _ : state) {
    there.put(msg);
    benchmark::DoNotOptimize(back.get());
  }
  there.put(std::string());
  p.join();
  state.SetItemsProcessed(state.iterations());
}

// Echoes messages from `there` to `back` until `there` is closed.
void ring_echo(mp::SharedRing there, mp::SharedRing back, bool pinned) {
  pin_child(pinned);
  std::string buf;
  try {
    for (;;) {
      there.recv_bytes_into(buf);
      back.send_bytes(buf);
    }
  } catch (const concur::EOFError&) {
  }
}
CONCUR_REGISTER_TARGET(ring_echo);

void BM_PingPong_SharedRing(benchmark::State& state, bool pinned) {
  mp::SharedRing there(std::size_t{64} << 10), back(std::size_t{64} << 10);
  ParentPin pin(pinned);
  auto p = mp::get_context("fork").Process(ring_echo, there, back, pinned);
  p.start();
  const std::string msg(kPingPongBytes, 'x');
  std::string buf;
  there.send_bytes(msg);  // warm-up: the child runs
  back.recv_bytes_into(buf);
  for (auto _ : state) {
    there.send_bytes(msg);
    benchmark::DoNotOptimize(back.recv_bytes_into(buf));
  }
  there.close();
  p.join();
  back.close();
  state.SetItemsProcessed(state.iterations());
}

// Registers `name` in its pinning mode and, with `control`, the same
// benchmark in the other mode under name + "/unpinned" or "/pinned".
template <class F, class... A>
void add_pinnable(const std::string& name, bool pinned, bool control, F fn, A... args) {
  concur_bench::add(name, fn, args..., pinned);
  if (control) concur_bench::add(name + (pinned ? "/unpinned" : "/pinned"), fn, args..., !pinned);
}

void register_benchmarks() {
  harness_cpus();
  constexpr bool kPinned = true, kUnpinned = false;
  for (auto size : kSizes) {
    const std::string arg = "/" + std::to_string(size);
    const bool control = size == 64 || size == 65536;
    add_pinnable("BM_Floor_RawPipe" + arg, kUnpinned, control, BM_Floor_RawPipe, size);
    concur_bench::add("BM_Floor_Memcpy" + arg, BM_Floor_Memcpy, size);
    add_pinnable("BM_Pipe" + arg, kUnpinned, control, BM_Pipe, size);
    add_pinnable("BM_SharedRing" + arg, kPinned, control, BM_SharedRing, size);
    add_pinnable("BM_Queue" + arg, kPinned, control, BM_Queue, size);
  }
  add_pinnable("BM_Floor_PipePingPong", kUnpinned, true, BM_Floor_PipePingPong);
  add_pinnable("BM_Floor_ShmSpinPingPong", kPinned, true, BM_Floor_ShmSpinPingPong);
  add_pinnable("BM_PingPong/pipe", kUnpinned, true, BM_PingPong_Pipe);
  add_pinnable("BM_PingPong/queue", kPinned, true, BM_PingPong_Queue);
  add_pinnable("BM_PingPong/shared_ring", kPinned, true, BM_PingPong_SharedRing);
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  return concur_bench::run(argc, argv, register_benchmarks);
}
