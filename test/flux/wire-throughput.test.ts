/**
 * Throughput figures of the wire client: 1,000 pipelined submissions of simulated jobs
 * (`attributes.system.exec.test.run_duration`, no process) on one connection, and the time until
 * all are inactive (seen in the journal). Opt-in (about 30-40 s on 2 cores): JOBF_FLUX_BENCH=1.
 */
import { describe, expect, it } from 'vitest';
import { FluxConnection, submitJobs, watchJournal } from '../../src/backends/flux/wire/index.js';
import { findInstance, fluxCmd } from './instance.js';

const N = Number(process.env.JOBF_FLUX_BENCH_N ?? 1000);
const inst = process.env.JOBF_FLUX_BENCH ? await findInstance() : undefined;

describe.skipIf(!inst)('Flux wire throughput', () => {
  it(`submits ${N} simulated jobs pipelined and sees them all inactive`, { timeout: 600_000 }, async () => {
    const conn = await FluxConnection.connect(inst!.uri);
    const spec = {
      version: 1,
      resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
      tasks: [{ command: ['true'], slot: 'task', count: { per_slot: 1 } }],
      attributes: { system: { duration: 0, cwd: '/tmp', exec: { test: { run_duration: '0.001s' } } } },
    };
    const clean = new Set<bigint>();
    const state: { ids?: Set<bigint> } = {};
    let allClean!: () => void;
    const allCleanP = new Promise<void>((r) => (allClean = r));
    const check = (): void => {
      if (state.ids && [...state.ids].every((id) => clean.has(id))) allClean();
    };
    await new Promise<void>((ready) => {
      const j = watchJournal(conn, { allow: { clean: 1 } }, (e) => {
        clean.add(e.id);
        if (state.ids?.has(e.id)) check();
      }, ready);
      void allCleanP.then(() => j.cancel());
    });
    const t0 = performance.now();
    const res = await submitJobs(conn, Array.from({ length: N }, () => spec));
    const tSubmit = performance.now() - t0;
    const ids = new Set(res.map((r) => {
      if (r instanceof Error) throw r;
      return r;
    }));
    state.ids = ids;
    check();
    await allCleanP;
    const tAll = performance.now() - t0;
    console.log(`flux wire: ${N} pipelined submits in ${tSubmit.toFixed(0)} ms (${((N / tSubmit) * 1000).toFixed(0)}/s), all inactive after ${(tAll / 1000).toFixed(1)} s (${((N / tAll) * 1000).toFixed(1)} jobs/s)`);
    expect(ids.size).toBe(N);
    // (`flux jobs --stats-only` exits 1 when no job is active, so ask for the jobs themselves)
    const out = JSON.parse(fluxCmd(inst!, ['jobs', '--json', ...[...ids].map(String)])) as { jobs: { result: string }[] };
    expect(out.jobs.filter((j) => j.result === 'COMPLETED')).toHaveLength(N);
    await conn.close();
  });
});
