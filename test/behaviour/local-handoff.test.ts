/**
 * The local backend's hand-off with the launcher: while every core is busy, the next queued jobs
 * wait inside the launcher as standbys and start when a process of their class exits. Seen from
 * the executor, nothing may change: order, holds, cancels and core limits are as without it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobExecutor, Jobspec, wait, type JobFuture } from '../../src/index.js';
import { LauncherSpawner } from '../../src/backends/local/launcher-spawner.js';
import { gated, tempDir, waitFor } from './helpers.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const executors: JobExecutor[] = [];

function make(maxCores: number): JobExecutor {
  const ex = new JobExecutor({ backend: 'local', spawner: 'launcher', maxCores, killTimeout: 1000 });
  executors.push(ex);
  return ex;
}

function names(ex: JobExecutor): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  ex.on('event', (id, ev) => {
    const list = seen.get(id.f58) ?? [];
    list.push(ev.name);
    seen.set(id.f58, list);
  });
  return seen;
}

const eventsOf = (seen: Map<string, string[]>, f: JobFuture): string[] => seen.get(f.id!.f58) ?? [];

/** Waits until the jobs are with the backend (SCHED: submissions are handed over in batches). */
const scheduled = (...futures: JobFuture[]): Promise<void> => waitFor(() => futures.every((f) => f.state === 'SCHED'), 30_000, 'jobs to be scheduled');

afterEach(async () => {
  for (const ex of executors.splice(0)) await ex.shutdown({ cancelFutures: true });
});

describe.skipIf(!LauncherSpawner.available())('local backend: hand-off to standby jobs', () => {
  it('a job canceled while it waits for a slot never starts, and the slot goes to the next job', async () => {
    const dir = tempDir();
    const ex = make(1);
    const seen = names(ex);
    const go = path.join(dir, 'go');
    const blocker = ex.submit(Jobspec.fromCommand(gated(go), { environment: env }));
    await waitFor(() => blocker.running(), 30_000, 'blocker to run');
    const marker = path.join(dir, 'canceled-ran');
    const canceled = ex.submit(Jobspec.fromCommand(['touch', marker], { environment: env }));
    const next = ex.submit(Jobspec.fromCommand(['true'], { environment: env }));
    await scheduled(canceled, next); // the backend made `canceled` a standby: the launcher holds it
    expect(ex.cancel(canceled.id!)).toBe(true);
    writeFileSync(go, '');
    expect((await canceled).result).toBe('CANCELED');
    expect((await next).result).toBe('COMPLETED');
    expect((await blocker).result).toBe('COMPLETED');
    expect(existsSync(marker)).toBe(false);
    expect(eventsOf(seen, canceled)).not.toContain('alloc');
    expect(eventsOf(seen, canceled)).not.toContain('start');
    expect(eventsOf(seen, next)).toEqual(expect.arrayContaining(['alloc', 'start', 'finish']));
  });

  it('a job held while it waits for a slot stays held; later jobs take the slot', async () => {
    const dir = tempDir();
    const ex = make(1);
    const started: string[] = [];
    ex.on('event', (id, ev) => {
      if (ev.name === 'start') started.push(id.f58);
    });
    const go = path.join(dir, 'go');
    const blocker = ex.submit(Jobspec.fromCommand(gated(go), { environment: env }));
    await waitFor(() => blocker.running(), 30_000, 'blocker to run');
    const spec = Jobspec.fromCommand(['true'], { environment: env });
    const held = ex.submit(spec);
    const after = ex.submit(spec);
    await scheduled(held, after);
    expect(ex.setUrgency(held.id!, 0)).toBe(true);
    writeFileSync(go, '');
    await wait([blocker, after]);
    expect(held.state).toBe('SCHED');
    expect(started).toEqual([blocker.id!.f58, after.id!.f58]);
    expect(ex.setUrgency(held.id!, 16)).toBe(true);
    expect((await held).result).toBe('COMPLETED');
  });

  it('never runs more than maxCores processes across hand-offs, with mixed classes', async () => {
    const dir = tempDir();
    const ex = make(3);
    const log = path.join(dir, 'log');
    // each job appends +1 when it starts and -1 when it ends; the running sum must stay <= 3 cores
    const body = (cores: number): string[] => ['sh', '-c', `echo "+${cores}" >> "$0"; sleep 0.05; echo "-${cores}" >> "$0"`, log];
    const futures: JobFuture[] = [];
    for (let i = 0; i < 40; i++) {
      const cores = i % 10 === 9 ? 2 : 1;
      futures.push(ex.submit(Jobspec.fromCommand(body(cores), { environment: env, coresPerTask: cores })));
    }
    const { done } = await wait(futures);
    expect([...done].every((f) => f.peek()?.result === 'COMPLETED')).toBe(true);
    const { readFileSync } = await import('node:fs');
    let running = 0;
    let peak = 0;
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      running += Number(line);
      peak = Math.max(peak, running);
    }
    expect(running).toBe(0);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2);
  });

  it('runs a large fan-out to completion with every event in order', async () => {
    const ex = make(4);
    const seen = names(ex);
    const spec = Jobspec.fromCommand(['true'], { environment: env, output: '/dev/null', error: '/dev/null' });
    const futures = Array.from({ length: 300 }, () => ex.submit(spec));
    const { done } = await wait(futures);
    expect(done.size).toBe(300);
    for (const f of futures) {
      expect(f.peek()?.result).toBe('COMPLETED');
      expect(eventsOf(seen, f)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    }
  });
});
