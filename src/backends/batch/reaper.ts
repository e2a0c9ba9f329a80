/**
 * The Perl "reaper" every generated batch script runs its command under.
 *
 * Bash cannot tell `exit 139` from death by SIGSEGV (both give `$? = 139`) and does not survive
 * the `SIGTERM` a scheduler sends on cancel or time-out unless it traps it. The reaper (Perl is
 * part of every Linux base system: `perl-base` is Essential in Debian) forks and execs the command
 * (execvp, no shell), survives the signals that the scheduler delivers to the whole job, waits for
 * the raw wait status and writes it atomically (temp file + rename) to the status file, then exits
 * the same way the command did, so that the scheduler's own exit code agrees with the file. Once
 * the exec succeeded (a close-on-exec pipe reports failures) it creates `STATUS.started`, by which
 * the backend tells "the command runs" from "the batch script runs".
 *
 * Status file: see `status-file.ts`.
 *
 * It runs once per job on the compute node, so it loads no module on the normal path (`POSIX`
 * and `Errno` cost ~20 ms of start-up each time, more than the rest): `Errno` is loaded only to
 * name an exec failure or after an interrupted read, `POSIX` only for `_exit` in a child whose
 * exec failed.
 *
 * Arguments: `STATUS FLAGS NENV [NAME=VALUE]... COMMAND [ARG]...`. The command's environment is
 * exactly the scheduler's variables (those of {@link ReaperProfile.variables}) plus the NENV
 * assignments (the job's environment, passed as arguments so that no shell touches it: bash alone
 * would add `_`, `SHLVL`, `PWD`, and cannot hold names such as `A-B`). FLAGS holds `t` when this
 * is one task of a multi-task launch (`srun`, ...): the status then goes to
 * `STATUS.task.<rank>`, the rank read from {@link ReaperProfile.rankVariable}, and
 * `JOBFUTURES_TASK_RANK` is set from it. When STATUS starts with `+`, every argument carries a
 * `+` prefix, which is dropped: that is how they pass through a launcher such as `srun`, which
 * takes a lone `:` anywhere on its command line for a heterogeneous step separator.
 *
 * @module
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { isShellName } from './quote.js';
import type { SchedulerVariables } from './scheduler-variables.js';

/** What the reaper needs to know about the scheduler. */
export interface ReaperProfile {
  /** The variables the scheduler sets in a job: the command keeps them. */
  readonly variables: SchedulerVariables;
  /** The variable holding a task's rank in a multi-task launch (Slurm: `SLURM_PROCID`). */
  readonly rankVariable: string;
}

/**
 * Perl source of the reaper for one scheduler, run as `perl -e SOURCE -- args...`.
 *
 * @throws {@link InvalidArgumentError} (from the name check) when `rankVariable` is not a shell name.
 */
export function reaperSource(profile: ReaperProfile): string {
  const { variables } = profile;
  if (!isShellName(profile.rankVariable)) throw new InvalidArgumentError('rankVariable', `'${profile.rankVariable}' is not a variable name`);
  const rank = profile.rankVariable;
  return String.raw`use strict;
if (substr($ARGV[0], 0, 1) eq '+') { $_ = substr($_, 1) for @ARGV; }
my ($st, $fl, $n) = splice(@ARGV, 0, 3);
%ENV = map { $_ => $ENV{$_} } grep { /${variables.perlRegex}/ } keys %ENV;
for (1 .. $n) { my $kv = shift @ARGV; my $i = index($kv, '='); $ENV{substr($kv, 0, $i)} = substr($kv, $i + 1); }
if ($fl =~ /t/) { my $r = defined $ENV{${rank}} ? $ENV{${rank}} : 0; $st .= ".task.$r"; $ENV{JOBFUTURES_TASK_RANK} = $r; }
my @sigs = grep { exists $SIG{$_} } qw(HUP INT QUIT USR1 USR2 PIPE ALRM TERM STKFLT XCPU XFSZ VTALRM PROF IO PWR SYS ABRT);
$SIG{$_} = sub {} for @sigs;
pipe(my $r, my $w) or die "jobfutures: pipe: $!\n";
my $pid = fork;
die "jobfutures: fork: $!\n" unless defined $pid;
if ($pid == 0) {
  close $r; { no warnings; exec { $ARGV[0] } @ARGV; }
  my ($no, $text) = ($! + 0, "$!"); require Errno; require POSIX;
  my $e = ($no == Errno::ENOENT() || $no == Errno::ENOTDIR()) ? 'ENOENT' : ($no == Errno::EACCES() || $no == Errno::EPERM()) ? 'EACCES' : 'EOTHER';
  syswrite $w, "$e $text"; POSIX::_exit($e eq 'ENOENT' ? 127 : 126);
}
close $w; my $err = '';
for (;;) { last if defined sysread($r, $err, 4096, length $err); my $no = $! + 0; require Errno; last unless $no == Errno::EINTR(); }
close $r;
if ($err eq '' && (!defined $ENV{${rank}} || $ENV{${rank}} eq '0' || $fl !~ /t/)) { my $m = $st; $m =~ s/\.task\.\d+$//; if (open(my $fh, '>', "$m.started")) { close $fh; } }
my $got = waitpid($pid, 0);
while ($got == -1) { my $no = $! + 0; require Errno; last unless $no == Errno::EINTR(); $got = waitpid($pid, 0); }
my $ws = $got == $pid ? ($? & 0xff7f) : (1 << 8);
my $text = "$ws\n";
if ($err ne '') {
  my ($code, $msg) = split / /, $err, 2;
  my $why = $code eq 'ENOENT' ? "$ARGV[0]: command not found" : $code eq 'EACCES' ? "$ARGV[0]: permission denied" : "$ARGV[0]: $msg";
  $text .= "exec $why\n"; print STDERR "jobfutures: cannot start $why\n";
}
my $tmp = "$st.tmp.$$";
if (open(my $fh, '>', $tmp)) { print $fh $text; close($fh) && rename($tmp, $st) or print STDERR "jobfutures: cannot write $st: $!\n"; }
else { print STDERR "jobfutures: cannot write $tmp: $!\n"; }
my $sig = $ws & 127;
if ($sig) {
  exit(128 + $sig) if grep { $_ == $sig } (3, 4, 5, 6, 7, 8, 11, 24, 25, 31);
  $SIG{$_} = 'DEFAULT' for @sigs; kill $sig, $$; exit(128 + $sig);
}
exit($ws >> 8);
`;
}
