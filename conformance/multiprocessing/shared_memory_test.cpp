// Conformance tests of concur::multiprocessing::SharedMemory and the resource
// tracker (concur/multiprocessing/shared_memory.hpp, resource_tracker.hpp;
// CPython Lib/multiprocessing/shared_memory.py, resource_tracker.py and
// Lib/test/_test_multiprocessing.py _TestSharedMemory).
//
// Segment names made by these tests start with "concur_shmtest_<pid of the
// test process>_", so the fixture can prove after every test that none is
// left in /dev/shm, and the last suite proves that no segment of an ended test
// process survived it (the tracker's job when a test died).
//
// Tests that need a tracker of their own (to watch it clean up) run the
// creator in a process that has none: a scenario forked from a test process
// that has not created a segment yet, which is always true under ctest (one
// process per test). When the whole binary runs in one process they skip.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "concur/serialization.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
namespace rt = concur::multiprocessing::resource_tracker;
using concur::FileExistsError;
using concur::FileNotFoundError;
using concur::ValueError;
using mp::SharedMemory;
using namespace concur_test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTrackerMarker = "--concur-resource-tracker";
constexpr const char* kLeakWarning =
    "UserWarning: resource_tracker: There appear to be 1 leaked shared_memory objects to clean up at shutdown";

std::string test_prefix(pid_t pid = ::getpid()) { return "concur_shmtest_" + std::to_string(pid) + "_"; }

// A fresh segment name owned by this test process.
std::string unique_name() {
  static std::atomic<int> counter{0};
  return test_prefix() + std::to_string(counter.fetch_add(1));
}

std::string shm_path(const std::string& name) { return "/dev/shm/" + name; }

std::vector<std::string> dev_shm_entries(const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir("/dev/shm");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

std::vector<pid_t> trackers(pid_t parent = ::getpid()) { return children_with_cmdline(kTrackerMarker, parent); }

// The trackers of this process once the one it started has exec'd (until
// then /proc shows the parent's command line).
std::vector<pid_t> settled_trackers() {
  pid_t mine = concur::multiprocessing::resource_tracker::tracker_pid();
  if (mine > 0) {
    wait_until([&] { return contains(cmdline_of(mine), kTrackerMarker) || !pid_running(mine); }, 30s);
  }
  return trackers();
}

std::string text_of(const SharedMemory& shm, std::size_t n) {
  auto b = shm.buf();
  return std::string(reinterpret_cast<const char*>(b.data()), std::min(n, b.size()));
}

void put_text(const SharedMemory& shm, const std::string& text) {
  std::memcpy(shm.buf().data(), text.data(), text.size());
}

// The fds of this process open on /dev/shm/<name>.
std::vector<int> fds_on(const std::string& name) {
  std::vector<int> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char buf[512];
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0) continue;
    buf[n] = '\0';
    if (std::string(buf).rfind(shm_path(name), 0) == 0) out.push_back(std::atoi(e->d_name));
  }
  ::closedir(d);
  return out;
}

// SigIgn of /proc/<pid>/status contains `sig`.
bool ignores_signal(pid_t pid, int sig) {
  for (const auto& line : split_lines(read_text("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.rfind("SigIgn:", 0) == 0) {
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask >> (sig - 1)) & 1ULL;
    }
  }
  return false;
}

// ------------------------------------------------------------ child targets

void attach_and_write(std::string name, std::string text) {
  SharedMemory shm(name);
  put_text(shm, text);
  shm.close();
}
CONCUR_REGISTER_TARGET(attach_and_write);

void attach_and_report(std::string name, std::size_t n, std::string path) {
  SharedMemory shm(name);
  write_text(path, text_of(shm, n) + "|" + std::to_string(shm.size()));
}
CONCUR_REGISTER_TARGET(attach_and_report);

// CPython pickles a SharedMemory as (name, False, size): the child attaches.
void write_through_argument(SharedMemory shm, std::string text, std::string path) {
  put_text(shm, text);
  write_text(path, shm.name() + "|" + std::to_string(shm.size()));
}
CONCUR_REGISTER_TARGET(write_through_argument);

