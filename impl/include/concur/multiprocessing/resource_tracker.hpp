// concur/multiprocessing/resource_tracker.hpp — multiprocessing.resource_tracker
// (CPython Lib/multiprocessing/resource_tracker.py).
//
// The resource tracker unlinks named resources (shared-memory segments, and
// named semaphores) that a program created and did not unlink, even when the
// program was killed with SIGKILL.
//
// Guarantees
//  * The tracker is a separate process: a fresh image of this executable
//    started with the marker "--concur-resource-tracker" (bootstrap()
//    dispatches it, so the program must call bootstrap(argc, argv) first in
//    main, as for spawn). It is started on the first registration of a
//    process that has none (or by ensure_running()).
//  * It reads CPython's protocol from a pipe, one line per message:
//    "REGISTER:<name>:<rtype>\n", "UNREGISTER:<name>:<rtype>\n",
//    "PROBE:0:noop\n", rtype "shared_memory" or "semaphore". Each message is
//    one write() of at most 512 bytes (< PIPE_BUF), so messages of concurrent
//    writers never interleave; a longer one throws ValueError("msg too long").
//  * Every process holding the pipe's write end keeps the tracker alive. When
//    the last one exits, however it died, the tracker sees EOF, unlinks every
//    name still registered — printing on stderr, per resource type,
//    "UserWarning: resource_tracker: There appear to be N leaked
//    shared_memory objects to clean up at shutdown", and for a name that
//    cannot be unlinked "UserWarning: resource_tracker: '<name>': <error>"
//    (CPython 3.11's warnings) — and exits 0.
//  * The tracker ignores SIGINT and SIGTERM (a ^C or a "killall" of the
//    program does not stop the cleanup) and has stdin and stdout on
//    /dev/null. There is a window of a few milliseconds after its start,
//    before bootstrap() runs, in which those signals still kill it.
//  * A tracker that died (SIGKILL) is detected by the next registration
//    (EPIPE on the pipe, SIGPIPE suppressed): a new one is started with
//    CPython's warning "UserWarning: resource_tracker: process died
//    unexpectedly, relaunching.  Some resources might leak." and names
//    registered with the dead one are not cleaned up.
//
// Which processes share a tracker
//  * fork: a child inherits the write end and shares its parent's tracker if
//    the parent had started one before the fork (as in CPython). Otherwise
//    the child starts its own on its first registration.
//  * spawn / forkserver: Process::start() passes the parent's tracker fd to
//    the child (starting the tracker if need be), as CPython's
//    popen_spawn_posix and forkserver pass resource_tracker.getfd(); the
//    child adopts it. So every process of a program shares one tracker, and
//    a segment a child created and did not unlink lives until the whole
//    program is gone, not just that child.
//
// Lifetime: the tracker is a child of the process that started it. That
// process never waits for it at exit (the tracker outlives it by design, to
// clean up after it) — it is reparented to init (or the nearest subreaper),
// which reaps it. A tracker that dies while its parent lives is reaped by the
// next registration that notices.
//
// Thread-safety: all functions are thread-safe (one mutex). Fork-safety: a
// fork while another thread is inside one of these functions leaves the child
// unable to use the tracker (the mutex stays locked) — forking from a
// multi-threaded parent is already unsafe and warned about.
#pragma once

#include <string_view>

namespace concur::multiprocessing::resource_tracker {

// Makes sure this process has a running tracker (starting or relaunching it).
void ensure_running();

// Registers `name` (e.g. "/psm_1a2b3c4d") of resource type `rtype`
// ("shared_memory", "semaphore"); starts the tracker if needed.
// Throws ValueError("msg too long") when the message exceeds 512 bytes.
void register_resource(std::string_view name, std::string_view rtype);

// Unregisters `name`. Without a running tracker in this process, does nothing
// (CPython would start one just to tell it; there is nothing to forget).
void unregister_resource(std::string_view name, std::string_view rtype);

// The write end of this process's tracker pipe, starting the tracker if
// needed (CPython getfd()). Owned by the module: do not close it.
int getfd();

// Makes `fd` (a tracker write end received from a parent) this process's
// tracker, closing any previous one. Takes ownership of `fd`.
void adopt_fd(int fd);

// The pid of the tracker this process started, or -1 (none, or inherited).
int tracker_pid();

}  // namespace concur::multiprocessing::resource_tracker
