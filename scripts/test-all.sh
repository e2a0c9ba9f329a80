#!/usr/bin/env bash
# The README's test command: starts every engine the tests use (the Slurm and Grid Engine dev
# clusters, a Flux dev instance; installing or building them if needed) side by side, runs the whole
# suite against them, and stops again whatever this script started. Under CI an engine that does not
# come up makes its tests fail (not skip). Ends with one plain "tests: N passed, N failed, N skipped" line.
#   FLUX_TARBALL=…   flux-core release tarball to build Flux from when no `flux` is on PATH
#                    (default: ../shared/vendor/flux-core-0.88.0.tar.gz when it is there)
set -euo pipefail
cd "$(dirname "$0")/.."
logs="$(mktemp -d)"
stops=()
cleanup() {
  for s in "${stops[@]}"; do bash "$s" >/dev/null 2>&1 || true; done
  rm -rf "$logs"
}
trap cleanup EXIT

# name, start script, stop script, "is it already running?" probe
engines=(
  "slurm|scripts/slurm/start-dev-cluster.sh|scripts/slurm/stop-dev-cluster.sh|sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'"
  "sge|scripts/sge/start-dev-cluster.sh|scripts/sge/stop-dev-cluster.sh|qstat >/dev/null 2>&1"
  "flux|scripts/flux/start-dev-instance.sh|scripts/flux/stop-dev-instance.sh|u=\"\${FLUX_URI:-\$(cat /run/jobfutures-flux/uri 2>/dev/null)}\"; [ -n \"\$u\" ] && FLUX_URI=\"\$u\" PATH=\"\$PATH:\${FLUX_PREFIX:-/opt/jobfutures-flux}/bin\" flux uptime >/dev/null 2>&1"
)
pids=()
names=()
# MPI has no daemon: its install (Open MPI and MPICH from Debian, when missing) runs beside the engines.
(bash scripts/mpi/install.sh >"$logs/mpi.log" 2>&1) &
pids+=("$!")
names+=("mpi")
for e in "${engines[@]}"; do
  IFS='|' read -r name start stop probe <<<"$e"
  [ -f "$start" ] || continue
  was_running=0
  if bash -c "$probe"; then was_running=1; fi
  [ "$was_running" = 1 ] || stops+=("$stop")
  (bash "$start" >"$logs/$name.log" 2>&1) &
  pids+=("$!")
  names+=("$name")
done
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    echo "test-all: ${names[$i]}: $(tail -n 1 "$logs/${names[$i]}.log")"
  else
    echo "test-all: WARNING: ${names[$i]} did not start; its tests will fail under CI, skip otherwise. Last lines:" >&2
    tail -n 15 "$logs/${names[$i]}.log" >&2 || true
  fi
done
if [ -f "$logs/flux.log" ]; then
  uri="$(grep -o '^FLUX_URI=.*' "$logs/flux.log" | tail -n 1 | cut -d= -f2- || true)"
  [ -z "$uri" ] || export FLUX_URI="$uri"
fi

# the engine tests fail (not skip) without their engine when CI is set
export CI="${CI:-true}"
results="$(mktemp)"
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$results" || status=$?
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$results" || echo "tests: no results (the run did not finish)"
rm -f "$results"
exit "$status"
