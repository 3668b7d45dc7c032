#!/usr/bin/env bash
# Starts a real Apache Mesos 1.11.0 master and agent (separate processes, separate loopback
# ports) built by setup.sh (run first; cached), waits until the master's /state shows one
# activated agent, and prints (also in RUN_DIR/cluster.env):
#   REAL_MESOS_MASTER=127.0.0.1:PORT   REAL_MESOS_AGENT=127.0.0.1:PORT
#   REAL_MESOS_MASTER_PID=N            REAL_MESOS_AGENT_PID=N
#   REAL_MESOS_RUN_DIR=DIR             REAL_MESOS_READY_MS=N (start to ready)
#
# Options:
#   --master-port N / --agent-port N  (default: free ports, retried if taken meanwhile)
#   --run-dir DIR       work directories and logs (default: a new one under <cache>/runs)
#   --resources R       the agent's resources (default cpus:8;mem:16384;disk:20000;ports:[31000-32000])
#   --executor PATH     installed as mesos-executor in the agent's launcher directory
#                       (the command executor; the artifact has none)
#   --timeout SECS      bound on the wait for the agent (default 60)
#   --master-env K=V    an extra variable for the master (e.g. MESOS_ALLOCATION_INTERVAL=100ms);
#   --agent-env K=V     likewise for the agent (and so its executors); both repeatable
#   --foreground        stay up after printing; stop both (and their executors) when stdin
#                       closes or on SIGTERM/SIGINT. Otherwise return; stop with stop.sh RUN_DIR.
#
# The agent runs in a clean environment. Its executors do not inherit it: the 1.11 agent
# gives them only its MESOS_*/LIBPROCESS_* variables and a default PATH (add more with
# --agent-env MESOS_EXECUTOR_ENVIRONMENT_VARIABLES='{"K":"V"}'). MESOS_LAUNCHER_DIR is
# RUN_DIR/launcher, holding our mesos-containerizer (and mesos-executor if given).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "real-mesos start: FAIL: $*" >&2; exit 1; }

MASTER_PORT="" AGENT_PORT="" RUN_DIR="" EXECUTOR="" FOREGROUND=0 TIMEOUT=60
MASTER_ENV=() AGENT_ENV=()
RESOURCES='cpus:8;mem:16384;disk:20000;ports:[31000-32000]'
while [[ $# -gt 0 ]]; do
  case "$1" in
    --master-port) MASTER_PORT="$2"; shift 2 ;;
    --agent-port) AGENT_PORT="$2"; shift 2 ;;
    --run-dir) RUN_DIR="$2"; shift 2 ;;
    --resources) RESOURCES="$2"; shift 2 ;;
    --executor) EXECUTOR="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --foreground) FOREGROUND=1; shift ;;
    --master-env) [[ "$2" == *=* ]] || fail "--master-env wants K=V"; MASTER_ENV+=("$2"); shift 2 ;;
    --agent-env) [[ "$2" == *=* ]] || fail "--agent-env wants K=V"; AGENT_ENV+=("$2"); shift 2 ;;
    *) fail "unknown option $1 (see the header of $0)" ;;
  esac
done

READY="$(bash "$HERE/setup.sh")" || fail "setup failed"
DIR="${READY#real-mesos: ready }"
BIN="$DIR/bin"
need() { command -v "$1" >/dev/null 2>&1 || fail "missing tool '$1'"; }
need curl

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A given port must be free: another master there would answer for ours.
for port in $MASTER_PORT $AGENT_PORT; do
  port_free "$port" || fail "port $port is in use"
done

if [[ -z "$RUN_DIR" ]]; then
  mkdir -p "$DIR/runs"
  RUN_DIR="$(mktemp -d "$DIR/runs/run.XXXXXX")"
fi
mkdir -p "$RUN_DIR/launcher"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
ln -sf "$BIN/mesos-containerizer" "$RUN_DIR/launcher/mesos-containerizer"
if [[ -n "$EXECUTOR" ]]; then
  [[ -x "$EXECUTOR" ]] || fail "--executor $EXECUTOR is not an executable"
  ln -sf "$(cd "$(dirname "$EXECUTOR")" && pwd)/$(basename "$EXECUTOR")" "$RUN_DIR/launcher/mesos-executor"
fi

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if [[ "$p" != "${1:-}" ]] && port_free "$p"; then echo "$p"; return; fi
  done
  fail "found no free port"
}
now_ms() { date +%s%3N; }
alive() { kill -0 "$1" 2>/dev/null; }

MASTER_PID="" AGENT_PID=""
# Stops the master, the agent and every process whose sandbox is in RUN_DIR (executors).
stop_all() {
  bash "$HERE/stop.sh" "$RUN_DIR" >/dev/null 2>&1 || true
}

