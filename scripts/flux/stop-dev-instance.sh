#!/usr/bin/env bash
# Stops the Flux dev instance started by start-dev-instance.sh: cancels every job, `flux shutdown`,
# then (if the broker still lives after 10 s) SIGTERM/SIGKILL by the recorded pid. Idempotent.
# Leaves the build in $FLUX_PREFIX alone; `--purge` removes it as well (for from-scratch tests).
#
# Environment: FLUX_PREFIX, JOBF_FLUX_STATE as for start-dev-instance.sh.
set -uo pipefail

PREFIX="${FLUX_PREFIX:-/opt/jobfutures-flux}"
STATE="${JOBF_FLUX_STATE:-/run/jobfutures-flux}"
RUNDIR="$STATE/rundir"
URI="local://$RUNDIR/local-0"
PIDF="$STATE/broker.pid"
t0=$(date +%s%N)
say() { printf 'stop-dev-instance: %s\n' "$*" >&2; }

FLUX="$(command -v flux 2>/dev/null || echo "$PREFIX/bin/flux")"
mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock -w 120 9 || { say "ERROR: could not lock $STATE/.lock"; exit 1; }

alive() {
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}
pid="$(cat "$PIDF" 2>/dev/null || true)"
if alive; then
  # Guard against a stale pid file naming some other process.
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q flux; then
    say "pid $pid in $PIDF is not a flux broker; not touching it"
  else
    if [[ -x "$FLUX" ]] && FLUX_URI=$URI timeout 10 "$FLUX" uptime >/dev/null 2>&1; then
      FLUX_URI=$URI timeout 20 "$FLUX" cancel --all --quiet >/dev/null 2>&1 || true
      say "flux shutdown (pid $pid)"
      FLUX_URI=$URI timeout 60 "$FLUX" shutdown --quiet --skip-gc >/dev/null 2>&1 || true
    fi
    for _ in $(seq 100); do alive || break; sleep 0.1; done
    if alive; then
      say "broker pid $pid still alive: SIGTERM"
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 50); do alive || break; sleep 0.1; done
      if alive; then say "SIGKILL $pid"; kill -KILL "$pid" 2>/dev/null; fi
    fi
  fi
else
  say "not running"
fi
rm -f "$PIDF" "$STATE/uri" "$STATE/env"
rm -rf "$RUNDIR"
if [[ "${1:-}" == --purge ]]; then rm -rf "$PREFIX"; say "removed $PREFIX"; fi
say "stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
