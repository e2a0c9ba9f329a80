#!/usr/bin/env bash
# Starts a single-node Slurm dev cluster on this host (Debian 12, root, no systemd) for the
# jobfutures Slurm backend tests: munged, slurmctld and slurmd, started by hand.
#
# Idempotent: a running, healthy cluster with the same configuration is left alone; missing
# daemons are started; a changed configuration restarts the Slurm daemons. Exits 0 once `sinfo`
# shows the node idle (or busy), non-zero with a clear message otherwise.
#
# Environment (all optional):
#   JOBF_SLURM_CPUS     CPUs the node advertises (default 16; the machine may have fewer cores)
#   JOBF_SLURM_TIMEOUT  seconds to wait for the node to become idle (default 60)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
CPUS="${JOBF_SLURM_CPUS:-16}"
TIMEOUT="${JOBF_SLURM_TIMEOUT:-60}"
CONF=/etc/slurm/slurm.conf
RUN_DIR=/run/slurm
LOG_DIR=/var/log/slurm
t0=$(date +%s%N)

say() { printf 'start-dev-cluster: %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
    if [[ -f "$f" ]]; then say "--- last lines of $f:"; tail -n 15 "$f" >&2; fi
  done
  exit 1
}
alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

[[ "$(id -u)" == 0 ]] || die "must run as root (it installs packages and starts daemons)"
HOST="$(hostname -s)"

# --- 1. packages -----------------------------------------------------------------------------
pkgs=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
      --no-install-recommends "${missing[@]}" >/tmp/jobf-slurm-apt.log 2>&1
  }
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! apt_install; then
    say "apt-get update"
    apt-get update -q -o DPkg::Lock::Timeout=300 >/tmp/jobf-slurm-apt.log 2>&1 ||
      { cat /tmp/jobf-slurm-apt.log >&2; die "apt-get update failed"; }
    apt_install || { tail -n 20 /tmp/jobf-slurm-apt.log >&2; die "apt-get install ${missing[*]} failed"; }
  fi
fi

# --- 2. host name, directories, configuration -------------------------------------------------
getent hosts "$HOST" >/dev/null || { say "adding $HOST to /etc/hosts"; echo "127.0.0.1 $HOST" >>/etc/hosts; }
mkdir -p /etc/slurm "$RUN_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd
new_conf="$(sed -e "s/@HOST@/$HOST/g" -e "s/@CPUS@/$CPUS/g" "$here/slurm.conf.template")"
conf_changed=0
if [[ ! -f "$CONF" ]] || [[ "$(cat "$CONF")" != "$new_conf" ]]; then
  conf_changed=1
  printf '%s\n' "$new_conf" >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
  say "wrote $CONF (CPUs=$CPUS)"
fi
# A changed configuration needs the Slurm daemons restarted (slurmd must re-register its CPUs).
if ((conf_changed)) && { alive "$RUN_DIR/slurmctld.pid" || alive "$RUN_DIR/slurmd.pid"; }; then
  say "configuration changed: restarting slurmctld and slurmd"
  "$here/stop-dev-cluster.sh" slurmd slurmctld
fi

# --- 3. munge ---------------------------------------------------------------------------------
mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  say "creating /etc/munge/munge.key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  su -s /bin/sh munge -c /usr/sbin/munged || die "munged failed to start"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null 2>&1 || die "munge does not work (munge -n | unmunge fails)"
fi

# --- 4. slurmctld, slurmd ---------------------------------------------------------------------
if ! alive "$RUN_DIR/slurmctld.pid"; then
  say "starting slurmctld"
  /usr/sbin/slurmctld || die "slurmctld failed to start"
fi
if ! alive "$RUN_DIR/slurmd.pid"; then
  say "starting slurmd"
  /usr/sbin/slurmd || die "slurmd failed to start"
fi

# --- 5. wait until the node is usable ---------------------------------------------------------
deadline=$(($(date +%s) + TIMEOUT))
state=""
resumed=0
while :; do
  state="$(sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -n 1 || true)"
  case "$state" in
    idle | mixed | allocated | completing) break ;;
    down* | drain* | drained* | fail*)
      # A node left DOWN by an earlier run (e.g. "Not responding") comes back once told to.
      if ((!resumed)); then scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true; resumed=1; fi ;;
  esac
  (($(date +%s) < deadline)) || die "node $HOST not idle after ${TIMEOUT}s (sinfo state: '${state:-sinfo failed}')"
  sleep 0.2
done
say "ready: node $HOST $state, $(sinfo -h -n "$HOST" -o '%c') CPUs, in $((($(date +%s%N) - t0) / 1000000)) ms"
