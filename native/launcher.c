/*
 * jobf-launcher: a small long-lived process that starts jobs for jobfutures on request.
 *
 * Spawning from a large Node process is slow (libuv forks the whole address space and runs its
 * child setup on the event loop), so the local backend keeps this tiny process around and asks it
 * to vfork() and exec jobs instead. Every event it reports is the real thing: the pid vfork()
 * returned, the errno that stopped a start, the wait status waitpid() returned.
 *
 * Linux/glibc, C99 + POSIX threads + a few GNU extensions (signalfd, prctl).
 * Build: cc -O2 -Wall -Wextra -pthread -o native/build/jobf-launcher native/launcher.c
 *        (add -DJOBF_STATS for timing counters appended to /tmp/jobf-launcher-stats.txt at exit)
 * Usage: jobf-launcher [PARENT_PID [keep] [map]]   (PARENT_PID: the process expected to be our parent;
 *        keep: see LIFETIME; map: fd 3 is the STARTED MAP)
 *
 * PROTOCOL. All integers are little-endian. The parent writes requests to our stdin:
 *
 *   u32 length                      bytes that follow this field (1 .. 64 MiB)
 *   u8  op                          'S' spawn, 'E' define environment, 'F' forget environment, 'K' kill,
 *                                   'W' withdraw a standby request, 'P' promote one
 *
 *   'E' u32 id (1 .. 1000000), u32 count, then `count` NUL-terminated strings "KEY=VALUE".
 *       Registers a base environment once, so it is not resent for every process. Redefining an
 *       id replaces it (processes already requested keep the old one).
 *   'F' u32 id.  Forgets a base environment.
 *   'S' u32 key, i32 pgid, u32 env id (0: empty base), u16 argc (>= 1), u16 nextra, u8 flags,
 *       u16 class, then NUL-terminated strings: argv[argc], extra[nextra] ("KEY=VALUE", overriding the base),
 *       cwd (flag 1), stdin path (flag 2; /dev/null otherwise), stdout path,
 *       stderr path (absent with flag 4: stderr shares stdout's open file); flag 8: open stdout
 *       and stderr for appending instead of truncating them.
 *       LAZY OUTPUT. Flag 32 (not with flag 8): create the stdout/stderr files only once something
 *       is written to them. The process gets an unnamed file (O_TMPFILE) in the path's folder; it is
 *       linked at its path as soon as it is seen non-empty (checked every LAZY_CHECK_MS while the
 *       process runs, and when it is reaped, before its EXITED reply), and a file that is still
 *       empty when the process is reaped is never made (a file already at the path is removed, as
 *       truncating it would have emptied it). Creating a file is the dearest part of starting a
 *       short job on ext4; most jobs write nothing to stderr, many nothing at all. Where O_TMPFILE
 *       or /proc/self/fd is unavailable, the files are made at once as without the flag. Output
 *       written after the process is reaped, by processes it left behind, reaches the file only if
 *       the file had been made by then. The process writes through a description of its own
 *       (a reopening), so that an unnamed file still empty when it is reaped can be reused for a
 *       later process once nothing else holds it (SPARE FILES, below).
 *       pgid 0: the process leads a new group; > 0: it joins that group, which must be one this
 *       launcher started and which still has members.
 *       HAND-OFF. class > 0: when this process exits, it hands its slot to the oldest standby
 *       request if that one has the same class: the standby starts at once, without waiting for our
 *       parent to hear of the exit and ask. Flag 16 (standby): do not start this request now; hold
 *       it, first in first out, until a process of its class hands it a slot, or 'P' or 'W'.
 *   'W' u32 key. Withdraws a request that has not started: a standby not handed a slot yet, or a
 *       request still waiting for a worker thread (WITHDRAWN is the reply); one that is starting or
 *       has started is answered as usual.
 *   'P' u32 key. Starts a standby request now (the parent found it a slot); no reply of its own,
 *       and nothing happens if it was handed a slot already.
 *   'K' u32 pid, u8 signal, u8 group. Sends the signal to the process (only if it is one of ours
 *       and not yet reaped) or to the process group (only if it is one of ours and still has
 *       members), so a recycled pid is never signalled.
 *   'R' u32 key, u8 signal. Sends the signal to the process group of request `key` if it has started
 *       and is not reaped yet; if it is being started (vfork in flight), as soon as its pid is known.
 *       The parent sends it only for a request the STARTED MAP shows as started (see below), whose
 *       pid it has not heard of yet, so that a signal never waits for a process that may not come.
 *
 * STARTED MAP. With the argument `map`, fd 3 (a regular file, the parent's, unlinked) is mapped shared: u32 entry
 * `key` is set to the request's sequence number (1 for the first 'S' frame read, 2 for the next...)
 * the moment a worker takes the request to start it, before vfork(). The parent reads the entry
 * with pread() to know, without a round trip, whether a request it has not heard of has a process
 * (or is getting one): entries for keys beyond the file's size are not kept.
 *
 * We write replies to stdout as fixed 24-byte records:
 *
 *   u8 type, u8 phase, u16 zero, u32 key, u32 pid, i32 value, u32 seconds, u32 nanoseconds
 *     (the time, CLOCK_REALTIME, of what the record reports: for SPAWNED the moment just before the
 *     vfork() that started the process, for EXITED and HANDED the moment it was reaped; else 0)
 *     type 1 SPAWNED   pid = the process id
 *     type 2 FAILED    value = errno; phase = what failed: 0 exec (resolving/executing argv[0]),
 *                      1 cwd, 2 stdin, 3 stdout, 4 stderr, 5 pgid (group to join is not ours/gone);
 *                      resource errors (EAGAIN, ENOMEM, E2BIG ...) are reported with phase 0
 *     type 3 EXITED    pid, value = wait status as returned by waitpid()
 *     type 4 WITHDRAWN a standby request was withdrawn, never started
 *     type 5 HANDED    key = a standby request that was just handed the slot of process `pid`,
 *                      whose EXITED is the next reply; its own SPAWNED or FAILED follows later
 *   For a key, SPAWNED comes before EXITED and FAILED is the only reply for a key that did not
 *   start. Replies for different keys may come in any order (spawns run in parallel).
 *
 * EXECUTABLE LOOKUP follows execvpe(): a name containing '/' is used as is (relative to the new
 * cwd); otherwise each entry of the PATH of the request's environment is tried in turn
 * ("/bin:/usr/bin" when it has none), EACCES is remembered and reported if nothing else is found,
 * and a file the kernel refuses with ENOEXEC is run with /bin/sh, like execvp() and Node do.
 * Redirect files are opened by us (stdout/stderr O_CREAT|O_TRUNC, mode 0666 & ~umask) and dup2'ed
 * by the child, which also joins its process group and changes to the cwd, and reports which of
 * these steps failed.
 *
 * THREADS. The main thread reads requests, reaps (signalfd + waitpid(-1, WNOHANG)) and handles
 * kills; up to MAX_WORKERS worker threads call vfork(), which blocks its caller until the
 * child has exec'ed, which on a busy machine is ~1 ms of waiting for a CPU, so
 * spawning from one thread caps throughput; several spawns in flight overlap those waits. A child
 * may exit and be reaped before its worker has recorded its pid: such exits are kept aside and
 * claimed by the worker (see `struct early`).
 *
 * LIFETIME. We exit, after SIGKILLing every process group we started and every orphaned
 * descendant reparented to us (we are a child subreaper), and reaping them (their EXITED replies
 * are still written), when: stdin reaches EOF (the parent closed it, or died, even by kill -9),
 * stdout breaks, we get SIGTERM, SIGINT or SIGHUP, or our parent dies (PR_SET_PDEATHSIG). Requests
 * read but not yet started at that point are dropped without a reply (they were never acted on).
 * With a second argument `keep` (a persistent job store), stdin EOF and a broken stdout make us
 * exit WITHOUT killing anything, and we do not ask for PR_SET_PDEATHSIG: the jobs outlive their
 * owner and are followed later through their recorded exit status. SIGTERM still kills.
 * Exit status: 0 after an orderly shutdown, 2 after a protocol error, 1 after a system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (64u * 1024u * 1024u)
#define REPLY_SIZE 24
#define MAX_WORKERS 8
#define WORKER_STACK (256u * 1024u)
#define PATH_BUF 8192

enum { R_SPAWNED = 1, R_FAILED = 2, R_EXITED = 3, R_WITHDRAWN = 4, R_HANDED = 5 };
enum { PH_EXEC = 0, PH_CWD = 1, PH_STDIN = 2, PH_STDOUT = 3, PH_STDERR = 4, PH_PGID = 5 };
enum { F_CWD = 1, F_STDIN = 2, F_SHARED = 4, F_APPEND = 8, F_STANDBY = 16, F_LAZY = 32 };
#define LAZY_CHECK_MS 100
#define SPAWN_HEADER 19

/* ---------------------------------------------------------------------------------------------- */
/* Small utilities                                                                                 */

