#!/usr/bin/env bash
# Starts a single-node Flux dev instance (flux-core, built-in sched-simple) in the background for the
# jobfutures Flux tests and prints its URI: the last line on stdout is `FLUX_URI=local://...`.
# The URI is also written to $JOBF_FLUX_STATE/uri (default /run/jobfutures-flux/uri) for tests.
#
# Which flux: one already on PATH; else $FLUX_PREFIX/bin/flux if this script built it before; else
# flux-core is built from $FLUX_TARBALL into $FLUX_PREFIX (flux-core is not packaged in Debian),
# Python bindings included (`flux python`), and the tarball's src/test/throughput.py is installed as
# $FLUX_PREFIX/share/jobfutures/throughput.py when the tarball has it. Without flux and without the tarball: exit 1, one line.
#
# Idempotent: an instance that answers is reused. Stop it with stop-dev-instance.sh.
#
# Environment (all optional):
#   FLUX_TARBALL     default <repo>/../shared/vendor/flux-core-0.88.0.tar.gz
#   FLUX_PREFIX      install prefix of the build, default /opt/jobfutures-flux
#   JOBF_FLUX_STATE  state directory (pid, uri, env, logs, rundir), default /run/jobfutures-flux
#   JOBF_FLUX_TIMEOUT seconds to wait for the instance to be ready, default 30
#   JOBF_FLUX_CORES  cores the instance advertises (resource.noverify), default 8: as the Slurm dev
#                    cluster advertises 16 CPUs, so that tests can run several jobs (and 3-task
#                    jobs) at once on a 2-core machine; 0 = the machine's real cores
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
TARBALL="${FLUX_TARBALL:-$repo/../shared/vendor/flux-core-0.88.0.tar.gz}"
PREFIX="${FLUX_PREFIX:-/opt/jobfutures-flux}"
STATE="${JOBF_FLUX_STATE:-/run/jobfutures-flux}"
TIMEOUT="${JOBF_FLUX_TIMEOUT:-30}"
CORES="${JOBF_FLUX_CORES:-8}"
RUNDIR="$STATE/rundir"
URI="local://$RUNDIR/local-0"
PIDF="$STATE/broker.pid"
BUILT="$PREFIX/.jobfutures-built"       # written only after a complete `make install`
BUILDLOG="$STATE/build.log"
t0=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
say() { printf 'start-dev-instance: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

mkdir -p "$STATE"
# One start at a time (parallel test files may call this together).
exec 9>"$STATE/.lock"
flock -w 300 9 || die "could not lock $STATE/.lock"

# --- 1. a flux binary ---------------------------------------------------------------------------
build_flux() {
  [[ "$(id -u)" == 0 ]] || die "flux is not installed and building it needs root (apt-get, $PREFIX)"
  say "building flux-core from $TARBALL into $PREFIX (log: $BUILDLOG)"
  local deps=(make gcc pkg-config libc6-dev libzmq3-dev uuid-dev libjansson-dev liblz4-dev libarchive-dev
    libhwloc-dev libsqlite3-dev lua5.1 liblua5.1-dev lua-posix python3-dev python3-cffi python3-ply
    python3-setuptools python3-yaml libncurses-dev)
  local apt=(apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends install)
  : >"$BUILDLOG"
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${deps[@]}" >>"$BUILDLOG" 2>&1; then
    say "apt-get update"
    apt-get -o DPkg::Lock::Timeout=300 -q update >>"$BUILDLOG" 2>&1 || die "apt-get update failed, see $BUILDLOG"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${deps[@]}" >>"$BUILDLOG" 2>&1 ||
      die "apt-get install of the build deps failed, see $BUILDLOG"
  fi
  say "build deps ready ($(ms) ms)"
  local src
  src="$(mktemp -d /tmp/jobf-flux-build.XXXX)"
  tar -xf "$TARBALL" -C "$src" --strip-components=1 || die "cannot unpack $TARBALL"
  # The system python: the first python3 in PATH may be one without cffi (pyenv).
  (cd "$src" && PYTHON=/usr/bin/python3 ./configure --prefix="$PREFIX" --disable-docs) >>"$BUILDLOG" 2>&1 ||
    die "configure failed, see $BUILDLOG"
  say "configured ($(ms) ms); make -j2"
  (cd "$src" && make -j2 && make install) >>"$BUILDLOG" 2>&1 || die "build failed, see $BUILDLOG"
  # src/test/throughput.py is in flux-core's git tree but not in its `make dist` tarball (0.88.0).
  if [[ -f "$src/src/test/throughput.py" ]]; then
    mkdir -p "$PREFIX/share/jobfutures"
    cp "$src/src/test/throughput.py" "$PREFIX/share/jobfutures/throughput.py"
  fi
  "$PREFIX/bin/flux" python -c 'import flux' >>"$BUILDLOG" 2>&1 ||
    die "built, but the Python bindings do not import (flux python -c 'import flux'), see $BUILDLOG"
  rm -rf "$src"
  "$PREFIX/bin/flux" version | awk '/^commands/{print $2}' >"$BUILT"
  say "built flux-core $(cat "$BUILT") in $(ms) ms"
}

if command -v flux >/dev/null 2>&1; then
  FLUX="$(command -v flux)"
elif [[ -f "$BUILT" && -x "$PREFIX/bin/flux" ]]; then
  FLUX="$PREFIX/bin/flux"
elif [[ -f "$TARBALL" ]]; then
  build_flux
  FLUX="$PREFIX/bin/flux"
else
  die "no flux on PATH, none built in $PREFIX, and no tarball at $TARBALL (set FLUX_TARBALL)"
fi

# --- 2. the instance ------------------------------------------------------------------------------
alive() {
  local pid
  pid="$(cat "$PIDF" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}
answers() { FLUX_URI=$URI timeout 10 "$FLUX" uptime >/dev/null 2>&1; }
ready() {
  FLUX_URI=$URI "$FLUX" queue status 2>/dev/null | grep -q 'Scheduling is started' &&
    [[ "$(FLUX_URI=$URI "$FLUX" resource list -s up -no '{ncores}' 2>/dev/null)" -gt 0 ]] 2>/dev/null
}

if alive && answers; then
  say "reusing the running instance (pid $(cat "$PIDF"))"
else
  if alive; then die "broker pid $(cat "$PIDF") is alive but $URI does not answer; run stop-dev-instance.sh"; fi
  rm -rf "$RUNDIR"
  mkdir -p "$RUNDIR"
  # The broker lives as long as its initial program: `sleep inf`. setsid: its own session, so the end of
  # the caller's terminal or CI step does not signal it.
  confargs=()
  if [[ "$CORES" != 0 ]]; then
    mkdir -p "$STATE/conf.d"
    printf '[resource]\nnoverify = true\n\n[[resource.config]]\nhosts = "%s"\ncores = "0-%d"\n' \
      "$(hostname)" "$((CORES - 1))" >"$STATE/conf.d/resource.toml"
    confargs=(-c "$STATE/conf.d")
  fi
  setsid "$FLUX" start "${confargs[@]}" -Srundir="$RUNDIR" -Slog-filename="$STATE/broker.log" sleep inf \
    </dev/null >"$STATE/start.out" 2>&1 9>&- &
  echo $! >"$PIDF"
  say "started broker pid $(cat "$PIDF")"
fi
deadline=$(($(date +%s) + TIMEOUT))
until answers && ready; do
  alive || die "flux start exited: $(tail -n 3 "$STATE/start.out" | tr '\n' ' ')"
  (($(date +%s) < deadline)) || die "instance at $URI not ready after ${TIMEOUT}s (see $STATE/broker.log)"
  sleep 0.1
done
# --- 3. job shell defaults -------------------------------------------------------------------------
# The instance advertises $CORES cores (resource.noverify), more than this machine may have: binding a
# task to an absent core fails, and the job shell says so on the job's stderr. So jobs that do not ask
# for cpu-affinity are not bound (a wrapper initrc, then Flux's own).
if [[ "$CORES" != 0 ]]; then
  initrc="$(FLUX_URI=$URI "$FLUX" getattr conf.shell_initrc)"
  if [[ "$initrc" != "$STATE/initrc.lua" ]]; then
    printf '%s\n' "-- written by scripts/flux/start-dev-instance.sh: no CPU binding unless a job asks for it" \
      'if shell.options["cpu-affinity"] == nil then shell.options["cpu-affinity"] = "off" end' \
      "source \"$initrc\"" >"$STATE/initrc.lua"
    FLUX_URI=$URI "$FLUX" setattr conf.shell_initrc "$STATE/initrc.lua" || die "cannot set conf.shell_initrc"
  fi
fi
printf '%s\n' "$URI" >"$STATE/uri.tmp" && mv "$STATE/uri.tmp" "$STATE/uri"
printf 'export FLUX_URI=%q PATH=%q:$PATH\n' "$URI" "$(dirname "$FLUX")" >"$STATE/env"
say "ready in $(ms) ms: flux $(FLUX_URI=$URI "$FLUX" version | awk '/^broker/{print $2}')," \
  "$(FLUX_URI=$URI "$FLUX" resource list -s up -no '{ncores} cores on {nodelist}'); URI also in $STATE/uri"
echo "FLUX_URI=$URI"
