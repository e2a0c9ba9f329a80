// README "Jobspec".
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Jobspec, JobspecParseError, JobspecValidationError } from '../../src/index.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'jobf-readme-'));
const yamlOrJsonText = 'version: 1\nresources: [ {type: slot, count: 1, label: task, with: [ {type: core, count: 1} ]} ]\ntasks: [ {command: [hostname], slot: task, count: {per_slot: 1}} ]\nattributes: {system: {duration: 0}}\n';
const obj = { version: 1, resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }], tasks: [{ command: [], slot: 'task', count: { per_slot: 1 } }], attributes: { system: { duration: 0 } } };
writeFileSync(path.join(scratch, 'params.txt'), '');

// readme:start
const spec = Jobspec.fromCommand(['./sim', '--seed', '7'], {
  numTasks: 4, coresPerTask: 2,             // Flux's shape rules; numNodes, exclusive, gpusPerTask too
  duration: '10m',                          // seconds or RFC 23 strings: '90s', '10m', '2h', '1d'
  environment: { PATH: '/usr/bin:/bin' },   // exact environment (default: the submitting process's)
  cwd: scratch, name: 'sim-7',
  output: 'logs/{{name}}-{{id}}.out', error: 'logs/{{id}}.err', input: 'params.txt',
});
console.log(spec.numTasks, spec.duration, spec.stdout);
const longer = spec.setAttribute('system.duration', 3600); // immutable: setters return a new Jobspec
console.log(longer.duration, Jobspec.parse(yamlOrJsonText).command);
try {
  Jobspec.fromObject(obj);                                   // JobspecValidationError: errors [{ path: '/tasks/0/command', message }]
} catch (err) {
  if (!(err instanceof JobspecValidationError)) throw err;
  console.log(err.errors[0]?.path);
}
try {
  Jobspec.parse('version: [1');
} catch (err) {
  if (!(err instanceof JobspecParseError)) throw err;
  console.log('parse error at line', err.line);
}
console.log(Jobspec.fromBatchCommand('#!/bin/sh\n./sim "$1"\n', { args: ['7'] }).command);  // the script travels inside the jobspec
// readme:end
