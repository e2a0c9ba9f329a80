/**
 * Flux, all in one run on the dev instance (scripts/flux/start-dev-instance.sh), each row the median
 * of `--rounds` rounds (the ways of a group take turns within a round), time from the first
 * submission until every job is inactive:
 *
 * - **real jobs** (`--jobs`, 1,000 × `true`): our executor; the instance's own floor (`flux submit
 *   --cc=1-N true`, until Flux's last `clean`, read from Flux's own `t_inactive`); `flux submit
 *   --cc=1-N --wait true`; Python's `FluxExecutor` (the bindings built with the instance).
 * - **simulated jobs** (`--simulated`, 10,000 and 1,000; `exec.test.run_duration` 1 ms, so Flux starts
 *   no process; 0 would mean "until canceled" in Flux 0.88's testexec, which arms no timer then):
 *   our executor; Python's `FluxExecutor` (one eventlog watch per job); flux-core's
 *   `throughput.py` (vendored in benchmarks/vendor/flux/, run with the built flux's Python).
 *
 * Skipped loudly when no instance answers.
 *
 *   node dist/benchmarks/flux.js [--jobs 1000] [--simulated 10000,1000] [--rounds 3]
 *       [--only ours,floor,submit,executor,sim,simexecutor,throughput]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FluxBackend, JobExecutor, Jobspec } from '../src/index.js';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the Flux benchmark. */
export interface FluxRow {
  /** `ours`, `floor`, `submit`, `executor`, `sim`, `simexecutor`, `throughput`. */
  readonly key: string;
  readonly way: string;
  readonly jobs: number;
  /** Median over the rounds of the seconds from the first submission until every job is inactive (`clean`). */
  readonly seconds: number;
  /** Every round's seconds, in order. */
  readonly rounds: readonly number[];
  readonly jobsPerSecond: number;
  /** Our advantage: the peer's median seconds / ours (for peers). */
  readonly ours?: string;
  readonly note?: string;
}

/** One measurement of one way. */
interface Measure {
  readonly seconds: number;
  readonly note?: string;
}

const PATH_ONLY = { PATH: '/usr/bin:/bin' };

/** A simulated job's run time (throughput.py's default): the shortest that ends by itself. */
const SIM_RUN = '0.001s';

