/**
 * `jobf --backend flux` on the real instance, like the other batch backends: `submit` hands the
 * jobs to Flux at once and exits; a later `wait` (a new owner) follows them to Flux's results.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { tempDir } from '../behaviour/helpers.js';
import { ids, jobf, prepareBin } from '../cli/helpers/jobf.js';
import { describeFlux } from './instance.js';

describeFlux('jobf --backend flux', (inst) => {
  beforeAll(prepareBin, 300_000);

  it('submits an array and a failing job, then waits for and lists their results', async () => {
    const cwd = tempDir('jobf-flux-cli-');
    const opts = { cwd, env: { FLUX_URI: inst.uri } };
    const array = ids(await jobf(['--backend', 'flux', 'submit', '--array', '3', '--', 'sh', '-c', 'echo task {index}'], opts));
    const failing = ids(await jobf(['--backend', 'flux', 'submit', '--', 'sh', '-c', 'exit 3'], opts));
    expect(array).toHaveLength(3);
    await jobf(['wait'], opts);
    const list = await jobf(['--json', 'list'], opts);
    expect(list.exitCode).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; backend: string; result: string; returncode: number; nativeId: string; stdout: string }[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of array) expect(byId.get(id.f58)).toMatchObject({ backend: 'flux', result: 'COMPLETED', returncode: 0, nativeId: expect.stringMatching(/^ƒ/) });
    expect(byId.get(failing[0]!.f58)).toMatchObject({ result: 'FAILED', returncode: 3 });
    expect(readFileSync(byId.get(array[1]!.f58)!.stdout, 'utf8')).toBe('task 2\n');
  }, 180_000);
});
