/**
 * The README's examples are real programs: each code block marked `<!-- example: FILE -->` is the
 * `// readme:start` … `// readme:end` region of that file in examples/readme/ (with the package name
 * for the relative import), and every such file runs to exit 0. `npm test` builds dist/ first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES = path.join(ROOT, 'examples/readme');

/** `[file, block]` for every marked block of the README. */
function markedBlocks(): [string, string][] {
  const out: [string, string][] = [];
  for (const m of README.matchAll(/<!-- example: (\S+) -->\n```\w+\n([\s\S]*?)```/g)) out.push([m[1]!, m[2]!]);
  return out;
}

function region(file: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const start = text.indexOf('// readme:start\n');
  const end = text.indexOf('// readme:end\n');
  if (start < 0 || end < start) throw new Error(`${file} has no readme:start/readme:end region`);
  return text.slice(start + '// readme:start\n'.length, end).replaceAll("'../../src/index.js'", "'jobfutures'");
}

function slurmReachable(): boolean {
  return spawnSync('sinfo', ['-h'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function sgeReachable(): boolean {
  return spawnSync('qstat', ['-f'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function fluxReachable(): boolean {
  const uriFile = '/run/jobfutures-flux/uri';
  const uri = process.env.FLUX_URI ?? (existsSync(uriFile) ? readFileSync(uriFile, 'utf8').trim() : '');
  return uri.startsWith('local://') && existsSync(uri.slice('local://'.length));
}

/** Runs a built example from examples/readme (where ./sim is); returns its stdout. */
function run(file: string): string {
  const built = file.endsWith('.mjs') ? path.join(ROOT, file) : path.join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first (npm test does)`);
  try {
    return execFileSync(process.execPath, [built], { cwd: EXAMPLES, encoding: 'utf8', timeout: 120_000 });
  } finally {
    rmSync(path.join(EXAMPLES, 'logs'), { recursive: true, force: true });
  }
}

describe('README examples', () => {
  const blocks = markedBlocks();

  it('every TypeScript/JavaScript block of the README is a marked example', () => {
    const fenced = [...README.matchAll(/```(ts|js)\n/g)].length;
    expect(blocks.length).toBe(fenced);
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it.each(blocks)('%s: the README block is the example region', (file, block) => {
    expect(block).toBe(region(file));
  });

  it.each(blocks.map(([file]) => file))('%s runs to exit 0', (file) => {
    if (file.endsWith('slurm.ts') && !slurmReachable()) {
      if (process.env['CI']) throw new Error('no Slurm reachable under CI (scripts/test-all.sh starts it)');
      console.warn('WARNING: no Slurm reachable: skipping the README\'s Slurm example');
      return;
    }
    if (file.endsWith('sge.ts') && !sgeReachable()) {
      if (process.env['CI']) throw new Error('no Grid Engine reachable under CI (scripts/test-all.sh starts it)');
      console.warn('WARNING: no Grid Engine reachable: skipping the README\'s Grid Engine example');
      return;
    }
    if (file.endsWith('flux.ts') && !fluxReachable()) {
      if (process.env['CI']) throw new Error('no Flux instance reachable under CI (scripts/test-all.sh starts it)');
      console.warn('WARNING: no Flux instance reachable: skipping the README\'s Flux example');
      return;
    }
    const out = run(file);
    expect(out).not.toMatch(/undefined undefined/);
  }, 180_000);

  it('the main job (npm run example) runs a fan-out with progress and a summary', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'dist/examples/fanout.js')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JOBS: '60' }, timeout: 120_000 });
    expect(out).toMatch(/60\/60 100%/);
    expect(out).toMatch(/COMPLETED/);
  }, 180_000);
});
