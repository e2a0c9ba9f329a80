#!/usr/bin/env bash
# Starts a single-host Grid Engine dev cluster (Son of Grid Engine 8.1.9, Debian 12 packages
# gridengine-master/-exec/-client) on this host, root, no systemd, for the jobfutures SGE
# backend tests: one cell `default`, queue all.q, parallel environments smp and mpi.
#
# Idempotent: a running qmaster/execd is left alone, the configuration is (re-)applied. Exits 0
# once a probe job went through the queue, non-zero with a clear message otherwise.
# Coexists with the Slurm dev cluster (SGE uses ports 6444/6445, Slurm 6817/6818).
#
# Environment (all optional):
#   JOBF_SGE_SLOTS    slots of all.q on this host (default 16; most test jobs are sleeps)
#   JOBF_SGE_TIMEOUT  seconds to wait for each daemon / the probe job (default 30)
set -euo pipefail

SLOTS="${JOBF_SGE_SLOTS:-16}"
TIMEOUT="${JOBF_SGE_TIMEOUT:-30}"
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
COMMON="$SGE_ROOT/$SGE_CELL/common"
QM_SPOOL=/var/spool/gridengine/qmaster
EX_SPOOL=/var/spool/gridengine/execd
APT_LOG=/tmp/jobf-sge-apt.log
t0=$(date +%s%N)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

say() { printf 'start-dev-cluster(sge): %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  for f in "$QM_SPOOL/messages" "$EX_SPOOL"/*/messages; do
    if [[ -f "$f" ]]; then say "--- last lines of $f:"; tail -n 10 "$f" >&2; fi
  done
  exit 1
}
# alive PIDFILE COMM: the pid runs and is COMM (a zombie or a reused pid does not count:
# stopped daemons linger as zombies re-parented to PID 1, which reaps late here).
alive() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]]
}
execd_alive() { local f; for f in "$EX_SPOOL"/*/execd.pid; do alive "$f" sge_execd && return 0; done; return 1; }
# Name of the process listening on TCP port $1, if any.
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*"' | head -n 1 | cut -d'"' -f2 || true; }
# wait_for SECONDS CMD...: polls CMD every 0.1 s.
wait_for() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000)); shift
  until "$@"; do (($(date +%s%N) < deadline)) || return 1; sleep 0.1; done
}

[[ "$(id -u)" == 0 ]] || die "must run as root (it installs packages and starts daemons)"
HOST="$(hostname -s)"
getent hosts "$HOST" >/dev/null || { say "adding $HOST to /etc/hosts"; echo "127.0.0.1 $HOST" >>/etc/hosts; }

# --- 1. packages ------------------------------------------------------------------------------
pkgs=(gridengine-master gridengine-exec gridengine-client)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  # Without the preseed, the postinst scripts create no cell (then step 2 does it).
  for p in gridengine-common gridengine-master; do
    printf '%s\n' "$p shared/gridengineconfig boolean true" "$p shared/gridenginecell string $SGE_CELL" \
      "$p shared/gridenginemaster string $HOST" | debconf-set-selections
  done
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
      --no-install-recommends "${pkgs[@]}" >"$APT_LOG" 2>&1
  }
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! apt_install; then
    say "apt-get update"
    apt-get update -q -o DPkg::Lock::Timeout=300 >"$APT_LOG" 2>&1 || { cat "$APT_LOG" >&2; die "apt-get update failed"; }
    apt_install || { tail -n 20 "$APT_LOG" >&2; die "apt-get install ${pkgs[*]} failed"; }
  fi
fi
getent passwd sgeadmin >/dev/null || die "user sgeadmin missing (gridengine-common postinst failed?)"

# --- 2. cell, host names ------------------------------------------------------------------------
if [[ ! -f "$COMMON/bootstrap" || ! -e /var/spool/gridengine/spooldb/sge ]]; then
  say "initialising cell $SGE_CELL"
  install -d -o sgeadmin -g sgeadmin -m 755 "$SGE_ROOT/$SGE_CELL" "$COMMON" "$QM_SPOOL" \
    "$QM_SPOOL/job_scripts" /var/spool/gridengine/spooldb "$EX_SPOOL"
  [[ -f "$COMMON/bootstrap" ]] || install -m 0644 -o sgeadmin -g sgeadmin /usr/share/gridengine/default-bootstrap "$COMMON/bootstrap"
  su -s /bin/sh -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL /var/spool/gridengine/spooldb sgeadmin" sgeadmin \
    >>"$APT_LOG" 2>&1 || die "init_cluster failed, see $APT_LOG"
fi
# The host resolves to 127.0.0.1, whose reverse name is `localhost`: without the alias commlib
# refuses clients ("client IP resolved to host name localhost. This is not identical ...").
echo "$HOST" >"$COMMON/act_qmaster"
echo "$HOST localhost" >"$COMMON/host_aliases"
# sge_qmaster runs as sgeadmin and rewrites act_qmaster at start-up.
chown sgeadmin:sgeadmin "$COMMON/act_qmaster" "$COMMON/host_aliases"
install -d -o sgeadmin -g sgeadmin /var/run/gridengine "$EX_SPOOL"

# A job's environment is sge_execd's plus SGE's own variables: start the daemons with a minimal
# fixed one, so that nothing of the caller's shell leaks into jobs.
CLEANENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "SGE_ROOT=$SGE_ROOT" "SGE_CELL=$SGE_CELL")

# --- 3. sge_qmaster -----------------------------------------------------------------------------
if ! alive "$QM_SPOOL/qmaster.pid" sge_qmaster; then
  o="$(port_owner 6444)"
  [[ -z "$o" || "$o" == sge_qmaster ]] || die "port 6444 (sge_qmaster) is in use by $o"
  say "starting sge_qmaster"
  "${CLEANENV[@]}" /usr/sbin/sge_qmaster || die "sge_qmaster failed to start"
fi
wait_for "$TIMEOUT" eval 'qstat >/dev/null 2>&1' || die "sge_qmaster not reachable after ${TIMEOUT}s: $(qstat 2>&1 | head -n 1)"

# --- 4. configuration (all through files: qconf -M*/-A* need no editor) -------------------------
qconf -sconf global >"$TMP/global"
# min_uid/min_gid 0: root may run jobs. login_shells none: `-b y` jobs run as `bash -c`, not as
# login shells sourcing ~/.profile. Short load report and accounting flush times: qacct lags less.
sed -i -e 's/^min_uid .*/min_uid                      0/' -e 's/^min_gid .*/min_gid                      0/' \
  -e 's/^load_report_time .*/load_report_time             00:00:05/' \
  -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' \
  -e 's/^login_shells .*/login_shells                 none/' "$TMP/global"
