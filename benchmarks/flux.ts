/**
 * Flux, all in one run on the dev instance (scripts/flux/start-dev-instance.sh): 1,000 × `true`
 * through our executor vs `flux submit --cc=1-1000 --wait true` vs Python's `FluxExecutor` (the
 * bindings built with the instance), time until every job is inactive; then 10,000 simulated jobs
 * (`exec.test.run_duration`) through our executor vs flux-core's `throughput.py`. Skipped loudly
 * when no instance answers; the `throughput.py` row when the script is not installed.
 *
 *   node dist/benchmarks/flux.js [--jobs 1000] [--simulated 10000] [--only ours,submit,executor,sim,throughput]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FluxBackend, JobExecutor, Jobspec } from '../src/index.js';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the Flux benchmark. */
export interface FluxRow {
  readonly way: string;
  readonly jobs: number;
  /** Seconds from the first submission until every job is inactive (`clean`). */
  readonly seconds: number;
  readonly jobsPerSecond: number;
  /** Our time's advantage: the peer's seconds / ours (filled in for peers). */
  readonly ours?: string;
  readonly note?: string;
}

const PATH_ONLY = { PATH: '/usr/bin:/bin' };

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
async function ours(uri: string, n: number, spec: Jobspec, way: string): Promise<FluxRow> {
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
    return { way, jobs: n, seconds, jobsPerSecond: n / seconds, note: `${connections} connection, 0 processes` };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

function timed(way: string, n: number, cmd: string, args: string[], env: NodeJS.ProcessEnv): FluxRow {
  const t0 = performance.now();
  execFileSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  return { way, jobs: n, seconds, jobsPerSecond: n / seconds };
}

/** Python's FluxExecutor: submit `n` × `true`, wait for every future (they resolve at `finish`, before `clean`). */
const PY_EXECUTOR = `
import sys, flux
from flux.job import FluxExecutor, JobspecV1
n = int(sys.argv[1])
spec = JobspecV1.from_command(["true"])
spec.environment = {"PATH": "/usr/bin:/bin"}
spec.cwd = "/tmp"
with FluxExecutor() as ex:
    futures = [ex.submit(spec) for _ in range(n)]
    failed = sum(1 for f in futures if f.result() != 0)
if failed:
    sys.exit("%d jobs failed" % failed)
`;

/** Runs the Flux benchmark and prints its table; returns the rows (empty when no instance answers). */
export async function benchFlux(opts: { jobs?: number; simulated?: number; only?: readonly string[] } = {}): Promise<FluxRow[]> {
  const jobs = opts.jobs ?? 1000;
  const simulated = opts.simulated ?? 10_000;
  const only = opts.only;
  const want = (k: string) => !only || only.includes(k);
  const uri = instanceUri();
  const flux = fluxBinary();
  const env = { ...process.env, ...(uri && { FLUX_URI: uri }) };
  if (!uri || spawnSync(flux, ['uptime'], { env }).status !== 0) {
    console.log('\n*** SKIPPING the Flux benchmark: no Flux instance answers (run scripts/flux/start-dev-instance.sh) ***\n');
    return [];
  }
  const rows: FluxRow[] = [];
  const ratio = (peer: FluxRow, mine: FluxRow | undefined) => (mine ? { ...peer, ours: `${(peer.seconds / mine.seconds).toFixed(2)}×` } : peer);

  // 1. real jobs
  const trueSpec = Jobspec.fromCommand(['true'], { environment: PATH_ONLY, cwd: tmpdir() });
  const mineReal = want('ours') ? await ours(uri, jobs, trueSpec, `jobfutures executor, ${jobs} × true`) : undefined;
  if (mineReal) rows.push(mineReal);
  if (want('submit')) {
    rows.push(ratio(timed(`flux submit --cc=1-${jobs} --wait true`, jobs, flux, ['submit', `--cc=1-${jobs}`, '--quiet', '--wait', '--env=-*', '--env=PATH=/usr/bin:/bin', 'true'], env), mineReal));
  }
  if (want('executor')) {
    rows.push(ratio(timed(`Python FluxExecutor, ${jobs} × true`, jobs, flux, ['python', '-c', PY_EXECUTOR, String(jobs)], env), mineReal));
  }

  // 2. simulated jobs
  const simSpec = Jobspec.fromObject({
    version: 1,
    resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
    tasks: [{ command: ['true'], slot: 'task', count: { per_slot: 1 } }],
    attributes: { system: { duration: 0, cwd: tmpdir(), environment: PATH_ONLY, exec: { test: { run_duration: '0.001s' } } } },
  });
  const mineSim = want('sim') ? await ours(uri, simulated, simSpec, `jobfutures executor, ${simulated} simulated`) : undefined;
  if (mineSim) rows.push(mineSim);
  if (want('throughput')) {
    const script = process.env.FLUX_THROUGHPUT_PY ?? `${process.env.FLUX_PREFIX ?? '/opt/jobfutures-flux'}/share/jobfutures/throughput.py`;
    if (existsSync(script)) rows.push(ratio(timed(`flux-core throughput.py -n ${simulated}`, simulated, flux, ['python', script, '-n', String(simulated)], env), mineSim));
    else console.log(`\n*** SKIPPING the throughput.py row: no ${script} (set FLUX_THROUGHPUT_PY) ***\n`);
  }

  const version = execFileSync(flux, ['version'], { env, encoding: 'utf8' }).match(/broker:\s*(\S+)/)?.[1] ?? '?';
  const cores = execFileSync(flux, ['resource', 'list', '-s', 'up', '-no', '{ncores}'], { env, encoding: 'utf8' }).trim();
  printTable(
    `Flux ${version} dev instance (${cores} cores advertised), time until every job is inactive`,
    rows.map((r) => ({ way: r.way, jobs: r.jobs, seconds: r.seconds.toFixed(2), 'jobs/s': r.jobsPerSecond.toFixed(1), 'peer time / ours': r.ours ?? '', note: r.note ?? '' })),
  );
  writeResult('flux', { machine: machineInfo(), flux: version, cores: Number(cores), rows });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  await benchFlux({
    ...(arg('--jobs') && { jobs: Number(arg('--jobs')) }),
    ...(arg('--simulated') && { simulated: Number(arg('--simulated')) }),
    ...(arg('--only') && { only: arg('--only')!.split(',') }),
  });
}
