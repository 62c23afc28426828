// Conformance tests of concur::threading::local (concur/threading/local.hpp;
// seed 001 "thread local"; CPython Lib/_threading_local.py).
#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "concur/threading.hpp"

namespace th = concur::threading;

namespace {

// Seed 001:
//   local_school = threading.local()
//   def process_student():
//       std = local_school.student
//       print('Hello, %s (in %s)' % (std, threading.current_thread().name))
//   def process_thread(name):
//       local_school.student = name
//       process_student()
struct School {
  std::string student;
};
th::local<School> local_school;
std::mutex g_out_mu;
std::vector<std::string> g_out;

void process_student() {
  std::string std_ = local_school->student;
  std::lock_guard lock(g_out_mu);
  g_out.push_back("Hello, " + std_ + " (in " + th::current_thread().name() + ")");
}

void process_thread(std::string name) {
  local_school->student = name;
  process_student();
}

struct Counted {
  static inline std::atomic<int> alive{0};
  int value = 0;
  Counted() { ++alive; }
  ~Counted() { --alive; }
};

}  // namespace

// Seed 001's thread-local example: each thread sees its own student.
TEST(LocalConformance, SeedExampleEachThreadSeesItsOwnStudent) {
  g_out.clear();
  local_school->student = "main";
  th::Thread t1({.name = "Thread-A"}, process_thread, "Alice");
  th::Thread t2({.name = "Thread-B"}, process_thread, "Bob");
  t1.start();
  t2.start();
  t1.join();
  t2.join();
  std::multiset<std::string> lines(g_out.begin(), g_out.end());
  EXPECT_EQ(lines, (std::multiset<std::string>{"Hello, Alice (in Thread-A)", "Hello, Bob (in Thread-B)"}));
  EXPECT_EQ(local_school->student, "main");  // the main thread's own value is untouched
}

// _threading_local: a thread's first access sees a fresh object, whatever
// other threads stored.
TEST(LocalConformance, EachThreadsValueIsDefaultConstructedOnItsFirstAccess) {
  th::local<int> x;
  EXPECT_EQ(*x, 0);
  *x = 5;
  int seen = -1;
  th::Thread t([&] {
    seen = *x;
    *x = 9;
  });
  t.start();
  t.join();
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(*x, 5);
}

// _threading_local: a local subclass's __init__ runs again, with the same
// arguments, in every thread.
TEST(LocalConformance, InPlaceArgumentsConstructEveryThreadsValueFromCopies) {
  th::local<std::string> s(std::in_place, 3, 'z');
  s.get() += "!";
  std::string seen;
  th::Thread t([&] { seen = s.get(); });
  t.start();
  t.join();
  EXPECT_EQ(seen, "zzz");
  EXPECT_EQ(s.get(), "zzz!");
}

// _threading_local: a thread's dict goes away when the thread ends.
TEST(LocalConformance, AThreadsValueIsDestroyedWhenTheThreadEnds) {
  th::local<Counted> c;
  int before = Counted::alive;
  th::Thread t([&] { c->value = 1; });
  t.start();
  t.join();  // join waits for the OS thread, so its thread_locals are gone
  EXPECT_EQ(Counted::alive.load(), before);
}

// _threading_local: and when the local itself goes away.
TEST(LocalConformance, ValuesAreDestroyedWithTheLocal) {
  int before = Counted::alive;
  {
    th::local<Counted> c;
    c->value = 2;
    EXPECT_EQ(Counted::alive.load(), before + 1);
  }
  EXPECT_EQ(Counted::alive.load(), before);
}

// local.hpp: works in threads concur did not start.
TEST(LocalConformance, WorksInAStdThreadToo) {
  th::local<int> x;
  *x = 1;
  int seen = -1;
  std::thread t([&] {
    seen = *x;
    *x = 2;
  });
  t.join();
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(*x, 1);
}