start_master() {
  env -i PATH="/usr/local/bin:/usr/bin:/bin" LIBPROCESS_IP=127.0.0.1 LIBPROCESS_PORT="$1" \
    MESOS_REGISTRY=in_memory ${MASTER_ENV[@]+"${MASTER_ENV[@]}"} \
    "$BIN/mesos-master" "$RUN_DIR/master" </dev/null >"$RUN_DIR/master.log" 2>&1 &
  MASTER_PID=$!
  echo "$MASTER_PID" >"$RUN_DIR/master.pid"
}

start_agent() {
  env -i PATH="/usr/local/bin:/usr/bin:/bin" \
    MESOS_MASTER="127.0.0.1:$MASTER_PORT" MESOS_IP=127.0.0.1 MESOS_PORT="$1" \
    MESOS_WORK_DIR="$RUN_DIR/agent/work" MESOS_RUNTIME_DIR="$RUN_DIR/agent/run" \
    MESOS_FETCHER_CACHE_DIR="$RUN_DIR/agent/fetch" \
    MESOS_LAUNCHER=posix MESOS_ISOLATION=posix/cpu,posix/mem MESOS_SWITCH_USER=false \
    MESOS_SYSTEMD_ENABLE_SUPPORT=false MESOS_HTTP_COMMAND_EXECUTOR=true \
    MESOS_LAUNCHER_DIR="$RUN_DIR/launcher" MESOS_RESOURCES="$RESOURCES" \
    MESOS_REGISTRATION_BACKOFF_FACTOR=10ms ${AGENT_ENV[@]+"${AGENT_ENV[@]}"} \
    "$BIN/mesos-agent" </dev/null >"$RUN_DIR/agent.log" 2>&1 &
  AGENT_PID=$!
  echo "$AGENT_PID" >"$RUN_DIR/agent.pid"
}

logs() {
  echo "---- master.log (tail) ----" >&2; tail -n 25 "$RUN_DIR/master.log" >&2 || true
  echo "---- agent.log (tail) ----" >&2; tail -n 25 "$RUN_DIR/agent.log" >&2 || true
}

START_MS="$(now_ms)"
DEADLINE=$(( START_MS + TIMEOUT * 1000 ))

# The master: retried on another port if a chosen free port was taken meanwhile.
for attempt in 1 2 3; do
  [[ -n "$MASTER_PORT" && $attempt -gt 1 ]] && break
  PORT="${MASTER_PORT:-$(free_port)}"
  start_master "$PORT"
  up=0
  while (( $(now_ms) < DEADLINE )); do
    alive "$MASTER_PID" || break
    if curl -fs -m 2 -o /dev/null "http://127.0.0.1:$PORT/version"; then up=1; break; fi
    sleep 0.05
  done
  if (( up )); then MASTER_PORT="$PORT"; break; fi
  if alive "$MASTER_PID"; then stop_all; logs; fail "the master did not answer within ${TIMEOUT}s"; fi
  wait "$MASTER_PID" 2>/dev/null || true
  grep -q "Failed to initialize" "$RUN_DIR/master.log" 2>/dev/null || { logs; fail "the master exited"; }
done
(( up )) || { logs; fail "the master could not bind a port"; }

# The agent, likewise.
for attempt in 1 2 3; do
  [[ -n "$AGENT_PORT" && $attempt -gt 1 ]] && break
  PORT="${AGENT_PORT:-$(free_port "$MASTER_PORT")}"
  start_agent "$PORT"
  ready=0
  while (( $(now_ms) < DEADLINE )); do
    alive "$AGENT_PID" || break
    if curl -fs -m 2 "http://127.0.0.1:$MASTER_PORT/state" 2>/dev/null \
         | grep -q '"activated_slaves":1\.0'; then ready=1; break; fi
    sleep 0.05
  done
  if (( ready )); then AGENT_PORT="$PORT"; break; fi
  if alive "$AGENT_PID"; then stop_all; logs; fail "the agent did not register within ${TIMEOUT}s"; fi
  wait "$AGENT_PID" 2>/dev/null || true
  grep -q "Failed to initialize" "$RUN_DIR/agent.log" 2>/dev/null || { stop_all; logs; fail "the agent exited"; }
done
(( ready )) || { stop_all; logs; fail "the agent could not bind a port"; }
alive "$MASTER_PID" && alive "$AGENT_PID" || { stop_all; logs; fail "the master or the agent exited"; }
READY_MS=$(( $(now_ms) - START_MS ))

cat >"$RUN_DIR/cluster.env" <<EOF
REAL_MESOS_MASTER=127.0.0.1:$MASTER_PORT
REAL_MESOS_AGENT=127.0.0.1:$AGENT_PORT
REAL_MESOS_MASTER_PID=$MASTER_PID
REAL_MESOS_AGENT_PID=$AGENT_PID
REAL_MESOS_RUN_DIR=$RUN_DIR
REAL_MESOS_READY_MS=$READY_MS
EOF
cat "$RUN_DIR/cluster.env"

if (( FOREGROUND )); then
  trap 'stop_all; exit 0' TERM INT HUP
  # Until stdin closes (the caller exited or let go of us).
  while read -r _; do :; done
  stop_all
fi
