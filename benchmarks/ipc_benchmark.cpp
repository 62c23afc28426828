// ipc_benchmark — how fast bytes move between two processes.
//
// A producer child (started with the fork method; start cost is measured by
// start_cost_benchmark) sends messages of one size as fast as it can; the
// parent receives them inside the timed loop. Each iteration is one message:
// items_per_second is messages per second, bytes_per_second the payload rate.
// When the loop ends the parent closes its end, the producer's next send
// fails and it exits.
//
//   BM_Floor_RawPipe/<size>   raw write(2)/read(2) of whole messages on a pipe
//                             enlarged to 1 MiB: the floor of any pipe channel.
//   BM_Floor_Memcpy/<size>    one memcpy of the message on one core: the floor
//                             of any shared-memory channel (which copies in and
//                             out, on two cores).
//   BM_Pipe/<size>            Connection send_bytes/recv_bytes over
//                             Pipe(duplex=false) (CPython's Pipe peer: same name).
//   BM_SharedRing/<size>      SharedRing send_bytes/recv_bytes_into a reused
//                             buffer (4 MiB ring).
//   BM_Queue/<size>           Queue<std::string> put/get (unbounded, default
//                             1 MiB ring; CPython's Queue peer: same name).
//
// Sizes: 64 B, 4 KiB, 64 KiB, 1 MiB.
// Goals (measured and reported, never asserted):
//   Pipe at 64 KiB >= 0.8x RawPipe; Pipe at 64 B >= 1 M msg/s (CPython ~256 k);
//   SharedRing at 64 KiB >= 0.6x Memcpy; SharedRing at 64 B >= 20 M msg/s.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "concur/detail/fd.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/connection.hpp"
#include "concur/multiprocessing/queues.hpp"
#include "concur/multiprocessing/shared_ring.hpp"
#include "harness.hpp"

namespace mp = concur::multiprocessing;

namespace {

constexpr std::int64_t kSizes[] = {64, 4096, 65536, 1 << 20};

void report(benchmark::State& state, std::int64_t size) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * size);
}

// ---- floors -------------------------------------------------------------

void BM_Floor_RawPipe(benchmark::State& state, std::int64_t message_size) {
  const auto size = static_cast<std::size_t>(message_size);
  auto [r, w] = concur::detail::make_pipe();
  ::fcntl(w.get(), F_SETPIPE_SZ, 1 << 20);
  pid_t pid = ::fork();
  if (pid == 0) {
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

void pipe_producer(mp::Connection r, mp::Connection w, std::int64_t size) {
  r.close();  // a forked child inherits the read end: without this, EPIPE never comes
  std::string msg(static_cast<std::size_t>(size), 'x');
  try {
    for (;;) w.send_bytes(msg);
  } catch (const std::exception&) {  // the consumer closed its end (EPIPE)
  }
}
CONCUR_REGISTER_TARGET(pipe_producer);

void BM_Pipe(benchmark::State& state, std::int64_t size) {
  auto [r, w] = mp::Pipe(false);
  auto p = mp::get_context("fork").Process(pipe_producer, r, w, size);
  p.start();
  w.close();
  for (auto _ : state) benchmark::DoNotOptimize(r.recv_bytes());
  r.close();
  p.join();
  report(state, size);
}

// ---- SharedRing ------------------------------------------------------------

void ring_producer(mp::SharedRing ring, std::int64_t size) {
  std::string msg(static_cast<std::size_t>(size), 'x');
  try {
    for (;;) ring.send_bytes(msg);
  } catch (const concur::OSError&) {  // the consumer closed the ring
  }
}
CONCUR_REGISTER_TARGET(ring_producer);

void BM_SharedRing(benchmark::State& state, std::int64_t size) {
  mp::SharedRing ring(std::size_t{4} << 20);
  auto p = mp::get_context("fork").Process(ring_producer, ring, size);
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
void queue_producer(mp::Queue<std::string> q, mp::Event stop, std::int64_t size) {
  std::string msg(static_cast<std::size_t>(size), 'x');
  while (!stop.is_set()) {
    try {
      q.put(msg, true, std::chrono::milliseconds(50));
    } catch (const concur::queue::Full&) {
    }
  }
}
CONCUR_REGISTER_TARGET(queue_producer);

void BM_Queue(benchmark::State& state, std::int64_t size) {
  mp::Queue<std::string> q(0);
  mp::Event stop;
  auto p = mp::get_context("fork").Process(queue_producer, q, stop, size);
  p.start();
  for (auto _ : state) benchmark::DoNotOptimize(q.get());
  stop.set();
  p.join();
  report(state, size);
}

void register_benchmarks() {
  for (auto size : kSizes) {
    const std::string arg = "/" + std::to_string(size);
    concur_bench::add("BM_Floor_RawPipe" + arg, BM_Floor_RawPipe, size);
    concur_bench::add("BM_Floor_Memcpy" + arg, BM_Floor_Memcpy, size);
    concur_bench::add("BM_Pipe" + arg, BM_Pipe, size);
    concur_bench::add("BM_SharedRing" + arg, BM_SharedRing, size);
    concur_bench::add("BM_Queue" + arg, BM_Queue, size);
  }
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  return concur_bench::run(argc, argv, register_benchmarks);
}