if ! qconf -sconf global | cmp -s - "$TMP/global"; then
  (cd "$TMP" && qconf -Mconf global >/dev/null 2>&1) # the file must be named `global`
fi
qconf -sconf global | grep -q '^min_uid  *0$' || die "could not set min_uid 0 (root's jobs would be refused)"
qconf -ssconf >"$TMP/sched"
sed -i -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
  -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' \
  -e 's/^job_load_adjustments .*/job_load_adjustments              NONE/' \
  -e 's/^load_adjustment_decay_time .*/load_adjustment_decay_time        0:0:0/' "$TMP/sched"
qconf -ssconf | cmp -s - "$TMP/sched" || qconf -Msconf "$TMP/sched" >/dev/null 2>&1
qconf -sel 2>/dev/null | grep -qx "$HOST" || {
  printf '%s\n' "hostname $HOST" 'load_scaling NONE' 'complex_values NONE' 'user_lists NONE' 'xuser_lists NONE' \
    'projects NONE' 'xprojects NONE' 'usage_scaling NONE' 'report_variables NONE' >"$TMP/eh"
  qconf -Ae "$TMP/eh" >/dev/null 2>&1 || die "could not add exec host $HOST"
}
qconf -ss 2>/dev/null | grep -qx "$HOST" || qconf -as "$HOST" >/dev/null 2>&1 || die "could not add submit host $HOST"
# smp: all slots on one host ($pe_slots); mpi: slots may span hosts ($fill_up), NSLOTS and
# PE_HOSTFILE for mpirun.
for pe in 'smp:$pe_slots' 'mpi:$fill_up'; do
  qconf -spl 2>/dev/null | grep -qx "${pe%%:*}" && continue
  printf '%s\n' "pe_name ${pe%%:*}" 'slots 9999' 'user_lists NONE' 'xuser_lists NONE' 'start_proc_args NONE' \
    'stop_proc_args NONE' "allocation_rule ${pe#*:}" 'control_slaves TRUE' 'job_is_first_task FALSE' \
    'urgency_slots min' 'accounting_summary FALSE' 'qsort_args NONE' >"$TMP/pe"
  qconf -Ap "$TMP/pe" >/dev/null 2>&1 || die "could not add parallel environment ${pe%%:*}"