static void die(int code, const char *what) {
  fprintf(stderr, "jobf-launcher: %s: %s\n", what, strerror(errno));
  exit(code);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    errno = ENOMEM;
    die(1, "out of memory");
  }
  return q;
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void realtime(struct timespec *ts) { clock_gettime(CLOCK_REALTIME, ts); }

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#ifdef JOBF_STATS
static double st_spawn, st_poll, st_queue_wait, st_turnaround, st_last_exit_flush;
static unsigned long st_nspawn, st_npoll, st_nwrite, st_nearly, st_nturn;
#define STAT(x) x
#else
#define STAT(x) (void)0
#endif

/* ---------------------------------------------------------------------------------------------- */
/* An open-addressing hash table keyed by pid (> 0), linear probing, backward-shift deletion.     */
/* procs:  pid  -> a = key, b = pgid                (processes started and not yet reaped)          */
/* groups: pgid -> a = live members we started, b = 1 when lingering (no member of ours left but   */
/*                the group still had members when we last looked)                                  */

struct slot {
  pid_t k;
  uint32_t a;
  int32_t b;
  uint32_t c; /* procs: hand-off class (0: none) */
};

struct table {
  struct slot *s;
  size_t cap; /* power of two */
  size_t n;
};

static size_t slot_of(const struct table *t, pid_t k) {
  return ((uint32_t)k * 2654435761u) & (t->cap - 1);
}

static struct slot *tget(struct table *t, pid_t k) {
  if (t->n == 0) return NULL;
  for (size_t i = slot_of(t, k);; i = (i + 1) & (t->cap - 1)) {
    if (t->s[i].k == k) return &t->s[i];
    if (t->s[i].k == 0) return NULL;
  }
}

static void tgrow(struct table *t);

/* Finds k or inserts it (zeroed). */
static struct slot *tput(struct table *t, pid_t k) {
  if ((t->n + 1) * 2 > t->cap) tgrow(t);
  size_t i = slot_of(t, k);
  for (;; i = (i + 1) & (t->cap - 1)) {
    if (t->s[i].k == k) return &t->s[i];
    if (t->s[i].k == 0) break;
  }
  t->s[i].k = k;
  t->s[i].a = 0;
  t->s[i].b = 0;
  t->n++;
  return &t->s[i];
}

static void tgrow(struct table *t) {
  struct table old = *t;
  t->cap = old.cap ? old.cap * 2 : 256;
  t->s = xrealloc(NULL, t->cap * sizeof *t->s);
  memset(t->s, 0, t->cap * sizeof *t->s);
  t->n = 0;
  for (size_t i = 0; i < old.cap; i++) {
    if (old.s[i].k != 0) *tput(t, old.s[i].k) = old.s[i];
  }
  free(old.s);
}

static void tdel(struct table *t, struct slot *victim) {
  size_t mask = t->cap - 1;
  size_t hole = (size_t)(victim - t->s);
  size_t i = hole;
  for (;;) {
    i = (i + 1) & mask;
    if (t->s[i].k == 0) break;
    size_t home = slot_of(t, t->s[i].k);
    /* Move s[i] into the hole unless its home lies cyclically in (hole, i]. */
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      t->s[hole] = t->s[i];
      hole = i;
    }
  }
  t->s[hole].k = 0;
  t->n--;
}

/* ---------------------------------------------------------------------------------------------- */
/* State. Everything below `mu` is guarded by it, except where noted.                              */

struct envset {
  char *blob;       /* the strings, back to back */
  char **vars;      /* pointers into blob, NULL-terminated */
  size_t n;
  const char *path; /* value of the first PATH= entry, or NULL */
  unsigned refs;    /* the registration + queued or running spawns using it */
};

/* One spawn request, parsed; one allocation holding the struct, argv/extra pointers and the frame. */
struct job {
  struct job *next;
#ifdef JOBF_STATS
  double queued_at;
#endif
  struct envset *env; /* NULL: empty base */
  uint32_t key;
  pid_t pgid;
  size_t argc, nextra;
  char **argv;  /* argc + 1 entries, then nextra entries (extra) */
  char **extra;
  const char *cwd, *in, *out, *err; /* err NULL: shares out */
  int append;                       /* open out/err with O_APPEND instead of O_TRUNC */
  int lazy;                         /* LAZY OUTPUT: make out/err only once written */
  uint16_t klass;                   /* hand-off class, 0: none */
  uint32_t seq;                     /* its 'S' frame's number, for the STARTED MAP */
};

/*
 * An exit reaped before the worker that spawned the process recorded its pid. `seq` is the number
 * of spawns started when it was reaped: only a spawn numbered <= seq can own it, and once every
 * such spawn has finished, an unclaimed entry was an orphan reparented to us, and is dropped.
 */
struct early {
  pid_t pid;
  int status;
  unsigned long seq;
  struct timespec t; /* when it was reaped */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t quiet_cv = PTHREAD_COND_INITIALIZER; /* nspawning dropped to 0 while stopping */

static struct table procs, groups;
static size_t nlingering;
static double last_probe;

struct worker;
static struct job *queue_head, *queue_tail;
static size_t nqueued;
static struct job *standby_head, *standby_tail; /* waiting for a slot to be handed to them */
static int stopping;
static int nworkers, nspawning;
static struct worker *idle_top;                  /* threads waiting for work, most recent first */
static unsigned long spawn_seq;                  /* spawns started */
static unsigned long inflight_seq[MAX_WORKERS]; /* per worker: seq of its spawn in flight, 0 none */
static uint32_t inflight_key[MAX_WORKERS];      /* per worker: key of its spawn in flight */
static uint64_t inflight_sigs[MAX_WORKERS];     /* per worker: signals ('R') for it once its pid is known */
static uint32_t *started_map;                   /* the STARTED MAP, NULL without one */
static size_t started_cap;                      /* entries it has */
static uint32_t spawn_frames;                   /* 'S' frames read (main thread) */
static struct early *earlies;
static size_t nearly, earlies_cap;

static uint8_t *out; /* replies not yet written */
static size_t out_len, out_cap;
static int stdout_broken;

/* Serializes writers of replies; taken before mu, never while holding it. Writing outside mu
 * keeps the wake-up of our parent (and a possible preemption by it) out of the critical section. */
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *wbuf; /* the buffer being written, owned by the holder of out_mu */
static size_t wbuf_cap;

/* Main thread only. */
static struct envset **envs; /* indexed by id */
static size_t nenvs;
static uint8_t *in;
static size_t in_len, in_cap;
static int sfd = -1;
static int have_proc_children = 1;

/* Read-only after setup. */
static int devnull_rd = -1, devnull_wr = -1;

/* ---------------------------------------------------------------------------------------------- */
/* Replies                                                                                         */

/* Writes the replies queued so far (call without mu). */
static void flush_replies(void) {
  pthread_mutex_lock(&out_mu);
  pthread_mutex_lock(&mu);
  uint8_t *buf = out;
  size_t len = out_len, cap = out_cap;
  out = wbuf;
  out_cap = wbuf_cap;
  out_len = 0;
  int broken = stdout_broken;
  pthread_mutex_unlock(&mu);
  wbuf = buf;
  wbuf_cap = cap;
  size_t off = 0;
  if (len > 0) STAT(st_nwrite++);
  while (off < len && !broken) {
    ssize_t w = write(STDOUT_FILENO, buf + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
        poll(&p, 1, -1);
        continue;
      }
      broken = 1; /* EPIPE and the like: the parent is gone; the main thread shuts down */
      pthread_mutex_lock(&mu);
      stdout_broken = 1;
      pthread_mutex_unlock(&mu);
      break;
    }
    off += (size_t)w;
  }
  pthread_mutex_unlock(&out_mu);
}

