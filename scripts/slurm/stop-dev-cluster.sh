#!/usr/bin/env bash
# Stops the single-node Slurm dev cluster started by start-dev-cluster.sh, by PID (SIGTERM, then
# SIGKILL after 15 s). Without arguments stops slurmd, slurmctld and munged; with arguments only
# those daemons (e.g. `stop-dev-cluster.sh slurmctld` to simulate a controller restart).
# Jobs' state survives in /var/spool/slurmctld: a restarted controller still knows them.
set -euo pipefail

say() { printf 'stop-dev-cluster: %s\n' "$*" >&2; }
pidfile() {
  case "$1" in
    slurmd) echo /run/slurm/slurmd.pid ;;
    slurmctld) echo /run/slurm/slurmctld.pid ;;
    munged) echo /run/munge/munged.pid ;;
    *) say "unknown daemon '$1' (slurmd, slurmctld, munged)"; exit 2 ;;
  esac
}

daemons=("$@")
((${#daemons[@]})) || daemons=(slurmd slurmctld munged)
for d in "${daemons[@]}"; do
  f="$(pidfile "$d")"
  pid="$(cat "$f" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    say "$d not running"
    continue
  fi
  # Guard against a stale pid file naming some other process.
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$d" ]]; then
    say "$d: pid $pid in $f is not $d; not killing it"
    continue
  fi
  kill -TERM "$pid"
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$d (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  say "stopped $d (pid $pid)"
done