done
# shell_start_mode unix_behavior: the script runs by its #! line, not as a login shell of the
# queue's shell (posix_compliant, the default, sources root's ~/.profile in every job).
want_q=(
  "qname all.q" "hostlist $HOST" "seq_no 0" "load_thresholds NONE" "suspend_thresholds NONE" "nsuspend 1"
  "suspend_interval 00:05:00" "priority 0" "min_cpu_interval 00:05:00" "processors UNDEFINED"
  "qtype BATCH INTERACTIVE" "ckpt_list NONE" "pe_list mpi smp" "rerun FALSE" "slots $SLOTS" "tmpdir /tmp"
  "shell /bin/bash" "prolog NONE" "epilog NONE" "shell_start_mode unix_behavior" "starter_method NONE"
  "suspend_method NONE" "resume_method NONE" "terminate_method NONE" "notify 00:00:60" "owner_list NONE"
  "user_lists NONE" "xuser_lists NONE" "subordinate_list NONE" "complex_values NONE" "projects NONE"
  "xprojects NONE" "calendar NONE" "initial_state default"
)
for l in s_rt h_rt s_cpu h_cpu s_fsize h_fsize s_data h_data s_stack h_stack s_core h_core s_rss h_rss s_vmem h_vmem; do
  want_q+=("$l INFINITY")
done
printf '%s\n' "${want_q[@]}" >"$TMP/q"
if ! qconf -sql 2>/dev/null | grep -qx all.q; then
  qconf -Aq "$TMP/q" >/dev/null 2>&1 || die "could not create queue all.q"
elif ! diff -q <(qconf -sq all.q | awk '{ $1 = $1; print }' | sort) <(sort "$TMP/q") >/dev/null; then
  say "updating queue all.q"
  qconf -Mq "$TMP/q" >/dev/null 2>&1 || die "could not update queue all.q"
fi
qconf -sq all.q | grep -q '^shell_start_mode  *unix_behavior' || die "queue all.q: could not set shell_start_mode"

# --- 5. sge_execd ---------------------------------------------------------------------------------
if ! execd_alive; then
  o="$(port_owner 6445)"
  [[ -z "$o" || "$o" == sge_execd ]] || die "port 6445 (sge_execd) is in use by $o"
  say "starting sge_execd"
  "${CLEANENV[@]}" /usr/sbin/sge_execd || die "sge_execd failed to start"
fi

# --- 6. wait until the queue takes a job ------------------------------------------------------------
# Queue instance with load values and no a(larm)/u(nknown)/d(isabled)/E(rror)/c(onfig) state.
q_ok() {
  qstat -f -q all.q 2>/dev/null | awk -v q="all.q@$HOST" '$1 == q { ok = ($4 != "-NA-") && !(NF >= 6 && $6 ~ /[audEc]/) } END { exit !ok }'
}
# An E state left by an earlier run (a job that exited 100, a failed shepherd) would stay forever.
qmod -c "all.q@$HOST" >/dev/null 2>&1 || true
wait_for "$TIMEOUT" q_ok || die "queue instance all.q@$HOST not ok after ${TIMEOUT}s: $(qstat -f -q all.q 2>&1 | tail -n 2)"
probe="$(qsub -terse -N jobf-probe -o /dev/null -e /dev/null -b y true 2>&1)" || die "probe qsub failed: $probe"
[[ "$probe" =~ ^[0-9]+$ ]] || die "probe qsub printed '$probe', not a job id"
wait_for "$TIMEOUT" eval '! qstat -j "$probe" >/dev/null 2>&1' || {
  qdel "$probe" >/dev/null 2>&1 || true
  die "probe job $probe did not run within ${TIMEOUT}s: $(qstat -j "$probe" 2>&1 | grep -E '^(scheduling info|error reason)' | head -n 3)"
}
say "ready: queue all.q@$HOST, $SLOTS slots, PEs smp mpi (probe job $probe ran), in $((($(date +%s%N) - t0) / 1000000)) ms"
