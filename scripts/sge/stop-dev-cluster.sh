#!/usr/bin/env bash
# Stops the single-host Grid Engine dev cluster started by start-dev-cluster.sh: deletes all jobs,
# stops sge_execd and sge_qmaster by PID (SIGTERM, SIGKILL after 20 s), kills job trees that
# outlive execd. Idempotent. A zombie counts as stopped (stopped daemons are re-parented to
# PID 1, which reaps them late on this machine).
#
#   stop-dev-cluster.sh            stop everything
#   stop-dev-cluster.sh qmaster    stop only sge_qmaster (jobs keep running under execd; to test
#                                  "qmaster down" and a qmaster restart)
#   stop-dev-cluster.sh --purge    also remove the packages and all SGE state (from-nothing tests)
set -uo pipefail

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
QM_PID=/var/spool/gridengine/qmaster/qmaster.pid
EX_SPOOL=/var/spool/gridengine/execd
t0=$(date +%s%N)

say() { printf 'stop-dev-cluster(sge): %s\n' "$*" >&2; }
alive() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]]
}
# gone PID: exited, or a zombie.
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
stop_pid() { # stop_pid PIDFILE COMM
  if ! alive "$1" "$2"; then say "$2 not running"; return 0; fi
  local pid
  pid="$(cat "$1")"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 200); do gone "$pid" && break; sleep 0.1; done
  if ! gone "$pid"; then
    say "$2 (pid $pid) ignored SIGTERM for 20 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  say "stopped $2 (pid $pid)"
}
# Pids of the sge_shepherd processes (one per running job) under execd $1.
shepherds() { local p; for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == sge_shepherd ]] && echo "$p"; done; }

mode="${1:-all}"
case "$mode" in all | qmaster | --purge) ;; *) say "usage: $0 [qmaster|--purge]"; exit 2 ;; esac
if [[ "$mode" == qmaster ]]; then
  stop_pid "$QM_PID" sge_qmaster
  exit 0
fi

if alive "$QM_PID" sge_qmaster; then
  qdel -f -u '*' >/dev/null 2>&1 || true
  for _ in $(seq 50); do [[ -z "$(qstat -u '*' 2>/dev/null)" ]] && break; sleep 0.1; done
fi
# `qdel -f` may only make qmaster forget a job: no job tree may outlive execd.
left=()
for f in "$EX_SPOOL"/*/execd.pid; do
  alive "$f" sge_execd || continue
  e="$(cat "$f")"
  for _ in $(seq 50); do [[ -z "$(shepherds "$e")" ]] && break; sleep 0.1; done
  # shellcheck disable=SC2207
  left+=($(shepherds "$e"))
done
for f in "$EX_SPOOL"/*/execd.pid; do [[ -e "$f" ]] && stop_pid "$f" sge_execd; done
for s in "${left[@]}"; do
  [[ "$(cat "/proc/$s/comm" 2>/dev/null)" == sge_shepherd ]] || continue
  say "killing the job tree of sge_shepherd $s"
  for k in $(ps -o pid= --ppid "$s"); do kill -KILL -- "-$k" 2>/dev/null; kill -KILL "$k" 2>/dev/null; done
  kill -KILL "$s" 2>/dev/null || true
done
stop_pid "$QM_PID" sge_qmaster
if [[ "$mode" == --purge ]]; then
  say "purging packages and state"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q purge \
    gridengine-master gridengine-exec gridengine-client gridengine-common >/dev/null 2>&1 || true
  rm -rf /var/lib/gridengine /var/spool/gridengine /var/run/gridengine
  echo PURGE | debconf-communicate gridengine-common >/dev/null 2>&1 || true
  echo PURGE | debconf-communicate gridengine-master >/dev/null 2>&1 || true
fi
say "done in $((($(date +%s%N) - t0) / 1000000)) ms"