// Creates a segment, reports its name and its tracker's pid, then blocks
// until killed (bounded, so a broken test cannot leave it behind forever).
void create_and_block(std::string name, std::string report) {
  SharedMemory shm(name, true, 4096);
  put_text(shm, "alive");
  write_text(report, std::to_string(rt::tracker_pid()));
  std::this_thread::sleep_for(60s);
}
CONCUR_REGISTER_TARGET(create_and_block);

// Creates a segment and returns without unlinking it.
void create_and_leak(std::string name) {
  SharedMemory shm(name, true, 64);
  put_text(shm, "leaked");
}
CONCUR_REGISTER_TARGET(create_and_leak);

}  // namespace

// ============================================================ fixture

// After every test: no segment of this test process is left in /dev/shm, and
// no child of the test process is a zombie.
class SharedMemoryTest : public ::testing::Test {
 protected:
  void TearDown() override {
    auto left = dev_shm_entries(test_prefix());
    EXPECT_TRUE(left.empty()) << "segments left in /dev/shm: " << ::testing::PrintToString(left);
    for (const auto& n : left) ::shm_unlink(("/" + n).c_str());
    for (const auto& n : extra_names_)
      EXPECT_FALSE(path_exists(shm_path(n))) << "segment left in /dev/shm: " << n;
    EXPECT_TRUE(zombie_children().empty()) << "zombie children left";
  }
  // Names without the test prefix (random psm_ names) to check in TearDown.
  void expect_gone_at_teardown(const std::string& name) { extra_names_.push_back(name); }

  // The trackers tests need this process to have none yet (see the top).
  bool has_tracker() { return !trackers().empty(); }

 private:
  std::vector<std::string> extra_names_;
};

// ============================================================ creation and attach

// shared_memory.py _make_filename: '/psm_' + secrets.token_hex(4); `name`
// strips the leading '/'.
TEST_F(SharedMemoryTest, CreateWithoutNamePicksARandomPsmName) {
  SharedMemory shm(std::nullopt, true, 32);
  expect_gone_at_teardown(shm.name());
  EXPECT_TRUE(std::regex_match(shm.name(), std::regex("psm_[0-9a-f]{8}"))) << shm.name();
  EXPECT_EQ(shm.size(), 32u);
  EXPECT_TRUE(path_exists(shm_path(shm.name())));
  SharedMemory other(std::nullopt, true, 32);
  expect_gone_at_teardown(other.name());
  EXPECT_NE(shm.name(), other.name());
  shm.unlink();
  other.unlink();
}

TEST_F(SharedMemoryTest, CreateWithANameUsesThatName) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 100);
  EXPECT_EQ(shm.name(), name);
  EXPECT_EQ(shm.size(), 100u);
  EXPECT_TRUE(path_exists(shm_path(name)));
  struct stat st {};
  ASSERT_EQ(::stat(shm_path(name).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 100);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // SharedMemory._mode = 0o600
  shm.unlink();
}

TEST_F(SharedMemoryTest, BufIsTheWholeWritableMappingAndStartsZeroed) {
  SharedMemory shm(unique_name(), true, 4096 + 10);
  auto b = shm.buf();
  ASSERT_EQ(b.size(), 4096u + 10);
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; }));
  b[0] = std::byte{42};
  b[b.size() - 1] = std::byte{7};
  EXPECT_EQ(shm.buf()[0], std::byte{42});
  EXPECT_EQ(shm.buf()[4096 + 9], std::byte{7});
  shm.unlink();
}