/* Queues a reply (under mu); t NULL: no time. */
static void reply(int type, int phase, uint32_t key, pid_t pid, int32_t value, const struct timespec *t) {
  if (out_len + REPLY_SIZE > out_cap) {
    out_cap = out_cap ? out_cap * 2 : 4096;
    out = xrealloc(out, out_cap);
  }
  uint8_t *r = out + out_len;
  r[0] = (uint8_t)type;
  r[1] = (uint8_t)phase;
  r[2] = 0;
  r[3] = 0;
  put_u32(r + 4, key);
  put_u32(r + 8, (uint32_t)pid);
  put_u32(r + 12, (uint32_t)value);
  put_u32(r + 16, t ? (uint32_t)t->tv_sec : 0);
  put_u32(r + 20, t ? (uint32_t)t->tv_nsec : 0);
  out_len += REPLY_SIZE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Process groups (under mu)                                                                       */

static int group_exists(pid_t pgid) { return kill(-pgid, 0) == 0 || errno == EPERM; }

/* A member we started left group g (reaped). */
static void group_member_gone(pid_t g) {
  struct slot *s = tget(&groups, g);
  if (!s) return;
  if (s->a > 0) s->a--;
  if (s->a > 0 || s->b) return;
  if (group_exists(g)) {
    s->b = 1; /* stragglers (e.g. background children) keep it alive: remember it for shutdown */
    nlingering++;
  } else {
    tdel(&groups, s);
  }
}

/* Forgets lingering groups that have emptied since we last looked. */
static void probe_lingering(void) {
  last_probe = now_seconds();
  for (size_t i = 0; i < groups.cap && nlingering > 0;) {
    struct slot *s = &groups.s[i];
    if (s->k != 0 && s->b && s->a == 0 && !group_exists(s->k)) {
      tdel(&groups, s);
      nlingering--;
      continue; /* another entry may have shifted into slot i */
    }
    i++;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Reaping (under mu)                                                                              */

static void enqueue(struct job *j) {
  j->next = NULL;
  if (queue_tail) queue_tail->next = j;
  else queue_head = j;
  queue_tail = j;
  nqueued++;
}

/* Unlinks the standby at *at (prev: the one before it, NULL for the head). */
static struct job *take_standby(struct job **at, struct job *prev) {
  struct job *j = *at;
  *at = j->next;
  if (standby_tail == j) standby_tail = prev;
  return j;
}

/* ---------------------------------------------------------------------------------------------- */
/* Lazy output (see LAZY OUTPUT)                                                                   */

/* An output file of a running process not made yet: an unnamed file and the path it gets. */
struct lazy_out {
  pid_t pid;
  int fd;
  char *path;
  int own; /* the process got a description of its own (a reopening): fd may be reused */
};

static int lazy_supported; /* O_TMPFILE files can be linked through /proc/self/fd (set at startup) */
/* The argument "keep": our processes outlive a parent that dies (a persistent job store follows them
 * later): on stdin EOF or a broken stdout we exit without killing them. SIGTERM still kills. */
static int keep_children;
static struct lazy_out *lazies; /* under mu */
static size_t nlazy, lazies_cap;
static double last_lazy_check;

/* Gives the unnamed file `fd` its name `path` (replacing a file there); 0 or an errno. */
static int lazy_link(int fd, const char *path) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  for (int attempt = 0; attempt < 2; attempt++) {
    if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0) return 0;
    if (errno != EEXIST) return errno;
    if (unlink(path) != 0 && errno != ENOENT) return errno; /* a file from before: truncating would have emptied it */
  }
  return EEXIST;
}

/* Whether the unnamed file has content (then it is linked: 1, and can be let go), else 0. */
static int lazy_settle_if_written(const struct lazy_out *o) {
  struct stat st;
  if (fstat(o->fd, &st) != 0 || st.st_size == 0) return 0;
  lazy_link(o->fd, o->path); /* on failure the output is lost, as a failed write would be */
  return 1;
}

/* Unnamed files let go of, handled by the main thread outside mu: closing the last descriptor of
 * one never linked frees its inode, as dear as creating it, which must not hold up the spawns and
 * exits waiting for mu. One still empty, that the process had through a description of its own,
 * may be kept for reuse instead (see SPARE FILES). */
struct unclosed_file {
  int fd;
  char *reuse_path; /* the path it was for, when it may be reused (else NULL) */
};
static struct unclosed_file *unclosed; /* under mu */
static size_t nunclosed, unclosed_cap;

static void lazy_drop(size_t i, int reusable) { /* under mu */
  if (nunclosed == unclosed_cap) {
    unclosed_cap = unclosed_cap ? unclosed_cap * 2 : 64;
    unclosed = xrealloc(unclosed, unclosed_cap * sizeof *unclosed);
  }
  unclosed[nunclosed].fd = lazies[i].fd;
  if (reusable && lazies[i].own) {
    unclosed[nunclosed].reuse_path = lazies[i].path;
  } else {
    unclosed[nunclosed].reuse_path = NULL;
    free(lazies[i].path);
  }
  nunclosed++;
  lazies[i] = lazies[--nlazy];
}

/*
 * SPARE FILES. Creating and freeing an unnamed file per stream and job is dear where ext4 runs
 * without a journal: each new inode is looked for past the recently freed ones, so a long fan-out
 * slows down as it goes (measured here: 66-130 us per O_TMPFILE open + close in a loop, against
 * 7-9 us to reopen one). So a process gets a description of its own of its unnamed file (reopened
 * through /proc/self/fd), and once it is reaped with the file still empty, the file is kept for
 * the next process whose output goes to the same folder, if a write lease can be had on it: the
 * kernel grants one only while no other description of the file is open, i.e. when nothing the
 * job left behind still holds it. Otherwise it is closed, as before.
 */
#define SPARES_MAX 64
struct spare {
  int fd;
  char *dir;
};
static struct spare spares[SPARES_MAX]; /* under spare_mu */
static int nspares;
static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;

/* The length of path's folder part ("/" for a file at the root), or 0 when it has none. */
static size_t dir_length(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return 0;
  return slash == path ? 1 : (size_t)(slash - path);
}

/* A spare file for path's folder (taken out of the pool), or -1. */
static int take_spare(const char *path) {
  size_t n = dir_length(path);
  int fd = -1;
  pthread_mutex_lock(&spare_mu);
  for (int i = nspares - 1; i >= 0; i--) {
    if (strlen(spares[i].dir) == n && memcmp(spares[i].dir, path, n) == 0) {
      fd = spares[i].fd;
      free(spares[i].dir);
      spares[i] = spares[--nspares];
      break;
    }
  }
  pthread_mutex_unlock(&spare_mu);
  return fd;
}

/* Keeps the empty unnamed file fd (made for `path`) as a spare if nothing else holds it open,
 * else closes it; frees `path`. Main thread, outside mu. */
static void keep_or_close(int fd, char *path) {
  struct stat st;
  int kept = 0;
  size_t n = dir_length(path);
  if (n > 0 && fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
    (void)fcntl(fd, F_SETLEASE, F_UNLCK);
    if (fstat(fd, &st) == 0 && st.st_size == 0) { /* nothing was written since it was reaped */
      int evicted = -1;
      char *evicted_dir = NULL;
      pthread_mutex_lock(&spare_mu);
      if (nspares == SPARES_MAX) { /* the oldest goes: outputs move on to other folders */
        evicted = spares[0].fd;
        evicted_dir = spares[0].dir;
        memmove(spares, spares + 1, (SPARES_MAX - 1) * sizeof *spares);
        nspares--;
      }
      path[n] = 0; /* the folder: the pool's key */
      spares[nspares].fd = fd;
      spares[nspares].dir = path;
      nspares++;
      kept = 1;
      pthread_mutex_unlock(&spare_mu);
      if (evicted >= 0) {
        close(evicted);
        free(evicted_dir);
      }
    }
  }
  if (!kept) {
    close(fd);
    free(path);
  }
}

/* The unnamed files let go of, moved to a batch the main thread handles once it has released mu
 * (close_batch); returns how many (under mu). */
static struct unclosed_file *closing;
static size_t closing_cap;
static size_t take_unclosed(void) {
  size_t n = nunclosed;
  if (n > closing_cap) {
    closing_cap = unclosed_cap;
    closing = xrealloc(closing, closing_cap * sizeof *closing);
  }
  if (n > 0) memcpy(closing, unclosed, n * sizeof *closing);
  nunclosed = 0;
  return n;
}

/* Closes, or keeps as spares, the batch take_unclosed() made (main thread, outside mu). */
static void close_batch(size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (closing[i].reuse_path) keep_or_close(closing[i].fd, closing[i].reuse_path);
    else close(closing[i].fd);
  }
}

