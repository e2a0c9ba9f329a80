#!/usr/bin/env bash
# The README's test command: starts the single-node Slurm dev cluster (installing it from Debian if
# needed), runs the whole suite against it, and stops the cluster again if this script started it.
# Ends with one plain "tests: N passed, N failed, N skipped" line.
set -euo pipefail
cd "$(dirname "$0")/.."
was_running=0
if command -v sinfo >/dev/null 2>&1 && sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mix|alloc'; then was_running=1; fi
bash scripts/slurm/start-dev-cluster.sh
if [ "$was_running" = 0 ]; then trap 'bash scripts/slurm/stop-dev-cluster.sh || true' EXIT; fi
# the Slurm tests fail (not skip) without a cluster when CI is set
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