// _posixshmem.shm_open(name, O_CREAT | O_EXCL | O_RDWR) raises
// FileExistsError(17, 'File exists', '/name').
TEST_F(SharedMemoryTest, CreatingAnExistingNameRaisesFileExistsError) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 16);
  try {
    SharedMemory again(name, true, 16);
    ADD_FAILURE() << "no exception";
  } catch (const FileExistsError& e) {
    EXPECT_STREQ(e.what(), ("[Errno 17] File exists: '/" + name + "'").c_str());
    EXPECT_EQ(e.code(), std::error_code(EEXIST, std::generic_category()));
  }
  // It is an OSError: catchable as std::system_error.
  EXPECT_THROW((void)SharedMemory(name, true, 16), std::system_error);
  shm.unlink();
}

TEST_F(SharedMemoryTest, AttachingToAMissingNameRaisesFileNotFoundError) {
  std::string name = unique_name();
  try {
    SharedMemory shm(name);
    ADD_FAILURE() << "no exception";
  } catch (const FileNotFoundError& e) {
    EXPECT_STREQ(e.what(), ("[Errno 2] No such file or directory: '/" + name + "'").c_str());
    EXPECT_EQ(e.code(), std::error_code(ENOENT, std::generic_category()));
  }
}

// SharedMemory.__init__: `if not size >= 0: raise ValueError("'size' must be
// a positive integer")`, checked before anything else.
TEST_F(SharedMemoryTest, NegativeSizeRaisesValueError) {
  EXPECT_TRUE(raises<ValueError>([] { (void)SharedMemory(unique_name(), true, -1); }, "'size' must be a positive integer"));
  EXPECT_TRUE(raises<ValueError>([] { (void)SharedMemory(unique_name(), false, -5); }, "'size' must be a positive integer"));
  EXPECT_TRUE(raises<ValueError>([] { (void)SharedMemory(std::nullopt, false, -1); }, "'size' must be a positive integer"));
}

TEST_F(SharedMemoryTest, CreateWithSizeZeroRaisesValueError) {
  std::string name = unique_name();
  EXPECT_TRUE(raises<ValueError>([&] { (void)SharedMemory(name, true, 0); },
                                 "'size' must be a positive number different from zero"));
  EXPECT_TRUE(raises<ValueError>([] { (void)SharedMemory(std::nullopt, true); },
                                 "'size' must be a positive number different from zero"));
  EXPECT_FALSE(path_exists(shm_path(name)));
}

TEST_F(SharedMemoryTest, NoNameWithoutCreateRaisesValueError) {
  EXPECT_TRUE(raises<ValueError>([] { (void)SharedMemory(std::nullopt); }, "'name' can only be None if create=True"));
}

// Attaching maps fstat(fd).st_size: the size argument is ignored.
TEST_F(SharedMemoryTest, AttachingWithoutSizeMapsTheWholeSegment) {
  std::string name = unique_name();
  SharedMemory creator(name, true, 10000);
  put_text(creator, "hello");
  SharedMemory attached(name);
  EXPECT_EQ(attached.size(), 10000u);
  EXPECT_EQ(attached.buf().size(), 10000u);
  EXPECT_EQ(text_of(attached, 5), "hello");
  SharedMemory with_size(name, false, 3);
  EXPECT_EQ(with_size.size(), 10000u);
  creator.unlink();
}

TEST_F(SharedMemoryTest, TwoHandlesOnOneSegmentSeeEachOthersWrites) {
  std::string name = unique_name();
  SharedMemory a(name, true, 64);
  SharedMemory b(name);
  put_text(a, "from a");
  EXPECT_EQ(text_of(b, 6), "from a");
  put_text(b, "from b");
  EXPECT_EQ(text_of(a, 6), "from b");
  a.unlink();
}

// Python's mmap.mmap(fd, 0) on an empty file: ValueError.
TEST_F(SharedMemoryTest, AttachingToAnEmptySegmentRaisesValueError) {
  std::string name = unique_name();
  int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_TRUE(raises<ValueError>([&] { (void)SharedMemory(name); }, "cannot mmap an empty file"));
  ::shm_unlink(("/" + name).c_str());
}

