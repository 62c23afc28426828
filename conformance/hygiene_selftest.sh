#!/usr/bin/env bash
# Self-test of the "hygiene" fixture: each check of hygiene_check.sh (and the
# per-invocation HygieneEnvironment behind its fd/zombie verdicts) must fail
# on a synthetic leak made by hygiene_probe, and pass again once the leak is
# removed. Leaves nothing behind: the probe's processes are killed by pid, its
# segment unlinked, its verdicts kept in a private state directory.
#   hygiene_selftest.sh <hygiene_check.sh> <hygiene_probe> <state-dir> <build-dir>
set -uo pipefail
check=$1 probe=$2 state=$3 build=$4
export CONCUR_HYGIENE_PROBE=1 CONCUR_HYGIENE_DIR=$state/fds
failures=0
pids_file=$state/pids segment=""

cleanup() {
  if [[ -s $pids_file ]]; then
    for pid in $(cat "$pids_file"); do kill -KILL "$pid" 2>/dev/null; done
    rm -f "$pids_file"
  fi
  [[ -n $segment ]] && rm -f "/dev/shm/$segment"
  segment=""
}
trap cleanup EXIT

# expect_caught <name> <gtest test> <text the check must print>...
expect_caught() {
  local name=$1 test=$2 out rc want
  shift 2
  rm -rf "$state"
  bash "$check" setup "$state" >/dev/null
  # To a file, not a pipe: the orphaned forkserver keeps the probe's stdout.
  "$probe" --gtest_filter="HygieneProbe.$test" >"$state/probe.out" 2>&1
  rc=$?
  out=$(cat "$state/probe.out")
  if ((rc != 0)); then
    echo "FAIL $name: the probe itself failed (status $rc):"
    echo "$out"
    failures=$((failures + 1))
    return
  fi
  [[ $test == LeavesAShmSegment ]] && segment=$(sed -n 's/^segment //p' <<<"$out")
  out=$(bash "$check" check "$state" "$build" 2>&1)
  rc=$?
  for want in "$@"; do
    if ((rc == 1)) && grep -q -- "$want" <<<"$out"; then
      echo "ok   $name: caught ($(grep -m1 -- "$want" <<<"$out" | cut -c1-160))"
    else
      echo "FAIL $name: the check exited $rc without reporting \"$want\":"
      echo "$out"
      failures=$((failures + 1))
    fi
  done
  cleanup
  rm -f "$state"/fds/*.fds
  out=$(bash "$check" check "$state" "$build" 2>&1)
  rc=$?
  if ((rc != 0)); then
    echo "FAIL $name: the check still fails after the leak was removed:"
    echo "$out"
    failures=$((failures + 1))
  fi
}

export CONCUR_HYGIENE_PROBE_PIDS=$pids_file
expect_caught "leaked fd" LeaksAnFd "test invocations leaked fds or left zombie children"
expect_caught "zombie child of a test" LeavesAZombie "zombies 1 (pids"
expect_caught "/dev/shm segment" LeavesAShmSegment "/dev/shm entries created by concur and left behind"
# The holder is a test process left running, with a zombie child of its own.
expect_caught "orphaned forkserver, test process left running, its zombie" OrphansAForkserver \
  "forkserver-outlived-its-parent" "test-process" "zombie children of test processes"

# A clean run of the probe (its tests skip) must pass.
rm -rf "$state"
bash "$check" setup "$state" >/dev/null
CONCUR_HYGIENE_PROBE=0 "$probe" >/dev/null 2>&1
if ! out=$(bash "$check" check "$state" "$build" 2>&1); then
  echo "FAIL clean run: the check failed:"
  echo "$out"
  failures=$((failures + 1))
else
  echo "ok   clean run passes: $out"
fi
rm -rf "$state"
((failures == 0)) && echo "hygiene self-test: every check caught its synthetic leak"
exit $((failures > 0))