/* Keeps an unnamed output file of process `pid` until it is written or the process is reaped (under mu). */
static void lazy_add(pid_t pid, int fd, const char *path, int own) {
  if (nlazy == lazies_cap) {
    lazies_cap = lazies_cap ? lazies_cap * 2 : 32;
    lazies = xrealloc(lazies, lazies_cap * sizeof *lazies);
  }
  size_t len = strlen(path) + 1;
  char *copy = xrealloc(NULL, len);
  memcpy(copy, path, len);
  lazies[nlazy].pid = pid;
  lazies[nlazy].fd = fd;
  lazies[nlazy].path = copy;
  lazies[nlazy].own = own;
  nlazy++;
}

/* Process `pid` was reaped: its output files that have content are made, the others never are (under mu). */
static void lazy_reaped(pid_t pid) {
  for (size_t i = 0; i < nlazy;) {
    if (lazies[i].pid != pid) {
      i++;
      continue;
    }
    int written = lazy_settle_if_written(&lazies[i]);
    if (!written) (void)unlink(lazies[i].path); /* usually ENOENT: nothing was there */
    lazy_drop(i, !written);
  }
}

/* Makes the files of running processes that have been written to since the last check (under mu). */
static void lazy_check(void) {
  last_lazy_check = now_seconds();
  for (size_t i = 0; i < nlazy;) {
    if (lazy_settle_if_written(&lazies[i])) lazy_drop(i, 0);
    else i++;
  }
}

/* An empty unnamed file in path's folder (a spare one if there is), or -1 (errno set) when one
 * cannot be had there. */
static int open_unnamed(const char *path) {
  size_t n = dir_length(path);
  if (n == 0) {
    errno = EINVAL;
    return -1;
  }
  int spare = take_spare(path);
  if (spare >= 0) return spare;
  char dir[PATH_BUF];
  if (n >= sizeof dir) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(dir, path, n);
  dir[n] = 0;
  int fd;
  do fd = open(dir, O_WRONLY | O_TMPFILE | O_CLOEXEC | O_NOCTTY, 0666);
  while (fd < 0 && errno == EINTR);
  return fd;
}

static void exited(struct slot *p, int status, const struct timespec *t) {
  uint32_t key = p->a, klass = p->c;
  pid_t pid = p->k, pgid = p->b;
  tdel(&procs, p);
  if (nlazy > 0) lazy_reaped(pid); /* the files exist (or are known not to) before EXITED says so */
  if (klass != 0 && standby_head && standby_head->klass == klass && !stopping) {
    struct job *j = take_standby(&standby_head, NULL); /* the slot goes to the oldest standby */
    reply(R_HANDED, 0, j->key, pid, 0, t);
    enqueue(j);
  }
  reply(R_EXITED, 0, key, pid, status, t);
  group_member_gone(pgid);
}

static unsigned long min_inflight(void) {
  unsigned long m = 0;
  for (int i = 0; i < nworkers; i++) {
    if (inflight_seq[i] != 0 && (m == 0 || inflight_seq[i] < m)) m = inflight_seq[i];
  }
  return m;
}

/* Drops early exits no spawn in flight can own any more. */
static void prune_earlies(void) {
  if (nearly == 0) return;
  unsigned long m = min_inflight();
  size_t k = 0;
  for (size_t i = 0; i < nearly; i++) {
    if (m != 0 && earlies[i].seq >= m) earlies[k++] = earlies[i];
  }
  nearly = k;
}

static void reaped(pid_t pid, int status) {
  struct timespec t;
  realtime(&t);
  struct slot *p = tget(&procs, pid);
  if (p) {
    exited(p, status, &t);
    return;
  }
  if (min_inflight() == 0) return; /* an orphaned descendant reparented to us */
  if (nearly == earlies_cap) {
    earlies_cap = earlies_cap ? earlies_cap * 2 : 16;
    earlies = xrealloc(earlies, earlies_cap * sizeof *earlies);
  }
  earlies[nearly].pid = pid;
  earlies[nearly].status = status;
  earlies[nearly].seq = spawn_seq;
  earlies[nearly].t = t;
  nearly++;
  STAT(st_nearly++);
}

/* Reaps every child that has exited; returns 0 if children remain, -1 when there are none (ECHILD). */
static int reap_all(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      reaped(pid, status);
      continue;
    }
    if (pid < 0 && errno == EINTR) continue;
    return pid < 0 ? -1 : 0;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Environments                                                                                    */

static void env_unref(struct envset *e) { /* under mu */
  if (!e || --e->refs > 0) return;
  free(e->blob);
  free(e->vars);
  free(e);
}

static void protocol_error(const char *what);

static void env_forget(uint32_t id) { /* main thread */
  if (id >= nenvs || !envs[id]) return;
  pthread_mutex_lock(&mu);
  env_unref(envs[id]);
  pthread_mutex_unlock(&mu);
  envs[id] = NULL;
}

static void env_define(const uint8_t *p, size_t len) { /* main thread */
  if (len < 8) protocol_error("short environment frame");
  uint32_t id = get_u32(p), count = get_u32(p + 4);
  if (id == 0 || id > 1000000) protocol_error("bad environment id");
  const char *strs = (const char *)p + 8;
  size_t slen = len - 8;
  if (count > slen) protocol_error("bad environment count");
  if (id >= nenvs) {
    size_t n = (size_t)id + 16;
    envs = xrealloc(envs, n * sizeof *envs);
    memset(envs + nenvs, 0, (n - nenvs) * sizeof *envs);
    nenvs = n;
  }
  env_forget(id);
  struct envset *e = xrealloc(NULL, sizeof *e);
  memset(e, 0, sizeof *e);
  e->refs = 1;
  e->blob = xrealloc(NULL, slen);
  memcpy(e->blob, strs, slen);
  e->vars = xrealloc(NULL, ((size_t)count + 1) * sizeof *e->vars);
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    const char *nul = memchr(e->blob + off, 0, slen - off);
    if (!nul) protocol_error("unterminated environment string");
    e->vars[i] = e->blob + off;
    if (!e->path && strncmp(e->vars[i], "PATH=", 5) == 0) e->path = e->vars[i] + 5;
    off = (size_t)(nul - e->blob) + 1;
  }
  if (off != slen) protocol_error("trailing bytes in environment frame");
  e->vars[count] = NULL;
  e->n = count;
  envs[id] = e;
}

static size_t key_len(const char *var) {
  const char *eq = strchr(var, '=');
  return eq ? (size_t)(eq - var) : strlen(var);
}

static int same_key(const char *a, const char *b, size_t klen) {
  return strncmp(a, b, klen) == 0 && (b[klen] == '=' || b[klen] == 0);
}

/* ---------------------------------------------------------------------------------------------- */
/* Spawning (worker threads, outside mu)                                                           */

struct worker {
  int index;
  pthread_cond_t cv; /* signalled with `woken` set when it is handed work */
  int woken;
  struct worker *next_idle;
  char **env; /* scratch for the merged environment */
  size_t env_cap;
  char path[PATH_BUF];
};