// `name` strips exactly the one '/' that __init__ prepends.
TEST_F(SharedMemoryTest, ANameWithALeadingSlashKeepsItInName) {
  std::string plain = unique_name();
  SharedMemory shm("/" + plain, true, 8);
  EXPECT_EQ(shm.name(), "/" + plain);
  EXPECT_TRUE(path_exists(shm_path(plain)));  // glibc drops the leading slashes
  shm.unlink();
  EXPECT_TRUE(raises<FileNotFoundError>([&] { shm.unlink(); },
                                        "[Errno 2] No such file or directory: '//" + plain + "'"));
}

TEST_F(SharedMemoryTest, ReprIsCPythons) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 16);
  EXPECT_EQ(shm.repr(), "SharedMemory('" + name + "', size=16)");
  shm.unlink();
}

// ============================================================ close and unlink

TEST_F(SharedMemoryTest, CloseUnmapsButKeepsNameSizeAndTheSegment) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 32);
  put_text(shm, "kept");
  ASSERT_EQ(fds_on(name).size(), 1u);
  shm.close();
  EXPECT_TRUE(shm.buf().empty());  // CPython: buf is None
  EXPECT_EQ(shm.name(), name);
  EXPECT_EQ(shm.size(), 32u);
  EXPECT_TRUE(fds_on(name).empty());
  EXPECT_TRUE(path_exists(shm_path(name)));
  shm.close();  // idempotent
  SharedMemory again(name);
  EXPECT_EQ(text_of(again, 4), "kept");
  shm.unlink();  // unlink after close still works
  EXPECT_FALSE(path_exists(shm_path(name)));
}

TEST_F(SharedMemoryTest, UnlinkRemovesTheNameButNotExistingMappings) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 32);
  SharedMemory other(name);
  shm.unlink();
  EXPECT_FALSE(path_exists(shm_path(name)));
  put_text(other, "still mapped");
  EXPECT_EQ(text_of(shm, 12), "still mapped");
  EXPECT_THROW((void)SharedMemory{name}, FileNotFoundError);
}

TEST_F(SharedMemoryTest, UnlinkingTwiceRaisesFileNotFoundError) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 32);
  shm.unlink();
  EXPECT_TRUE(raises<FileNotFoundError>([&] { shm.unlink(); },
                                        "[Errno 2] No such file or directory: '/" + name + "'"));
}

// __del__ calls close(), never unlink().
TEST_F(SharedMemoryTest, DestroyingTheLastHandleClosesButDoesNotUnlink) {
  std::string name = unique_name();
  { SharedMemory shm(name, true, 16); }
  EXPECT_TRUE(fds_on(name).empty());
  EXPECT_TRUE(path_exists(shm_path(name)));
  SharedMemory(name).unlink();
}

TEST_F(SharedMemoryTest, TheFdIsCloseOnExec) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 16);
  SharedMemory attached(name);
  auto fds = fds_on(name);
  ASSERT_EQ(fds.size(), 2u);
  for (int fd : fds) EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd;
  shm.unlink();
}

// ============================================================ handles

// A copy is another reference to the same object, as in Python.
TEST_F(SharedMemoryTest, CopiesShareOneMappingAndCloseTogether) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 16);
  SharedMemory copy = shm;
  EXPECT_EQ(copy.buf().data(), shm.buf().data());
  EXPECT_EQ(fds_on(name).size(), 1u);
  copy.close();
  EXPECT_TRUE(shm.buf().empty());
  EXPECT_TRUE(fds_on(name).empty());
  shm.unlink();
}

TEST_F(SharedMemoryTest, ADefaultConstructedHandleRefersToNoSegment) {
  SharedMemory none;
  EXPECT_EQ(none.name(), "");
  EXPECT_EQ(none.size(), 0u);
  EXPECT_TRUE(none.buf().empty());
  none.close();
  none.unlink();
  SharedMemory moved_to(unique_name(), true, 8);
  SharedMemory moved = std::move(moved_to);
  EXPECT_EQ(moved.size(), 8u);
  moved.unlink();
}

