/**
 * Rules on the strings a job's processes are started from (argv, environment, cwd, stdio paths)
 * that the JSON Schema does not state: a NUL byte cannot cross `execve(2)` or `open(2)` (C strings
 * end at it), and an empty program name cannot be executed. Without these checks such a jobspec
 * would validate and fail only when the job starts.
 *
 * @module
 */
import { childPointer, describeValue } from './pointer.js';
import type { JobspecIssue, JobspecV1Object } from './types.js';

const NUL_MESSAGE = 'must not contain a NUL byte (it cannot be passed to a process)';

/**
 * The issues of `spec`'s process strings, or `undefined` when there are none. Runs on a document
 * that already matches the schema (so every value looked at has its schema type).
 */
export function execStringIssues(spec: JobspecV1Object): JobspecIssue[] | undefined {
  let issues: JobspecIssue[] | undefined;
  const add = (path: string, message: string): void => {
    (issues ??= []).push({ path, message });
  };

  const command = spec.tasks[0].command;
  if (command[0] === '') add('/tasks/0/command/0', 'must not be empty (it names the program to run)');
  for (let i = 0; i < command.length; i++) {
    if (command[i]!.includes('\0')) add(`/tasks/0/command/${i}`, `${NUL_MESSAGE} (got ${describeValue(command[i])})`);
  }

  const system = spec.attributes.system;
  const environment = system.environment;
  if (environment !== undefined) {
    for (const [name, value] of Object.entries(environment)) {
      const path = childPointer('/attributes/system/environment', name);
      if (name.includes('\0')) add(path, `invalid environment variable name ${JSON.stringify(name)}: ${NUL_MESSAGE}`);
      else if (value.includes('\0')) add(path, `${NUL_MESSAGE} (got ${describeValue(value)})`);
    }
  }
  if (system.cwd?.includes('\0')) add('/attributes/system/cwd', `${NUL_MESSAGE} (got ${describeValue(system.cwd)})`);

  const options = system.shell?.options;
  const redirects: Array<[string, { readonly path: string } | undefined]> = [
    ['/attributes/system/shell/options/input/stdin/path', options?.input?.stdin],
    ['/attributes/system/shell/options/output/stdout/path', options?.output?.stdout],
    ['/attributes/system/shell/options/output/stderr/path', options?.output?.stderr],
  ];
  for (const [path, redirect] of redirects) {
    if (redirect?.path.includes('\0')) add(path, `${NUL_MESSAGE} (got ${describeValue(redirect.path)})`);
  }
  return issues;
}
