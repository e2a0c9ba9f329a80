/**
 * The local backend's default output files are made only once written (`lazyOutput`, the
 * launcher's O_TMPFILE + link): `stdoutPath`/`stderrPath` and `readStdout()`/`readStderr()` stay
 * truthful: a file appears while the job runs once it writes, is there before `finish` if written,
 * a stream never written leaves no file and reads as '', and a stale file at the path is not
 * passed off as this run's output.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobExecutor, Jobspec } from '../../src/index.js';
import { LauncherSpawner } from '../../src/backends/local/launcher-spawner.js';
import { gated, tempDir, waitFor } from './helpers.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const executors: JobExecutor[] = [];

function make(options: { lazyOutput?: boolean; spawner?: 'launcher' | 'execa' } = {}): JobExecutor {
  const ex = new JobExecutor({ backend: 'local', spawner: options.spawner ?? 'launcher', maxCores: 4, logDir: tempDir('jobf-lazy-'), ...(options.lazyOutput !== undefined && { lazyOutput: options.lazyOutput }) });
  executors.push(ex);
  return ex;
}

afterEach(async () => {
  await Promise.all(executors.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

const sh = (script: string) => Jobspec.fromCommand(['sh', '-c', script], { environment: env });

describe.skipIf(!LauncherSpawner.available())('local backend: default output files made once written', () => {
  it('a stream written gets its file before the job is done; one never written has none and reads as ""', async () => {
    const ex = make();
    const out = ex.submit(sh('echo hello'));
    const err = ex.submit(sh('echo oops >&2; exit 3'));
    const quiet = ex.submit(sh('true'));
    await Promise.all([out, err, quiet]);
    expect(readFileSync(out.stdoutPath!, 'utf8')).toBe('hello\n');
    expect(existsSync(out.stderrPath!)).toBe(false);
    expect(await out.readStderr()).toBe('');
    expect(existsSync(err.stdoutPath!)).toBe(false);
    expect(await err.readStderr()).toBe('oops\n');
    expect((await err).returncode).toBe(3);
    expect(existsSync(quiet.stdoutPath!)).toBe(false);
    expect(existsSync(quiet.stderrPath!)).toBe(false);
    expect(await quiet.readStdout()).toBe('');
    expect(await quiet.readStderr()).toBe('');
    // the paths are where the files are (default names in the log folder)
    expect(path.basename(out.stdoutPath!)).toBe(`${out.id!.f58}.out`);
  });

  it('a running job that writes gets its file while it runs, and keeps writing to it', async () => {
    const ex = make();
    const dir = tempDir('jobf-lazy-gate-');
    const gate = path.join(dir, 'go');
    const job = ex.submit(Jobspec.fromCommand(['sh', '-c', `echo early; while [ ! -e ${gate} ]; do sleep 0.02; done; echo late`], { environment: env }));
    await waitFor(() => existsSync(job.stdoutPath!), 20_000, 'the output file of the running job');
    expect(job.state).toBe('RUN');
    expect(await job.readStdout()).toBe('early\n');
    writeFileSync(gate, '');
    await job;
    expect(await job.readStdout()).toBe('early\nlate\n');
  });

  it('while a job has written nothing, readStdout() says the file is made when first written', async () => {
    const ex = make();
    const dir = tempDir('jobf-lazy-gate-');
    const job = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env }));
    await waitFor(() => job.state === 'RUN', 20_000, 'the job to run');
    await expect(job.readStdout()).rejects.toThrow(/made when first written/);
    writeFileSync(path.join(dir, 'go'), '');
    await job;
    expect(await job.readStdout()).toBe('');
  });

  it('a stale file at the path is not passed off as the output of a job that wrote nothing', async () => {
    const ex = make();
    const job = ex.submit(sh('true'), { urgency: 0 }); // held: its paths are known, it has not run
    writeFileSync(job.stdoutPath!, 'stale\n');
    writeFileSync(job.stderrPath!, 'stale\n');
    ex.setUrgency(job.id!, 16);
    await job;
    expect(existsSync(job.stdoutPath!)).toBe(false);
    expect(await job.readStdout()).toBe('');
    expect(await job.readStderr()).toBe('');
    const writer = ex.submit(sh('echo new'), { urgency: 0 });
    writeFileSync(writer.stdoutPath!, 'stale and longer\n');
    ex.setUrgency(writer.id!, 16);
    await writer;
    expect(await writer.readStdout()).toBe('new\n');
  });

  it('an unnamed file left empty is reused for a later job, which gets only its own output', async () => {
    const ex = new JobExecutor({ backend: 'local', spawner: 'launcher', maxCores: 1, logDir: tempDir('jobf-lazy-') });
    executors.push(ex);
    for (let i = 0; i < 5; i++) expect((await ex.submit(sh('true'))).result).toBe('COMPLETED');
    const writer = ex.submit(sh('echo mine; echo mine-err >&2'));
    await writer;
    expect(readFileSync(writer.stdoutPath!, 'utf8')).toBe('mine\n');
    expect(readFileSync(writer.stderrPath!, 'utf8')).toBe('mine-err\n');
    const quiet = ex.submit(sh('true'));
    await quiet;
    expect(existsSync(quiet.stdoutPath!)).toBe(false);
  });

  it("output a job's leftover process writes after the job ended never lands in a later job's file", async () => {
    const dir = tempDir('jobf-lazy-gates-');
    const [gate, wrote, release] = ['gate', 'wrote', 'release'].map((f) => path.join(dir, f)) as [string, string, string];
    const ex = make();
    // A leaves a background process holding its stdout and stderr, which writes once `gate` exists.
    const leaver = ex.submit(sh(`(while [ ! -e ${gate} ]; do sleep 0.02; done; echo late-out; echo late-err >&2; touch ${wrote}) & exit 0`));
    expect((await leaver).result).toBe('COMPLETED');
    // Quiet jobs start after A was reaped (any may be handed A's unnamed files if they were reused wrongly).
    const quiet = Array.from({ length: 4 }, () => ex.submit(sh(`while [ ! -e ${release} ]; do sleep 0.02; done`)));
    await waitFor(() => quiet.every((f) => f.state === 'RUN'), 10_000, 'the quiet jobs to run');
    writeFileSync(gate, '');
    await waitFor(() => existsSync(wrote), 10_000, 'the leftover process to write');
    writeFileSync(release, '');
    await Promise.all(quiet);
    for (const f of quiet) {
      expect(await f.readStdout()).toBe('');
      expect(await f.readStderr()).toBe('');
    }
  });

  it('lazyOutput: false, and the execa spawner, make both files at once', async () => {
    for (const ex of [make({ lazyOutput: false }), make({ spawner: 'execa' })]) {
      const job = ex.submit(sh('true'));
      await job;
      expect(existsSync(job.stdoutPath!)).toBe(true);
      expect(existsSync(job.stderrPath!)).toBe(true);
      expect(await job.readStdout()).toBe('');
    }
  });

  it('outputs named in the spec, and multi-task jobs, are made at once as before', async () => {
    const ex = make();
    const dir = tempDir('jobf-lazy-named-');
    const named = ex.submit(Jobspec.fromCommand(['true'], { environment: env, output: path.join(dir, 'named.out') }));
    const tasks = ex.submit(Jobspec.fromCommand(['true'], { environment: env, numTasks: 2 }));
    await Promise.all([named, tasks]);
    expect(existsSync(path.join(dir, 'named.out'))).toBe(true);
    expect(existsSync(tasks.stdoutPath!)).toBe(true);
  });
});