/* Base variables not overridden by an extra, then the extras (the last of duplicate extras wins). */
static char **build_env(struct worker *w, const struct job *j, const char **path) {
  static const struct envset empty = {NULL, NULL, 0, NULL, 0};
  const struct envset *base = j->env ? j->env : &empty;
  size_t need = base->n + j->nextra + 1;
  if (need > w->env_cap) {
    w->env_cap = need * 2;
    w->env = xrealloc(w->env, w->env_cap * sizeof *w->env);
  }
  *path = base->path;
  size_t n = 0;
  for (size_t i = 0; i < base->n; i++) {
    const char *v = base->vars[i];
    size_t kl = key_len(v);
    int overridden = 0;
    for (size_t k = 0; k < j->nextra && !overridden; k++) overridden = same_key(v, j->extra[k], kl);
    if (!overridden) w->env[n++] = base->vars[i];
  }
  for (size_t k = 0; k < j->nextra; k++) {
    size_t kl = key_len(j->extra[k]);
    int later = 0;
    for (size_t m = k + 1; m < j->nextra && !later; m++) later = same_key(j->extra[k], j->extra[m], kl);
    if (later) continue;
    w->env[n++] = j->extra[k];
    if (kl == 4 && strncmp(j->extra[k], "PATH=", 5) == 0) *path = j->extra[k] + 5;
  }
  w->env[n] = NULL;
  return w->env;
}