// SharedMemory.__reduce__: (cls, (name, False, size)) — loading attaches.
TEST_F(SharedMemoryTest, SerializingCarriesTheNameAndLoadingAttaches) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 128);
  put_text(shm, "pickled");
  auto bytes = concur::serialization::dumps(shm);
  SharedMemory loaded = concur::serialization::loads<SharedMemory>(bytes);
  EXPECT_EQ(loaded.name(), name);
  EXPECT_EQ(loaded.size(), 128u);
  EXPECT_NE(loaded.buf().data(), shm.buf().data());  // its own mapping
  EXPECT_EQ(text_of(loaded, 7), "pickled");
  shm.unlink();
  EXPECT_THROW((void)concur::serialization::loads<SharedMemory>(bytes), FileNotFoundError);
}

// ============================================================ across processes

class SharedMemoryAcrossProcesses : public SharedMemoryTest, public ::testing::WithParamInterface<std::string> {
 protected:
  TempDir tmp_;
};

TEST_P(SharedMemoryAcrossProcesses, AChildAttachesByNameAndWritesTheParentReads) {
  SharedMemory shm(std::nullopt, true, 64);
  expect_gone_at_teardown(shm.name());
  auto p = mp::get_context(GetParam()).Process(attach_and_write, shm.name(), std::string("written by child"));
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(text_of(shm, 16), "written by child");
  shm.unlink();
}

TEST_P(SharedMemoryAcrossProcesses, AChildReadsWhatTheParentWrote) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 5000);
  put_text(shm, "from parent");
  std::string out = tmp_.file("out");
  auto p = mp::get_context(GetParam()).Process(attach_and_report, name, std::size_t{11}, out);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "from parent|5000");
  shm.unlink();
}

// A SharedMemory Process argument: inherited under fork, re-attached by name
// under spawn and forkserver.
TEST_P(SharedMemoryAcrossProcesses, ASharedMemoryArgumentReachesTheChild) {
  std::string name = unique_name();
  SharedMemory shm(name, true, 256);
  std::string out = tmp_.file("out");
  auto p = mp::get_context(GetParam()).Process(write_through_argument, shm, std::string("via argument"), out);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(text_of(shm, 12), "via argument");
  EXPECT_EQ(read_text(out), name + "|256");
  shm.unlink();
}

// resource_tracker.py: "Every other process of the program has a copy of the
// writable end of the pipe, so we get EOF when all other processes have
// exited. Then the server process unlinks any remaining resource names."
// A creator that is SIGKILLed cannot unlink; its tracker does.
// Issue 3: "segments created by a program are unlinked when it exits, even
// when it is killed with SIGKILL". The program here is a forked copy of the
// test process (its own tracker) whose child creates the segment under the
// start method; both are SIGKILLed. Children of every start method share the
// program's tracker (CPython passes getfd() to spawn/forkserver children), so
// the tracker cleans up when the last process of the program is gone.
TEST_P(SharedMemoryAcrossProcesses, ASegmentOfASigkilledCreatorIsUnlinkedByTheTracker) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  std::string name = unique_name();
  std::string report = tmp_.file("tracker_pid");
  std::string child_report = tmp_.file("creator_pid");
  std::string tracker_report = tmp_.file("program_tracker_pid");
  const std::string method = GetParam();
  pid_t program = ::fork();
  ASSERT_GE(program, 0);
  if (program == 0) {
    rt::ensure_running();  // the program's tracker, shared by its children
    write_text(tracker_report, std::to_string(rt::tracker_pid()));
    auto p = mp::get_context(method).Process(create_and_block, name, report);
    p.start();
    write_text(child_report, std::to_string(*p.pid()));
    std::this_thread::sleep_for(60s);
    ::_exit(0);
  }
  ASSERT_TRUE(wait_for_path(report));  // the segment exists
  ASSERT_TRUE(wait_for_path(child_report));
  ASSERT_TRUE(path_exists(shm_path(name)));
  pid_t tracker = static_cast<pid_t>(std::stoi(read_text(tracker_report)));
  pid_t creator = static_cast<pid_t>(std::stoi(read_text(child_report)));
  ASSERT_GT(tracker, 0);
  ::kill(creator, SIGKILL);
  ::kill(program, SIGKILL);
  int status = 0;
  ::waitpid(program, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(wait_until([&] { return !path_exists(shm_path(name)); }, 30s)) << "segment survived its program";
  EXPECT_TRUE(wait_until([&] { return !pid_running(tracker); }, 30s)) << "tracker did not exit";
  EXPECT_TRUE(wait_until([&] { return !pid_running(creator); }, 30s));
}

