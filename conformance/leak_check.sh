#!/usr/bin/env bash
# Suite-level leak check (issue 3: "No /dev/shm entries or fds are left after
# the suite"). CTest runs `setup` before every conformance test and `check`
# after all of them (FIXTURES_SETUP / FIXTURES_CLEANUP):
#   setup <state-dir>          snapshot /dev/shm
#   check <state-dir> <build>  fail on /dev/shm entries that appeared since,
#                              or on concur helper processes (forkserver, its
#                              spare, resource tracker: argv[1] starts with
#                              --concur-) started from <build> that are still
#                              alive after a grace period. Such an orphan is
#                              what would keep fds and segments past the suite.
set -euo pipefail
mode=$1 state=$2
mkdir -p "$state"
if [[ $mode == setup ]]; then
  ls -1 /dev/shm | sort >"$state/shm.before"
  echo "leak check: $(wc -l <"$state/shm.before") /dev/shm entries before the suite"
  exit 0
fi
build=$(readlink -f "$3")

lingering() {
  for d in /proc/[0-9]*; do
    [[ -r $d/cmdline ]] || continue
    mapfile -d '' -t argv <"$d/cmdline" 2>/dev/null || continue
    ((${#argv[@]} > 1)) || continue
    [[ ${argv[1]} == --concur-* ]] || continue
    exe=$(readlink -f "$d/exe" 2>/dev/null || true)
    [[ $exe == "$build"/* ]] && echo "${d#/proc/} ${argv[1]} $exe"
  done
}

status=0
for _ in $(seq 1 50); do  # helpers exit on EOF of their parent's fd: allow 10 s
  [[ -z $(lingering) ]] && break
  sleep 0.2
done
left=$(lingering)
if [[ -n $left ]]; then
  echo "leak check: concur helper processes outlived the suite:"
  echo "$left"
  status=1
fi
ls -1 /dev/shm | sort >"$state/shm.after"
new=$(comm -13 "$state/shm.before" "$state/shm.after")
if [[ -n $new ]]; then
  echo "leak check: /dev/shm entries left by the suite:"
  echo "$new"
  status=1
fi
((status == 0)) && echo "leak check: no /dev/shm entries and no concur helper processes left"
exit $status