static int open_redirect(const char *path, int for_write, int append) {
  if (strcmp(path, "/dev/null") == 0) return for_write ? devnull_wr : devnull_rd;
  int fd;
  do {
    fd = for_write ? open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC | O_NOCTTY, 0666)
                   : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

static void close_redirect(int fd) {
  if (fd >= 0 && fd != devnull_rd && fd != devnull_wr) close(fd);
}

/* 0 if cwd is usable, else the errno that changing to it would give. */
static int cwd_problem(const char *cwd) {
  struct stat st;
  if (stat(cwd, &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  if (access(cwd, X_OK) != 0) return errno;
  return 0;
}

/* What a child does between vfork() and exec; prepared by its worker. */
struct launch {
  int fin, fout, ferr;
  pid_t pgid;
  const char *cwd;
  char **envp;
  struct timespec *started; /* set by the attempt that starts the process */
};

/*
 * The vfork()ed child. It runs on the stack of its suspended worker and shares our memory, so it
 * makes system calls only. A failure is reported through *fail (errno) and *fail_phase, which the
 * worker reads once we have exec'ed or exited. We install no handlers (signals arrive through the
 * signalfd; setup() undid inherited SIG_IGNs), so SIGPIPE is the only disposition to undo: exec
 * resets the rest. The blocked mask is inherited across exec: it is emptied.
 */
__attribute__((noreturn, noinline)) static void child_exec(const struct launch *l, const char *file, char *const argv[],
                                                           volatile int *fail, volatile int *fail_phase) {
  int phase = PH_PGID;
  if (setpgid(0, l->pgid) != 0) goto failed;
  phase = PH_EXEC;
  if (dup2(l->fin, 0) < 0 || dup2(l->fout, 1) < 0 || dup2(l->ferr, 2) < 0) goto failed;
  phase = PH_CWD;
  if (l->cwd && chdir(l->cwd) != 0) goto failed;
  phase = PH_EXEC;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(file, argv, l->envp);
failed:
  *fail_phase = phase;
  *fail = errno ? errno : EINVAL;
  _exit(127);
}

/*
 * Starts `file` with vfork() + execve(): this thread waits only until the child has exec'ed, and
 * the child makes a handful of system calls, where posix_spawn() would make some 70 (it resets
 * every signal's disposition one by one) and map a stack for each child. Returns 0 with *pid set,
 * or an errno with *phase set; a child that failed is reaped here.
 */
static int vfork_exec(const struct launch *l, const char *file, char *const argv[], pid_t *pid, int *phase) {
  volatile int fail = 0, fail_phase = PH_EXEC;
  struct timespec t;
  realtime(&t); /* the start time of the process, if this attempt starts it */
  pid_t p = vfork();
  if (p == 0) child_exec(l, file, argv, &fail, &fail_phase);
  if (p < 0) {
    *phase = PH_EXEC;
    return errno;
  }
  if (fail != 0) {
    int status;
    while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
    } /* ECHILD: the main thread reaped it first and drops it */
    *phase = fail_phase;
    return fail;
  }
  *pid = p;
  *l->started = t;
  return 0;
}

/* vfork_exec(), with the execvp() fallback of running a file without a #! line through /bin/sh. */
static int spawn_file(pid_t *pid, const char *file, const struct launch *l, const struct job *j, int *phase) {
  int err = vfork_exec(l, file, j->argv, pid, phase);
  if (err != ENOEXEC || *phase != PH_EXEC) return err;
  char **shargv = xrealloc(NULL, (j->argc + 2) * sizeof *shargv);
  shargv[0] = (char *)"/bin/sh";
  shargv[1] = (char *)file;
  for (size_t i = 1; i < j->argc; i++) shargv[i + 1] = j->argv[i];
  shargv[j->argc + 1] = NULL;
  err = vfork_exec(l, "/bin/sh", shargv, pid, phase);
  free(shargv);
  return err;
}

static int is_continue_errno(int e) {
  return e == ENOENT || e == ESTALE || e == ENOTDIR || e == ENODEV || e == ETIMEDOUT || e == EACCES;
}

/*
 * execvpe() semantics over the PATH of the request's environment. Candidates that plainly do not
 * exist are skipped with a stat() instead of a failed spawn; every real attempt is a vfork_exec().
 * A candidate's failure is blamed on the cwd when the cwd turns out to be unusable.
 */
static int spawn_path(struct worker *w, pid_t *pid, const char *pathv, const struct launch *l, const struct job *j,
                      int *phase) {
  const char *name = j->argv[0], *cwd = j->cwd;
  int err;
  *phase = PH_EXEC;
  if (strchr(name, '/')) {
    err = spawn_file(pid, name, l, j, phase);
    if (err == 0 || *phase != PH_EXEC) return err;
  } else if (*name == 0) {
    err = ENOENT;
  } else {
    if (!pathv) pathv = "/bin:/usr/bin";
    size_t nlen = strlen(name), cwdlen = cwd ? strlen(cwd) : 0;
    int got_eacces = 0;
    err = ENOENT;
    for (const char *p = pathv;;) {
      const char *colon = strchr(p, ':');
      size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
      size_t len = 0;
      int fits = 1;
      if ((dlen == 0 || p[0] != '/') && cwd) { /* relative entry: relative to the new cwd */
        fits = cwdlen + 1 < PATH_BUF;
        if (fits) {
          memcpy(w->path, cwd, cwdlen);
          w->path[cwdlen] = '/';
          len = cwdlen + 1;
        }
      }
      if (fits && len + dlen + 1 + nlen + 1 <= PATH_BUF) {
        memcpy(w->path + len, p, dlen);
        len += dlen;
        if (len > 0 && w->path[len - 1] != '/') w->path[len++] = '/';
        memcpy(w->path + len, name, nlen + 1);
        struct stat st;
        int e;
        if (stat(w->path, &st) != 0) e = errno;
        else if (!S_ISREG(st.st_mode)) e = EACCES; /* execve of a directory or device */
        else {
          e = spawn_file(pid, w->path, l, j, phase);
          if (e == 0 || *phase != PH_EXEC) return e;
          if (cwd && cwd_problem(cwd)) break;
        }
        if (e == EACCES) got_eacces = 1;
        else if (!is_continue_errno(e)) {
          err = e;
          break;
        }
      }
      if (!colon) {
        err = got_eacces ? EACCES : ENOENT;
        break;
      }
      p = colon + 1;
    }
  }
  if (err != 0 && cwd) {
    int c = cwd_problem(cwd);
    if (c) {
      *phase = PH_CWD;
      err = c;
    }
  }
  return err;
}

/* An unnamed output file held for a process being started: the file's descriptor (-1: none) and
 * whether the process gets a description of its own. */
struct lazy_fd {
  int fd;
  int own;
};

/* Lets go of a stream of a process that did not start: the process's descriptor `fd` and, for a
 * lazy one, the unnamed file (closed: it was never written). */
static void lazy_release(struct lazy_fd *lazy, int fd) {
  if (lazy->fd >= 0 && fd != lazy->fd) close(lazy->fd);
  lazy->fd = -1;
  close_redirect(fd);
}

/* The descriptor a process writes an unnamed file through: a reopening of it (a description of
 * its own, see SPARE FILES), else the file's own descriptor. */
static int own_description(int fd) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int own;
  do own = open(proc, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  while (own < 0 && errno == EINTR);
  return own >= 0 ? own : fd;
}

/* Opens one lazy stream: the unnamed file into lazy, what the process gets into *fd; 0 or -1. */
static int open_lazy(const char *path, struct lazy_fd *lazy, int *fd) {
  int base = open_unnamed(path);
  if (base < 0) return -1;
  lazy->fd = base;
  *fd = own_description(base);
  lazy->own = *fd != base;
  return 0;
}

/* Starts j; fills pid, or returns an errno with *phase set. Unnamed output files (LAZY OUTPUT) of a
 * started process are left open in lazy[0..1] (stdout, stderr; fd -1: none) for the caller to keep. */
static int start_job(struct worker *w, const struct job *j, pid_t *pid, int *phase, struct timespec *started, struct lazy_fd lazy[2]) {
  int fin = -1, fout = -1, ferr = -1, err;
  fin = open_redirect(j->in, 0, 0);
  if (fin < 0) {
    *phase = PH_STDIN;
    return errno;
  }
  if (!(j->lazy && strcmp(j->out, "/dev/null") != 0 && open_lazy(j->out, &lazy[0], &fout) == 0))
    fout = open_redirect(j->out, 1, j->append); /* also where an unnamed file cannot be had: its errno is this one's */
  if (fout < 0) {
    err = errno;
    close_redirect(fin);
    *phase = PH_STDOUT;
    return err;
  }
  if (j->err) {
    if (!(j->lazy && strcmp(j->err, "/dev/null") != 0 && open_lazy(j->err, &lazy[1], &ferr) == 0)) ferr = open_redirect(j->err, 1, j->append);
    if (ferr < 0) {
      err = errno;
      close_redirect(fin);
      lazy_release(&lazy[0], fout);
      *phase = PH_STDERR;
      return err;
    }
  }
  const char *pathv;
  struct launch l = {fin, fout, j->err ? ferr : fout, j->pgid, j->cwd, NULL, started};
  l.envp = build_env(w, j, &pathv);
  err = spawn_path(w, pid, pathv, &l, j, phase);
  close_redirect(fin);
  if (err == 0) {
    /* the process has its descriptors; the launcher keeps only the unnamed files' own */
    if (lazy[0].fd < 0 || fout != lazy[0].fd) close_redirect(fout);
    if (j->err && (lazy[1].fd < 0 || ferr != lazy[1].fd)) close_redirect(ferr);
  } else {
    lazy_release(&lazy[0], fout);
    if (j->err) lazy_release(&lazy[1], ferr);
  }
  return err;
}

/* Records a started process and replies; claims an exit reaped before we got here, or else sends the
 * signals asked for while it was starting (under mu). */
static void record_spawn(const struct job *j, pid_t pid, unsigned long seq, const struct timespec *started, uint64_t sigs, const struct lazy_fd lazy[2]) {
  pid_t g = j->pgid ? j->pgid : pid;
  if (lazy[0].fd >= 0) lazy_add(pid, lazy[0].fd, j->out, lazy[0].own); /* before an early exit is claimed below */
  if (lazy[1].fd >= 0) lazy_add(pid, lazy[1].fd, j->err, lazy[1].own);
  struct slot *s = tput(&procs, pid);
  s->a = j->key;
  s->b = g;
  s->c = j->klass;
  struct slot *gs = tput(&groups, g);
  if (gs->b && j->pgid == 0) { /* a new process got this pid, so the old group of that number is gone */
    gs->b = 0;
    nlingering--;
  }
  gs->a++;
  reply(R_SPAWNED, 0, j->key, pid, 0, started);
  for (size_t i = 0; i < nearly; i++) {
    if (earlies[i].pid == pid && earlies[i].seq >= seq) {
      int status = earlies[i].status;
      struct timespec t = earlies[i].t;
      earlies[i] = earlies[--nearly];
      exited(tget(&procs, pid), status, &t);
      return; /* reaped: its pid may be anyone's now */
    }
  }
  for (int sig = 1; sigs != 0 && sig < 64; sig++) {
    if (sigs & (UINT64_C(1) << sig)) kill(-g, sig);
  }
}

/* Runs the first queued job. Called and returning with mu held; releases it around the spawn. */
static void run_job(struct worker *w) {
  struct job *j = queue_head;
  queue_head = j->next;
  if (!queue_head) queue_tail = NULL;
  nqueued--;
  STAT(st_queue_wait += now_seconds() - j->queued_at);

  int phase = PH_PGID, err = 0;
  pid_t pid = 0;
  struct timespec started = {0, 0};
  struct lazy_fd lazy[2] = {{-1, 0}, {-1, 0}};
  unsigned long seq = ++spawn_seq;
  if (started_map && j->key < started_cap) __atomic_store_n(&started_map[j->key], j->seq, __ATOMIC_SEQ_CST);
  if (j->pgid > 0) { /* join only a group of ours that still has members */
    struct slot *g = tget(&groups, j->pgid);
    if (g && g->a == 0 && !group_exists(j->pgid)) {
      tdel(&groups, g);
      nlingering--;
      g = NULL;
    }
    if (!g) err = EPERM;
  }
  if (err == 0) {
    inflight_seq[w->index] = seq;
    inflight_key[w->index] = j->key;
    inflight_sigs[w->index] = 0;
    nspawning++;
  }
  pthread_mutex_unlock(&mu);
  if (err == 0) {
    STAT(double t0 = now_seconds());
    err = start_job(w, j, &pid, &phase, &started, lazy);
    STAT(double t1 = now_seconds());
    pthread_mutex_lock(&mu);
    STAT((st_spawn += t1 - t0, st_nspawn++));
    inflight_seq[w->index] = 0;
    if (--nspawning == 0 && stopping) pthread_cond_signal(&quiet_cv);
  } else {
    pthread_mutex_lock(&mu);
  }
  if (err == 0) record_spawn(j, pid, seq, &started, inflight_sigs[w->index], lazy);
  else reply(R_FAILED, phase, j->key, 0, err, NULL);
  prune_earlies();
  env_unref(j->env);
  free(j);
}

static struct worker *new_worker(void) {
  struct worker *w = xrealloc(NULL, sizeof *w);
  memset(w, 0, sizeof *w);
  w->index = nworkers;
  pthread_cond_init(&w->cv, NULL);
  return w;
}

static void *thread_main(void *arg);

/*
 * Makes `want` more threads available: takes idle ones first (into `wake`, to be signalled once mu
 * is released; returns how many), then starts new ones (under mu).
 */
static int recruit(size_t want, struct worker **wake) {
  int n = 0;
  while (want > 0 && idle_top) {
    struct worker *w = idle_top;
    idle_top = w->next_idle;
    w->woken = 1;
    wake[n++] = w;
    want--;
  }
  while (want > 0 && nworkers < MAX_WORKERS) {
    struct worker *w = new_worker();
    pthread_attr_t ta;
    pthread_t t;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, WORKER_STACK);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    int e = pthread_create(&t, &ta, thread_main, w);
    pthread_attr_destroy(&ta);
    if (e != 0) {
      free(w);
      if (nworkers > 0) break; /* fewer spawns in parallel, not a failure */
      errno = e;
      die(1, "pthread_create");
    }
    nworkers++;
    want--;
  }
  return n;
}

/* A worker: runs queued spawns, sleeps when there are none. Called and returning with mu held. */
static void worker_loop(struct worker *w) {
  for (;;) {
    if (stopping) {
      for (;;) pthread_cond_wait(&w->cv, &mu); /* the main thread is shutting down; exit() ends us */
    }
    if (queue_head) {
      run_job(w);
      /* Replies of spawns are written by the last spawner of a burst (exits by the main thread). */
      if (!queue_head && nspawning == 0 && out_len > 0) {
        pthread_mutex_unlock(&mu);
        flush_replies();
        pthread_mutex_lock(&mu);
      }
      continue;
    }
    w->woken = 0;
    w->next_idle = idle_top;
    idle_top = w;
    while (!w->woken) pthread_cond_wait(&w->cv, &mu);
  }
}

static void *thread_main(void *arg) {
  pthread_mutex_lock(&mu);
  worker_loop(arg);
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Requests (main thread)                                                                          */

static const char *next_str(const uint8_t **cur, const uint8_t *end) {
  const uint8_t *nul = memchr(*cur, 0, (size_t)(end - *cur));
  if (!nul) protocol_error("unterminated string in spawn frame");
  const char *s = (const char *)*cur;
  *cur = nul + 1;
  return s;
}

static void handle_spawn(const uint8_t *p, size_t len) {
  if (len < SPAWN_HEADER) protocol_error("short spawn frame");
  uint32_t envid = get_u32(p + 8);
  size_t argc = get_u16(p + 12), nextra = get_u16(p + 14);
  uint8_t flags = p[16];
  if (argc == 0) protocol_error("empty argv");
  if ((int32_t)get_u32(p + 4) < 0) protocol_error("negative pgid");
  if (envid != 0 && (envid >= nenvs || !envs[envid])) protocol_error("unknown environment id");

  size_t ptrs = (argc + 1 + nextra) * sizeof(char *);
  struct job *j = xrealloc(NULL, sizeof *j + ptrs + len);
  uint8_t *frame = (uint8_t *)(j + 1) + ptrs;
  memcpy(frame, p, len);
  j->next = NULL;
  j->key = get_u32(frame);
  j->pgid = (pid_t)get_u32(frame + 4);
  j->argc = argc;
  j->nextra = nextra;
  j->argv = (char **)(j + 1);
  j->extra = j->argv + argc + 1;
  j->klass = get_u16(frame + 17);
  j->seq = ++spawn_frames;
  const uint8_t *cur = frame + SPAWN_HEADER, *end = frame + len;
  for (size_t i = 0; i < argc; i++) j->argv[i] = (char *)next_str(&cur, end);
  j->argv[argc] = NULL;
  for (size_t i = 0; i < nextra; i++) j->extra[i] = (char *)next_str(&cur, end);
  j->cwd = (flags & F_CWD) ? next_str(&cur, end) : NULL;
  j->in = (flags & F_STDIN) ? next_str(&cur, end) : "/dev/null";
  j->out = next_str(&cur, end);
  j->err = (flags & F_SHARED) ? NULL : next_str(&cur, end);
  j->append = (flags & F_APPEND) != 0;
  j->lazy = (flags & F_LAZY) != 0 && !j->append && lazy_supported && !keep_children; /* kept jobs outlive us: made at once */
  if (cur != end) protocol_error("trailing bytes in spawn frame");

  STAT(j->queued_at = now_seconds());
  pthread_mutex_lock(&mu);
  j->env = envid ? envs[envid] : NULL;
  if (j->env) j->env->refs++;
  if (flags & F_STANDBY) {
    if (j->klass == 0) protocol_error("standby request without a class");
    if (standby_tail) standby_tail->next = j;
    else standby_head = j;
    standby_tail = j;
  } else {
    enqueue(j);
  }
  pthread_mutex_unlock(&mu);
}

static void withdrawn(struct job *j) { /* under mu */
  reply(R_WITHDRAWN, 0, j->key, 0, 0, NULL);
  env_unref(j->env);
  free(j);
}

/* 'W' (withdraw) a request that has not started, 'P' (promote) a standby request still waiting. */
static void handle_standby_op(uint8_t op, const uint8_t *p, size_t len) {
  if (len < 4) protocol_error("short standby frame");
  uint32_t key = get_u32(p);
  pthread_mutex_lock(&mu);
  int found = 0;
  for (struct job **at = &standby_head, *prev = NULL; *at; prev = *at, at = &(*at)->next) {
    if ((*at)->key != key) continue;
    struct job *j = take_standby(at, prev);
    if (op == 'P') enqueue(j);
    else withdrawn(j);
    found = 1;
    break;
  }
  if (!found && op == 'W') { /* still waiting for a worker: it never started */
    for (struct job **at = &queue_head, *prev = NULL; *at; prev = *at, at = &(*at)->next) {
      if ((*at)->key != key) continue;
      struct job *j = *at;
      *at = j->next;
      if (queue_tail == j) queue_tail = prev;
      nqueued--;
      withdrawn(j);
      break;
    }
  }
  pthread_mutex_unlock(&mu);
}

/* 'R': a signal for the process group of request `key`, now or as soon as its pid is known. */
static void handle_signal_request(const uint8_t *p, size_t len) {
  if (len < 5) protocol_error("short signal-request frame");
  uint32_t key = get_u32(p);
  int sig = p[4];
  if (sig <= 0 || sig >= 64 || sig >= NSIG) return;
  pthread_mutex_lock(&mu);
  int pending = 0;
  for (int i = 0; i < nworkers; i++) {
    if (inflight_seq[i] != 0 && inflight_key[i] == key) {
      inflight_sigs[i] |= UINT64_C(1) << sig;
      pending = 1;
    }
  }
  if (!pending) { /* a linear scan: this is rare (a signal in the moment between start and report) */
    for (size_t i = 0; i < procs.cap; i++) {
      if (procs.s[i].k != 0 && procs.s[i].a == key) {
        kill(-procs.s[i].b, sig);
        break;
      }
    }
  }
  pthread_mutex_unlock(&mu);
}

static void handle_kill(const uint8_t *p, size_t len) {
  if (len < 6) protocol_error("short kill frame");
  pid_t pid = (pid_t)get_u32(p);
  int sig = p[4], group = p[5];
  if (pid <= 0 || sig < 0 || sig >= NSIG) return;
  pthread_mutex_lock(&mu);
  if (group) {
    if (tget(&groups, pid)) kill(-pid, sig);
  } else {
    if (tget(&procs, pid)) kill(pid, sig);
  }
  pthread_mutex_unlock(&mu);
}

/* ---------------------------------------------------------------------------------------------- */
/* Shutdown (main thread)                                                                          */

/* SIGKILLs our direct children (including orphans reparented to us); 0 if the list is unreadable. */
static int kill_children(void) {
  if (!have_proc_children) return 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    have_proc_children = 0;
    return 0;
  }
  char buf[4096];
  long cur = -1;
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] >= '0' && buf[i] <= '9') cur = (cur < 0 ? 0 : cur * 10) + (buf[i] - '0');
      else if (cur >= 0) {
        kill((pid_t)cur, SIGKILL);
        cur = -1;
      }
    }
  }
  if (cur >= 0) kill((pid_t)cur, SIGKILL);
  close(fd);
  return 1;
}