// Under fork a child shares the tracker its parent already runs (CPython:
// the fd is inherited), so a segment the child created and left outlives the
// child and the parent may unlink it; no second tracker is started.
// (spawn and forkserver children share it too: resource_tracker.hpp.)
TEST_F(SharedMemoryTest, AForkedChildSharesItsParentsTracker) {
  SharedMemory mine(unique_name(), true, 16);
  ASSERT_EQ(settled_trackers().size(), 1u);
  std::string name = unique_name();
  auto p = mp::get_context("fork").Process(create_and_leak, name);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(path_exists(shm_path(name)));
  EXPECT_EQ(settled_trackers().size(), 1u);
  SharedMemory leaked(name);
  EXPECT_EQ(text_of(leaked, 6), "leaked");
  leaked.unlink();
  mine.unlink();
}

INSTANTIATE_TEST_SUITE_P(StartMethods, SharedMemoryAcrossProcesses, ::testing::Values("fork", "spawn", "forkserver"));

// ============================================================ the tracker

TEST_F(SharedMemoryTest, CreatingStartsOneTrackerProcessThatIgnoresSigintAndSigterm) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  SharedMemory a(unique_name(), true, 16);
  SharedMemory b(unique_name(), true, 16);
  auto t = settled_trackers();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(rt::tracker_pid(), t[0]);
  ASSERT_TRUE(wait_until([&] { return ignores_signal(t[0], SIGINT) && ignores_signal(t[0], SIGTERM); }, 30s));
  ::kill(t[0], SIGINT);
  ::kill(t[0], SIGTERM);
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(pid_running(t[0]));
  a.unlink();
  b.unlink();
}

TEST_F(SharedMemoryTest, AttachingDoesNotStartATracker) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  std::string name = unique_name();
  int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 64), 0);
  ::close(fd);
  SharedMemory attached(name);
  EXPECT_EQ(rt::tracker_pid(), -1);
  EXPECT_TRUE(trackers().empty());
  attached.unlink();  // unregistering without a tracker starts none
  EXPECT_EQ(rt::tracker_pid(), -1);
  EXPECT_TRUE(trackers().empty());
}

// resource_tracker.main: at EOF, warn "There appear to be %d leaked %s
// objects to clean up at shutdown" and unlink every name left.
TEST_F(SharedMemoryTest, ALeakedSegmentIsUnlinkedAtExitWithCPythonsWarning) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  TempDir tmp;
  std::string err = tmp.file("stderr");
  std::string leaked = unique_name();
  std::string unlinked = unique_name();
  auto r = run_subprocess(
      [&] {
        SharedMemory a(leaked, true, 64);
        SharedMemory b(unlinked, true, 64);
        b.unlink();
      },
      SubprocessOptions{}.capture_stderr(err));
  ASSERT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_TRUE(wait_until([&] { return !path_exists(shm_path(leaked)); }, 30s));
  EXPECT_TRUE(wait_until([&] { return contains(read_text(err), kLeakWarning); }, 30s)) << read_text(err);
  EXPECT_EQ(split_lines(read_text(err)).size(), 1u) << read_text(err);  // b was unregistered
}

