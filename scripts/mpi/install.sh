#!/usr/bin/env bash
# Installs Open MPI and MPICH from Debian (launchers and compiler wrappers: `mpirun.openmpi`,
# `mpicc.openmpi`, `mpiexec.mpich`, `mpicc.mpich`) for the MPI tests, only what is missing.
# Idempotent and quiet: prints one line, exits 0 when both are usable, non-zero with a reason otherwise.
# Needs root when something is missing (apt-get). There is no daemon to start or stop.
set -euo pipefail
say() { printf 'mpi-install: %s\n' "$*" >&2; }
pkgs=(openmpi-bin libopenmpi-dev mpich libmpich-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ "$(id -u)" == 0 ]] || { say "ERROR: ${missing[*]} missing and not root (apt-get needs root)"; exit 1; }
  log=/tmp/jobf-mpi-apt.log
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
      --no-install-recommends "${missing[@]}" >"$log" 2>&1
  }
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! apt_install; then
    apt-get update -q -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || { tail -n 20 "$log" >&2; say "ERROR: apt-get update failed"; exit 1; }
    apt_install || { tail -n 20 "$log" >&2; say "ERROR: apt-get install ${missing[*]} failed"; exit 1; }
  fi
  say "installed ${missing[*]}"
fi
for tool in mpirun.openmpi mpicc.openmpi mpiexec.mpich mpicc.mpich; do
  command -v "$tool" >/dev/null || { say "ERROR: $tool not found after installing ${pkgs[*]}"; exit 1; }
done
echo "mpi-install: OK: $(mpirun.openmpi --version 2>/dev/null | head -n 1), MPICH $(mpiexec.mpich --version 2>/dev/null | awk '/Version:/ { print $2; exit }')"
