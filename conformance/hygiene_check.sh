#!/usr/bin/env bash
# Suite-level resource hygiene check (issue 10, "Resource hygiene, as a
# test"; DESIGN.md, Conformance). CTest runs it as the fixture "concur_suite"
# under the label "hygiene": `setup` before every conformance test, `check`
# after all of them (FIXTURES_SETUP / FIXTURES_CLEANUP).
#
#   setup <state-dir>          snapshot /dev/shm; empty <state-dir>/fds, where
#                              every conformance binary invocation appends its
#                              verdict (HygieneEnvironment in
#                              conformance/support/leak_checked.hpp; CTest
#                              passes the directory as CONCUR_HYGIENE_DIR)
#   check <state-dir> <build>  fails (exit 1), naming each culprit, on
#     - leaked fds or zombie children of a test invocation: any "LEAK" line
#       in <state-dir>/fds/*.fds (open fds before the first and after the
#       last test of the invocation, with both fd lists);
#     - /dev/shm entries created by concur since `setup` and still there:
#       "psm_*" (SharedMemory's random names) and "concur*" (the suite's own
#       names);
#     - forkserver processes (argv[1] --concur-forkserver) started from
#       <build> that outlived their parent: every test has ended, so any
#       still alive after a grace period has;
#     - any other process started from <build> still alive (a test child or a
#       concur helper: resource tracker, forkserver spare);
#     - zombies whose parent was started from <build> (not reaped by a
#       process that is still around).
#   Helpers exit on EOF of their parent's fd, so processes get 10 s to go.
#
# conformance/hygiene_selftest.sh proves each check fails on a synthetic leak.
set -euo pipefail
mode=$1 state=$2
mkdir -p "$state/fds"
shm_names() { ls -1 /dev/shm | grep -E '^(psm_|concur)' | sort || true; }
if [[ $mode == setup ]]; then
  rm -f "$state"/fds/*.fds
  shm_names >"$state/shm.before"
  echo "hygiene: $(wc -l <"$state/shm.before") concur /dev/shm entries before the suite"
  exit 0
fi
[[ $mode == check ]] || { echo "usage: $0 setup|check <state-dir> [<build-dir>]" >&2; exit 2; }
build=$(readlink -f "$3")

# Every /proc scan uses bash builtins only (one `find` per scan): the check
# must stay fast on a loaded machine.

# "<pid> <state> <ppid>" of every process (its stat line, comm skipped).
all_stats() {
  local f line rest state ppid
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    rest=${line##*) }
    read -r state ppid _ <<<"$rest"
    f=${f#/proc/}
    echo "${f%/stat} $state $ppid"
  done
}

# Pids of the processes whose executable lies under <build>.
build_pids() {
  find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$build/*" 2>/dev/null | cut -d/ -f3 | sort -n
}

# "<pid> <ppid> <what> <exe>" for every live process started from <build>.
lingering() {
  local pid line rest state ppid argv what exe
  for pid in $(build_pids); do
    ((pid == $$)) && continue
    { read -r line <"/proc/$pid/stat"; } 2>/dev/null || continue
    rest=${line##*) }
    read -r state ppid _ <<<"$rest"
    [[ $state == Z || $state == X ]] && continue
    argv=()
    { mapfile -d '' -t argv <"/proc/$pid/cmdline"; } 2>/dev/null || true
    case ${argv[1]:-} in
      --concur-forkserver) what="forkserver-outlived-its-parent" ;;
      --concur-*) what="concur-helper(${argv[1]#--concur-})" ;;
      *) what="test-process" ;;
    esac
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    echo "$pid $ppid $what $exe"
  done
}

# "<pid> parent <ppid>" for zombies whose parent was started from <build>.
zombies() {
  local parents pid state ppid
  parents=" $(build_pids | tr '\n' ' ') "
  [[ $parents == "  " ]] && return 0
  while read -r pid state ppid; do
    [[ $state == Z && $parents == *" $ppid "* ]] && echo "$pid parent $ppid $(readlink "/proc/$ppid/exe" 2>/dev/null)"
  done < <(all_stats)
  return 0
}

status=0
for _ in $(seq 1 50); do
  [[ -z $(lingering) && -z $(zombies) ]] && break
  sleep 0.2
done

left=$(lingering)
if [[ -n $left ]]; then
  echo "hygiene: processes started from $build outlived the suite (pid ppid what exe):"
  echo "$left"
  status=1
fi
z=$(zombies)
if [[ -n $z ]]; then
  echo "hygiene: zombie children of test processes (pid parent ppid exe):"
  echo "$z"
  status=1
fi

shm_names >"$state/shm.after"
new=$(comm -13 "$state/shm.before" "$state/shm.after")
if [[ -n $new ]]; then
  echo "hygiene: /dev/shm entries created by concur and left behind:"
  echo "$new"
  status=1
fi

shopt -s nullglob
verdicts=("$state"/fds/*.fds)
checked=0 leaked=0
if ((${#verdicts[@]})); then
  checked=$(cat "${verdicts[@]}" | wc -l)
  leaks=$(grep -h '^LEAK ' "${verdicts[@]}" || true)
  if [[ -n $leaks ]]; then
    leaked=$(wc -l <<<"$leaks")
    echo "hygiene: $leaked of $checked test invocations leaked fds or left zombie children:"
    cut -c1-2000 <<<"$leaks"
    status=1
  fi
fi
if ((status == 0)); then
  echo "hygiene: $checked test invocations without leaked fds or zombies; no concur /dev/shm entries," \
    "no orphaned forkserver, no process from $build left"
fi
exit $status