/** flux-core's `throughput.py`, vendored (benchmarks/vendor/flux/README.md); from dist/benchmarks/ or benchmarks/. */
function throughputScript(): string {
  if (process.env.FLUX_THROUGHPUT_PY) return process.env.FLUX_THROUGHPUT_PY;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../benchmarks/vendor/flux/throughput.py'), path.resolve(here, 'vendor/flux/throughput.py')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

function fluxBinary(): string {
  const prefix = process.env.FLUX_PREFIX ?? '/opt/jobfutures-flux';
  return spawnSync('sh', ['-c', 'command -v flux'], { encoding: 'utf8' }).stdout.trim() || `${prefix}/bin/flux`;
}

function instanceUri(): string | undefined {
  if (process.env.FLUX_URI) return process.env.FLUX_URI;
  const file = `${process.env.JOBF_FLUX_STATE ?? '/run/jobfutures-flux'}/uri`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Our executor: `n` jobs of one spec, until every future is settled (each job inactive). */
async function ours(uri: string, n: number, spec: Jobspec): Promise<Measure> {
  const logDir = mkdtempSync(path.join(tmpdir(), 'jobf-flux-bench-'));
  try {
    const ex = new JobExecutor({ backend: 'flux', uri, logDir });
    const t0 = performance.now();
    const futures = Array.from({ length: n }, () => ex.submit(spec));
    const results = await Promise.all(futures);
    const seconds = (performance.now() - t0) / 1000;
    const bad = results.filter((r) => r.result !== 'COMPLETED').length;
    const connections = (ex.backend as FluxBackend).connections;
    await ex.shutdown();
    if (bad > 0) throw new Error(`${bad} of our Flux jobs did not complete`);
    return { seconds, note: `${connections} connection, 0 processes` };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Measure {
  const t0 = performance.now();
  execFileSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
  return { seconds: (performance.now() - t0) / 1000 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The instance's floor: `flux submit --cc=1-N true` (no waiting in the CLI), then the time from
 * just before the command until the last of its jobs became inactive, by Flux's own `t_inactive`.
 * Flux's times are the measure; `flux jobs` is polled only every 3 s to know when they are all
 * inactive (polling faster loads the 2 cores the instance runs on; `flux queue drain` would also
 * wait for other users' jobs, e.g. a held one).
 */
async function floor(flux: string, n: number, env: NodeJS.ProcessEnv): Promise<Measure> {
  const t0 = Date.now() / 1000;
  const out = execFileSync(flux, ['submit', `--cc=1-${n}`, '--env=-*', '--env=PATH=/usr/bin:/bin', 'true'], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ids = out.trim().split('\n');
  if (ids.length !== n) throw new Error(`flux submit printed ${ids.length} ids, not ${n}`);
  for (;;) {
    await sleep(3000);
    const { jobs } = JSON.parse(execFileSync(flux, ['jobs', '--json', ...ids], { env, encoding: 'utf8', maxBuffer: 1 << 26 })) as {
      jobs: { state: string; result?: string; t_inactive?: number }[];
    };
    if (jobs.length === n && jobs.every((j) => j.state === 'INACTIVE')) {
      const bad = jobs.filter((j) => j.result !== 'COMPLETED').length;
      if (bad > 0) throw new Error(`${bad} jobs of flux submit did not complete`);
      return { seconds: Math.max(...jobs.map((j) => j.t_inactive!)) - t0, note: 'Flux t_inactive' };
    }
  }
}

/**
 * Python's FluxExecutor: `n` × `true` (real, or simulated with `exec.test.run_duration` 0), then
 * every future's result (`sim`: simulated with `exec.test.run_duration` 1 ms). Its futures resolve at
 * `finish` (before `clean`), and each follows its job with an eventlog watch of its own.
 */
const PY_EXECUTOR = `
import sys, flux
from flux.job import FluxExecutor, JobspecV1
n = int(sys.argv[1])
spec = JobspecV1.from_command(["true"])
spec.environment = {"PATH": "/usr/bin:/bin"}
spec.cwd = "/tmp"
if sys.argv[2] == "sim":
    spec.setattr("system.exec.test.run_duration", "0.001s")
with FluxExecutor() as ex:
    futures = [ex.submit(spec) for _ in range(n)]
    failed = sum(1 for f in futures if f.result() != 0)
if failed:
    sys.exit("%d jobs failed" % failed)
`;

/** A way to run `jobs` jobs, measured once per round. */
interface Way {
  readonly key: string;
  readonly way: string;
  readonly jobs: number;
  /** The row of our executor this one is compared with (undefined: it is ours). */
  readonly against?: string;
  readonly run: () => Promise<Measure> | Measure;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs the Flux benchmark and prints its table; returns the rows (empty when no instance answers). */
export async function benchFlux(opts: { jobs?: number; simulated?: readonly number[]; rounds?: number; only?: readonly string[] } = {}): Promise<FluxRow[]> {
  const jobs = opts.jobs ?? 1000;
  const simulated = opts.simulated ?? [10_000, 1000];
  const rounds = opts.rounds ?? 3;
  const only = opts.only;
  const want = (k: string) => !only || only.includes(k);
  const uri = instanceUri();
  const flux = fluxBinary();
  const env = { ...process.env, ...(uri && { FLUX_URI: uri }) };
  if (!uri || spawnSync(flux, ['uptime'], { env }).status !== 0) {
    console.log('\n*** SKIPPING the Flux benchmark: no Flux instance answers (run scripts/flux/start-dev-instance.sh) ***\n');
    return [];
  }

  // Groups of ways measured in turns within each round; each group's first way is ours.
  const trueSpec = Jobspec.fromCommand(['true'], { environment: PATH_ONLY, cwd: tmpdir() });
  const simSpec = Jobspec.fromObject({
    version: 1,
    resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
    tasks: [{ command: ['true'], slot: 'task', count: { per_slot: 1 } }],
    attributes: { system: { duration: 0, cwd: tmpdir(), environment: PATH_ONLY, exec: { test: { run_duration: SIM_RUN } } } },
  });
  const script = throughputScript();
  const groups: Way[][] = [
    [
      { key: 'ours', way: `jobfutures executor, ${jobs} × true`, jobs, run: () => ours(uri, jobs, trueSpec) },
      { key: 'floor', way: `instance floor: flux submit --cc=1-${jobs} true, until Flux's last clean`, jobs, against: 'ours', run: () => floor(flux, jobs, env) },
      {
        key: 'submit',
        way: `flux submit --cc=1-${jobs} --wait true`,
        jobs,
        against: 'ours',
        run: () => timed(flux, ['submit', `--cc=1-${jobs}`, '--quiet', '--wait', '--env=-*', '--env=PATH=/usr/bin:/bin', 'true'], env),
      },
      { key: 'executor', way: `Python FluxExecutor, ${jobs} × true`, jobs, against: 'ours', run: () => timed(flux, ['python', '-c', PY_EXECUTOR, String(jobs), 'real'], env) },
    ],
    ...simulated.map((n): Way[] => [
      { key: 'sim', way: `jobfutures executor, ${n} simulated`, jobs: n, run: () => ours(uri, n, simSpec) },
      { key: 'simexecutor', way: `Python FluxExecutor, ${n} simulated`, jobs: n, against: 'sim', run: () => timed(flux, ['python', '-c', PY_EXECUTOR, String(n), 'sim'], env) },
      { key: 'throughput', way: `flux-core throughput.py -n ${n}`, jobs: n, against: 'sim', run: () => timed(flux, ['python', script, '-n', String(n), '-t', SIM_RUN], env) },
    ]),
  ];
  if (want('throughput') && !existsSync(script)) {
    console.log(`\n*** SKIPPING the throughput.py rows: no ${script} (set FLUX_THROUGHPUT_PY) ***\n`);
  }
  const chosen = groups.map((g) => g.filter((w) => want(w.key) && (w.key !== 'throughput' || existsSync(script)))).filter((g) => g.length > 0);

  const measured = new Map<Way, Measure[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const group of chosen) {
      for (const way of group) {
        const m = await way.run();
        console.log(`round ${round}/${rounds}: ${way.way}: ${m.seconds.toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`);
        (measured.get(way) ?? measured.set(way, []).get(way)!).push(m);
      }
    }
  }

  const rows: FluxRow[] = [];
  for (const group of chosen) {
    const mine = new Map<string, number>();
    for (const way of group) {
      const ms = measured.get(way)!;
      const seconds = median(ms.map((m) => m.seconds));
      if (way.against === undefined) mine.set(way.key, seconds);
      const base = way.against === undefined ? undefined : mine.get(way.against);
      rows.push({
        key: way.key,
        way: way.way,
        jobs: way.jobs,
        seconds,
        rounds: ms.map((m) => m.seconds),
        jobsPerSecond: way.jobs / seconds,
        ...(base !== undefined && { ours: `${(seconds / base).toFixed(2)}×` }),
        ...(ms[0]!.note !== undefined && { note: ms[0]!.note }),
      });
    }
  }

  const version = execFileSync(flux, ['version'], { env, encoding: 'utf8' }).match(/broker:\s*(\S+)/)?.[1] ?? '?';
  const cores = execFileSync(flux, ['resource', 'list', '-s', 'up', '-no', '{ncores}'], { env, encoding: 'utf8' }).trim();
  const load = loadavg().map((l) => l.toFixed(2));
  printTable(
    `Flux ${version} dev instance (${cores} cores advertised), median of ${rounds} round(s), time until every job is inactive (load ${load.join(' ')})`,
    rows.map((r) => ({
      way: r.way,
      jobs: r.jobs,
      seconds: r.seconds.toFixed(2),
      'jobs/s': r.jobsPerSecond.toFixed(1),
      'peer time / ours': r.ours ?? '',
      rounds: r.rounds.map((s) => s.toFixed(1)).join(' '),
      note: r.note ?? '',
    })),
  );
  writeResult('flux', { machine: machineInfo(), loadavg: loadavg(), flux: version, cores: Number(cores), rounds, rows });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  await benchFlux({
    ...(arg('--jobs') && { jobs: Number(arg('--jobs')) }),
    ...(arg('--simulated') && { simulated: arg('--simulated')!.split(',').map(Number) }),
    ...(arg('--rounds') && { rounds: Number(arg('--rounds')) }),
    ...(arg('--only') && { only: arg('--only')!.split(',') }),
  });
}
