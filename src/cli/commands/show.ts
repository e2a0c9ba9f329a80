/**
 * `jobf show ID`: one job in full: its fields, paths, jobspec and events.
 */
import { stringify as toYaml } from 'yaml';

import type { JobRecord, StoredEvent } from '../../store/index.js';
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import { parseIds, requireJobs, type CommandContext } from '../shared/context.js';
import { commandOf, eventJSONLine, formatAge, formatTime, jobJSON, paint, shellQuote, stateText } from '../shared/format.js';
import { waitingIn } from './list.js';
import { epochSeconds } from '../../util/time.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'show',
  summary: 'show one job: its fields, log paths, jobspec and events',
  synopsis: 'ID',
  operands: 'id',
  options: [],
};

function indent(text: string, by = '  '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/**
 * The spec with its environment (usually the whole environment of the submitting shell) replaced by
 * a count, to keep `jobf show` readable; `--json` has it all.
 */
function withoutEnvironment(spec: Record<string, unknown>): Record<string, unknown> {
  const system = (spec['attributes'] as { system?: Record<string, unknown> } | undefined)?.system;
  const env = system?.['environment'];
  if (env === null || typeof env !== 'object') return spec;
  const n = Object.keys(env).length;
  return {
    ...spec,
    attributes: {
      ...(spec['attributes'] as Record<string, unknown>),
      system: { ...system, environment: `(${n} variable${n === 1 ? '' : 's'}; "jobf show --json" prints them)` },
    },
  };
}

/** How {@link showText} shows the state: queued behind dependencies (DEPEND), in colour. */
export interface ShowOptions {
  readonly waiting?: boolean;
  readonly color?: boolean;
}

/** The text form of `jobf show`. */
export function showText(rec: JobRecord, events: readonly StoredEvent[], now: number, opts: ShowOptions = {}): string {
  const color = opts.color ?? false;
  const when = (t: number | undefined): string => (t === undefined ? '-' : `${formatTime(t)} (${formatAge(now - t)} ago)`);
  const fields: [string, string][] = [
    ['id', `${rec.jobid.f58} (${rec.jobid.dec})`],
    ['name', rec.name],
    ['backend', rec.backend],
    ['state', paint(stateText(rec, opts.waiting), color)],
    ['result', rec.result === undefined ? '-' : paint(rec.returncode === undefined ? rec.result : `${rec.result} (exit code ${rec.returncode})`, color)],
  ];
  if (rec.exception) fields.push(['exception', `${rec.exception.type}: ${rec.exception.note}`.replace(/: $/, '')]);
  fields.push(
    ['urgency', String(rec.urgency)],
    ['native id', rec.nativeId ?? '-'],
    ['owner', rec.owner ? `pid ${rec.owner.pid} on ${rec.owner.host}` : '-'],
    ['attempt', String(rec.attempt)],
    ['submitted', when(rec.submittedAt)],
    ['started', when(rec.tRun)],
    ['ended', when(rec.tCleanup)],
    ['command', shellQuote(commandOf(rec.spec))],
    ['cwd', rec.cwd ?? '-'],
    ['stdout', rec.stdout ?? '-'],
    ['stderr', rec.stderr ?? '-'],
    ['log dir', rec.logDir ?? '-'],
  );
  if (rec.arrayId) fields.push(['array', `${rec.arrayId.f58} index ${rec.arrayIndex ?? '-'}`]);
  fields.push(['depends on', rec.dependencies.map((d) => `${d.jobid.f58} (${d.kind})`).join(', ') || '-']);
  const width = Math.max(...fields.map(([k]) => k.length)) + 2;
  const eventLines = events.map((e) => {
    const ctx = e.context && Object.keys(e.context).length > 0 ? ` ${JSON.stringify(e.context)}` : '';
    return `${formatTime(e.timestamp)}  #${e.seq} (attempt ${e.attempt})  ${e.name}${ctx}`;
  });
  return [
    ...fields.map(([k, v]) => `${(k + ':').padEnd(width)}${v}`),
    'jobspec:',
    indent(toYaml(withoutEnvironment(rec.spec), { lineWidth: 0 })),
    'events:',
    ...(eventLines.length > 0 ? eventLines.map((l) => `  ${l}`) : ['  -']),
    '',
  ].join('\n');
}

/** Runs `jobf show`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const [id] = parseIds(args.operands);
  const store = ctx.openStore('read');
  try {
    const { rec, events, waiting } = store.snapshot(() => {
      const [rec] = requireJobs(store, [id!]);
      return { rec: rec!, events: store.events(id!), waiting: waitingIn(store, [rec!]).size > 0 };
    });
    if (ctx.json) {
      const evs = events.map((e) => JSON.parse(eventJSONLine(rec.jobid.f58, e)) as unknown);
      ctx.io.out(JSON.stringify({ job: jobJSON(rec), spec: rec.spec, events: evs }, null, 2) + '\n');
    } else {
      ctx.io.out(showText(rec, events, epochSeconds(), { waiting, color: ctx.io.color }));
    }
    return 0;
  } finally {
    store.close();
  }
}
