#!/usr/bin/env bash
# Stops what start.sh started in RUN_DIR: the agent, the master (their ids are in
# RUN_DIR/agent.pid and RUN_DIR/master.pid), then any executor still running from a sandbox
# under RUN_DIR (found by MESOS_SANDBOX in its environment). SIGTERM, then SIGKILL after a
# bounded wait. Usage: stop.sh RUN_DIR
set -uo pipefail

RUN_DIR="${1:?usage: stop.sh RUN_DIR}"
RUN_DIR="$(cd "$RUN_DIR" 2>/dev/null && pwd)" || { echo "real-mesos stop: no run dir $1" >&2; exit 1; }

pids=()
for name in agent master; do
  if [[ -f "$RUN_DIR/$name.pid" ]]; then
    pid="$(cat "$RUN_DIR/$name.pid")"
    # Only if it is still our launcher (ids are reused).
    if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */bin/mesos-"$name" ]]; then
      pids+=("$pid")
    fi
  fi
done
while read -r environ; do
  pid="${environ#/proc/}"; pids+=("${pid%/environ}")
done < <(grep -lsz "^MESOS_SANDBOX=$RUN_DIR/" /proc/[0-9]*/environ 2>/dev/null)
[[ ${#pids[@]} -eq 0 ]] && exit 0

# Alive and not a zombie waiting for its parent (init, here) to reap it.
running() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat%% *}" != "Z" ]]
}

kill -TERM "${pids[@]}" 2>/dev/null
for _ in $(seq 1 100); do
  left=()
  for pid in "${pids[@]}"; do running "$pid" && left+=("$pid"); done
  [[ ${#left[@]} -eq 0 ]] && exit 0
  sleep 0.05
done
kill -KILL "${left[@]}" 2>/dev/null
exit 0