/* Frees a list of requests that will never be acted on (under mu). */
static void drop_jobs(struct job **head, struct job **tail) {
  while (*head) {
    struct job *j = *head;
    *head = j->next;
    env_unref(j->env);
    free(j);
  }
  *tail = NULL;
}

static void shutdown_and_exit(int code) {
  /* Stop the other threads: queued requests are dropped unanswered (never acted on); spawns in
   * flight finish and are recorded, so that they are killed below like the rest. */
  pthread_mutex_lock(&mu);
  stopping = 1;
  drop_jobs(&queue_head, &queue_tail);
  nqueued = 0;
  drop_jobs(&standby_head, &standby_tail);
  while (nspawning > 0) pthread_cond_wait(&quiet_cv, &mu);

  for (size_t i = 0; i < groups.cap; i++) {
    if (groups.s[i].k != 0) kill(-groups.s[i].k, SIGKILL);
  }
  for (;;) {
    if (reap_all() < 0) break; /* ECHILD: nothing left */
    /* Children remain: kill them (our own, or escaped descendants reparented to us), then wait. */
    if (!kill_children()) {
      if (procs.n == 0) break; /* cannot see unknown orphans; do not wait for them */
      for (size_t i = 0; i < procs.cap; i++) {
        if (procs.s[i].k != 0) kill(procs.s[i].k, SIGKILL);
      }
    }
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid > 0) reaped(pid, status);
    else if (pid < 0 && errno != EINTR) break;
  }