// The tracker's per-name warning when a cleanup fails: "resource_tracker:
// %r: %s" with the OSError.
TEST_F(SharedMemoryTest, ARegisteredNameThatIsAlreadyGoneIsReportedAtShutdown) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  TempDir tmp;
  std::string err = tmp.file("stderr");
  std::string name = unique_name();
  auto r = run_subprocess(
      [&] {
        SharedMemory a(name, true, 64);
        ::shm_unlink(("/" + name).c_str());  // behind the tracker's back
      },
      SubprocessOptions{}.capture_stderr(err));
  ASSERT_TRUE(r.exited_ok()) << r.describe();
  std::string expected = "UserWarning: resource_tracker: '/" + name + "': [Errno 2] No such file or directory: '/" +
                         name + "'";
  EXPECT_TRUE(wait_until([&] { return contains(read_text(err), expected); }, 30s)) << read_text(err);
  EXPECT_TRUE(contains(read_text(err), kLeakWarning));
}

// ResourceTracker.ensure_running: a dead tracker is replaced with the warning
// "resource_tracker: process died unexpectedly, relaunching.  Some resources
// might leak."
TEST_F(SharedMemoryTest, ADeadTrackerIsRelaunchedWithAWarning) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  TempDir tmp;
  std::string err = tmp.file("stderr");
  std::string first = unique_name();
  std::string second = unique_name();
  auto r = run_subprocess(
      [&] {
        SharedMemory a(first, true, 64);
        pid_t old = rt::tracker_pid();
        ASSERT_GT(old, 0);
        ::kill(old, SIGKILL);
        ASSERT_TRUE(wait_until([&] { return !pid_running(old); }, 30s));
        SharedMemory b(second, true, 64);  // registering notices and relaunches
        EXPECT_NE(rt::tracker_pid(), old);
        EXPECT_GT(rt::tracker_pid(), 0);
        EXPECT_TRUE(zombie_children().empty()) << "the dead tracker was not reaped";
        a.unlink();  // the dead tracker cannot clean it up any more
      },
      SubprocessOptions{}.capture_stderr(err));
  ASSERT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_TRUE(contains(read_text(err),
                       "UserWarning: resource_tracker: process died unexpectedly, relaunching.  Some resources might "
                       "leak."))
      << read_text(err);
  EXPECT_TRUE(wait_until([&] { return !path_exists(shm_path(second)); }, 30s)) << "the new tracker did not clean up";
}

TEST_F(SharedMemoryTest, EnsureRunningStartsTheTrackerOnce) {
  if (has_tracker()) GTEST_SKIP() << "needs a test process without a tracker (ctest)";
  auto r = run_subprocess([] {
    rt::ensure_running();
    pid_t t = rt::tracker_pid();
    EXPECT_GT(t, 0);
    rt::ensure_running();
    EXPECT_EQ(rt::tracker_pid(), t);
    EXPECT_EQ(settled_trackers().size(), 1u);
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
}

// ResourceTracker._send: messages longer than 512 bytes could interleave in
// the pipe: ValueError('msg too long').
TEST_F(SharedMemoryTest, AMessageLongerThan512BytesRaisesValueError) {
  EXPECT_TRUE(raises<ValueError>([] { rt::register_resource("/" + std::string(600, 'x'), "shared_memory"); },
                                 "msg too long"));
}

// ============================================================ leftovers

// Runs last in declaration order: no test process that has ended left a
// segment behind (its tracker must have unlinked whatever it leaked).
TEST(SharedMemoryLeftovers, NoSegmentOfAnEndedTestProcessRemainsInDevShm) {
  auto stale = [] {
    std::vector<std::string> out;
    for (const auto& n : dev_shm_entries("concur_shmtest_")) {
      pid_t owner = static_cast<pid_t>(std::atoi(n.c_str() + std::strlen("concur_shmtest_")));
      if (owner != ::getpid() && !pid_running(owner)) out.push_back(n);
    }
    return out;
  };
  EXPECT_TRUE(wait_until([&] { return stale().empty(); }, 30s)) << ::testing::PrintToString(stale());
}
