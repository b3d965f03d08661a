#!/usr/bin/env bash
# Runs Molecule scenarios (`molecule test -s NAME`) in parallel lanes: each lane
# runs its scenarios one after another, the lanes side by side.
#
# Usage: lanes.sh "SCENARIO ..." ["SCENARIO ..." ...]   (one argument a lane)
#
# The first lane that has a scenario runs at normal priority. Every later lane
# is niced and its lab hosts get a lower CPU weight (LAB_CPU_SHARES, podman
# --cpu-shares), so the first lane (the long one) keeps most of its pace (cluster:
# 57 min beside the others, 49 alone) and the others take the CPU it leaves
# idle while it waits on health gates, drains and load. The CPU is then busy
# nearly all the time: more lanes would not go faster on 2 cores.
#
# Each scenario's whole output goes to $MOLECULE_LOGS/NAME.log and is printed
# in one block when the scenario ends, never interleaved with another's. A
# lane goes on after a failure, so one run shows every scenario's verdict.
# Exit status 0 only when every scenario passed. The output ends with why each
# failed scenario failed, then every scenario's verdict.
set -uo pipefail

logs=${MOLECULE_LOGS:-.cache/molecule-logs}
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/*.status

lane() {
  local number=$1 scenario started seconds rc verdict failed=0
  shift
  for scenario in "$@"; do
    started=$(date +%s)
    echo "=== molecule test -s $scenario (lane $number) started at $(date -u +%H:%M:%S)"
    molecule test -s "$scenario" >"$logs/$scenario.log" 2>&1
    rc=$?
    seconds=$(($(date +%s) - started))
    verdict=$([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)")
    printf '%s %s in %dm%02ds\n' "$scenario" "$verdict" $((seconds / 60)) $((seconds % 60)) >"$logs/$scenario.status"
    {
      flock 9
      echo "=== molecule test -s $scenario: its output"
      cat "$logs/$scenario.log"
      echo "=== molecule test -s $scenario: $(cat "$logs/$scenario.status")"
    } 9>"$logs/.print.lock"
    [ "$rc" -eq 0 ] || failed=1
  done
  return "$failed"
}

lanes=()
for arg in "$@"; do
  [ -n "${arg// /}" ] && lanes+=("$arg")
done
[ "${#lanes[@]}" -gt 0 ] || { echo "lanes.sh: no scenario to run" >&2; exit 2; }

pids=()
for i in "${!lanes[@]}"; do
  # shellcheck disable=SC2086 # a lane is a space-separated list of names
  if [ "$i" -eq 0 ]; then
    lane 1 ${lanes[$i]} &
  else
    (
      renice -n 10 -p "$BASHPID" >/dev/null
      export LAB_CPU_SHARES=${LAB_CPU_SHARES:-256}
      lane $((i + 1)) ${lanes[$i]}
    ) &
  fi
  pids+=($!)
done

failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done

# A CI record may keep only the end of the output: the last lines say why each
# failed scenario failed (pytest's short summary, Ansible's fatal lines,
# Molecule's errors; not Ansible's "FAILED - RETRYING", which passing runs
# print), each line cut short, before the verdicts.
for arg in "${lanes[@]}"; do
  for scenario in $arg; do
    grep -q passed "$logs/$scenario.status" 2>/dev/null && continue
    echo "=== why $scenario failed (the first lines that say so, else its last; all of it in $logs/$scenario.log):"
    why=$(grep -E '^(FAILED|ERROR) \S+\.py|^fatal: |^failed: |^CRITICAL |^ERROR {2,}|^E +[A-Za-z]+Error' \
      "$logs/$scenario.log" 2>/dev/null | head -n 8)
    # None of those lines (a timeout, a crash): its last lines instead.
    [ -n "$why" ] || why=$(tail -n 8 "$logs/$scenario.log" 2>/dev/null)
    printf '%s\n' "$why" | cut -c1-400 | sed 's/^/  /'
  done
done
echo "=== molecule scenarios:"
for arg in "${lanes[@]}"; do
  for scenario in $arg; do
    if [ -f "$logs/$scenario.status" ]; then
      echo "  $(cat "$logs/$scenario.status")"
    else
      echo "  $scenario did not finish"
    fi
  done
done
exit "$failed"