#ifdef JOBF_STATS
  FILE *sf = fopen("/tmp/jobf-launcher-stats.txt", "a");
  if (sf) {
    fprintf(sf, "spawn %lu x %.1f us (vfork, exec and file opens, %d workers); queue wait %.1f us/job; parent turnaround %lu x %.1f us; poll %lu = %.3f s; writes %lu; early exits %lu\n",
            st_nspawn, st_nspawn ? st_spawn / (double)st_nspawn * 1e6 : 0.0, nworkers,
            st_nspawn ? st_queue_wait / (double)st_nspawn * 1e6 : 0.0, st_nturn, st_nturn ? st_turnaround / (double)st_nturn * 1e6 : 0.0,
            st_npoll, st_poll, st_nwrite, st_nearly);
    fclose(sf);
  }
#endif
  pthread_mutex_unlock(&mu);
  flush_replies();
  exit(code);
}

static void protocol_error(const char *what) {
  fprintf(stderr, "jobf-launcher: protocol error: %s\n", what);
  shutdown_and_exit(2);
}

/* ---------------------------------------------------------------------------------------------- */
/* Input (main thread)                                                                             */

static void handle_frame(const uint8_t *p, size_t len) {
  uint8_t op = p[0];
  p++;
  len--;
  switch (op) {
  case 'S': handle_spawn(p, len); break;
  case 'E': env_define(p, len); break;
  case 'F':
    if (len < 4) protocol_error("short forget frame");
    env_forget(get_u32(p));
    break;
  case 'K': handle_kill(p, len); break;
  case 'R': handle_signal_request(p, len); break;
  case 'W':
  case 'P': handle_standby_op(op, p, len); break;
  default: protocol_error("unknown request");
  }
}

/* Reads what is available and handles every complete frame; returns 0 at EOF. */
static int read_input(void) {
  if (in_cap - in_len < 65536) {
    in_cap = in_cap ? in_cap * 2 : 262144;
    in = xrealloc(in, in_cap);
  }
  ssize_t r = read(STDIN_FILENO, in + in_len, in_cap - in_len);
  if (r < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
  if (r == 0) return 0;
  in_len += (size_t)r;
  size_t off = 0;
  while (in_len - off >= 4) {
    uint32_t flen = get_u32(in + off);
    if (flen == 0 || flen > MAX_FRAME) protocol_error("bad frame length");
    if (in_len - off - 4 < flen) {
      if ((size_t)flen + 4 > in_cap) { /* make room for a large frame */
        in_cap = (size_t)flen + 4 + 65536;
        in = xrealloc(in, in_cap);
      }
      break;
    }
    handle_frame(in + off + 4, flen);
    off += 4 + (size_t)flen;
  }
  if (off > 0) {
    memmove(in, in + off, in_len - off);
    in_len -= off;
  }
  return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* Setup and main loop                                                                             */

/* Exits without touching our processes (keep mode, parent gone): they are reparented and go on. */
static void abandon_and_exit(void) {
  _exit(0);
}

static int has_arg(int argc, char **argv, const char *word) {
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], word) == 0) return 1;
  }
  return 0;
}

static void setup(int argc, char **argv) {
  if (has_arg(argc, argv, "map")) { /* first, before any fd of ours can take number 3 */
    struct stat st;
    if (fstat(3, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 4) {
      void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
      if (m != MAP_FAILED) {
        started_map = m;
        started_cap = (size_t)st.st_size / 4;
      }
    }
    close(3); /* the mapping stays; our children must not inherit the file */
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  /* Blocked before any thread exists, so every thread inherits the mask and the signals queue up
   * for the signalfd. */
  if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) die(1, "pthread_sigmask");
  sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die(1, "signalfd");
  /* An ignored signal stays ignored across exec: undo any SIG_IGN we inherited (one on SIGCHLD
   * would even hide exits from waitpid), so that SIGPIPE is the only one our children undo. */
  for (int sig = 1; sig < SIGRTMIN; sig++) {
    struct sigaction sa;
    if (sig != SIGPIPE && sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) signal(sig, SIG_DFL);
  }
  signal(SIGPIPE, SIG_IGN);

  keep_children = has_arg(argc, argv, "keep");
  if (!keep_children && prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) die(1, "prctl(PR_SET_PDEATHSIG)");
  if (argc > 1) {
    long expected = strtol(argv[1], NULL, 10);
    if (expected > 0 && getppid() != (pid_t)expected) exit(0); /* the parent died before prctl */
  }
  /* Orphaned descendants of our jobs become our children, so shutdown can find and kill them. */
  if (!keep_children) prctl(PR_SET_CHILD_SUBREAPER, 1);

  lazy_supported = access("/proc/self/fd", X_OK) == 0;
  devnull_rd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  devnull_wr = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull_rd < 0 || devnull_wr < 0) die(1, "open /dev/null");

  nenvs = 16;
  envs = xrealloc(NULL, nenvs * sizeof *envs);
  memset(envs, 0, nenvs * sizeof *envs);
}

/* Drains the signalfd; returns 1 if a termination signal arrived. */
static int drain_signals(int *child) {
  struct signalfd_siginfo si[16];
  int term = 0;
  for (;;) {
    ssize_t r = read(sfd, si, sizeof si);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (size_t i = 0; i < (size_t)r / sizeof si[0]; i++) {
      if (si[i].ssi_signo == SIGCHLD) *child = 1;
      else term = 1;
    }
  }
  return term;
}

/* One turn of the main loop: waits for requests or signals and handles them (outside mu). */
static void serve(void) {
  struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
  pthread_mutex_lock(&mu);
  /* Lazy output is checked every LAZY_CHECK_MS; a spawn queued or in flight may add some without
   * waking us (workers start them), so we do not sleep for good while one is. */
  int timeout = nlazy || nqueued || nspawning ? LAZY_CHECK_MS : nlingering ? 1000 : -1;
  pthread_mutex_unlock(&mu);
  STAT(double t0 = now_seconds());
  int r = poll(fds, 2, timeout);
  STAT((st_poll += now_seconds() - t0, st_npoll++));
  if (r < 0) {
    if (errno == EINTR) return;
    die(1, "poll");
  }
  int child = 0, term = 0, eof = 0;
  if (fds[1].revents & POLLIN) term = drain_signals(&child);
  if (term) shutdown_and_exit(0);
  if (child) {
    struct worker *handed[MAX_WORKERS];
    pthread_mutex_lock(&mu);
    reap_all();
    prune_earlies();
    int nhanded = nqueued > 0 ? recruit(nqueued, handed) : 0; /* slots handed to standbys start first */
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < nhanded; i++) pthread_cond_signal(&handed[i]->cv);
    flush_replies(); /* exits first: the parent can start replacements while we read requests */
    STAT(st_last_exit_flush = now_seconds());
  }
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
    STAT(if (st_last_exit_flush > 0) {
      st_turnaround += now_seconds() - st_last_exit_flush;
      st_nturn++;
      st_last_exit_flush = 0;
    });
    eof = !read_input();
  }
  struct worker *wake[MAX_WORKERS];
  pthread_mutex_lock(&mu);
  if (nlingering && now_seconds() - last_probe >= 1.0) probe_lingering();
  if (nlazy && now_seconds() - last_lazy_check >= LAZY_CHECK_MS / 1000.0) lazy_check();
  int nwake = nqueued > 0 ? recruit(nqueued, wake) : 0;
  int idle = nqueued == 0 && nspawning == 0 && out_len > 0;
  int broken = stdout_broken;
  size_t nclose = take_unclosed();
  pthread_mutex_unlock(&mu);
  /* Signalled outside mu, so that a woken worker does not find it held. */
  for (int i = 0; i < nwake; i++) pthread_cond_signal(&wake[i]->cv);
  if (idle) flush_replies();
  close_batch(nclose); /* after the replies: the parent hears of exits first */
  if ((eof || broken) && keep_children) abandon_and_exit();
  if (eof || broken) shutdown_and_exit(0);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  for (;;) serve(); /* shutdown_and_exit() ends the process */
}
