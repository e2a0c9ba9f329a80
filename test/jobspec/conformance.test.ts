/**
 * Conformance: every Flux jobspec fixture of ../shared/conformance/flux-jobspec, held to the
 * contract of ../shared/conformance/README.md. The Flux set is optional (a plain clone does not
 * have it): when it is missing, one loud line says so and these tests are skipped; the project's
 * own fixtures (fixtures.test.ts) always run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Jobspec, JobspecParseError, JobspecValidationError } from '../../src/jobspec/index.js';
import { FLUX_INVALID_COVERED_BY, FLUX_INVALID_V1_COVERED_BY } from './flux-coverage.js';
import { conformanceDir, expectUsefulRejection, fixture, fixturesDir, fluxConformanceAvailable, thrown } from './helpers.js';

const FOLDERS = ['valid_v1', 'invalid_v1', 'invalid', 'valid'] as const;
type Folder = (typeof FOLDERS)[number];

/** The counts of the README's table (`| \`valid_v1/\` | 7 | ...`). */
function readmeCounts(): Record<Folder, number> {
  const readme = readFileSync(path.join(conformanceDir, 'README.md'), 'utf8');
  const counts: Partial<Record<Folder, number>> = {};
  for (const match of readme.matchAll(/^\|\s*`([a-z_0-9]+)\/`\s*\|\s*(\d+)\s*\|/gm)) {
    counts[match[1] as Folder] = Number(match[2]);
  }
  for (const folder of FOLDERS) expect(counts[folder], `README count of ${folder}/`).toBeTypeOf('number');
  return counts as Record<Folder, number>;
}

function files(folder: Folder): string[] {
  return readdirSync(path.join(fixturesDir, folder))
    .filter((name) => name.endsWith('.yaml'))
    .sort();
}

if (!fluxConformanceAvailable('flux-jobspec')) {
  it.skip(`Flux jobspec conformance set (${fixturesDir}) is not present`, () => {});
} else {
  const summary: Record<string, string> = {};

  afterAll(() => {
    console.log(`conformance: ${FOLDERS.map((folder) => summary[folder] ?? `${folder} not run`).join(', ')}`);
  });

  const counts = readmeCounts();

  describe('valid_v1/: every file is accepted', () => {
    const names = files('valid_v1');

    it('holds as many files as the README says', () => {
      expect(names.length).toBe(counts.valid_v1);
    });

    it.each(names)('%s is accepted and round-trips unchanged', (name) => {
      const text = fixture('valid_v1', name);
      const spec = Jobspec.parse(text);
      expect(spec.toJSON()).toEqual(parseYaml(text));
      expect(Jobspec.parse(spec.dumps()).toJSON()).toEqual(spec.toJSON());
    });

    it('all are accepted (count)', () => {
      let accepted = 0;
      for (const name of names) {
        Jobspec.parse(fixture('valid_v1', name));
        accepted++;
      }
      expect(accepted).toBe(counts.valid_v1);
      summary.valid_v1 = `valid_v1 ${accepted}/${names.length} accepted`;
    });
  });

  /** First error of each invalid_v1 file: where, and a fragment of what. */
  const INVALID_V1: Record<string, [path: string, message: RegExp]> = {
    'core_count_invalid.yaml': ['/resources/0/with/0/with/0/count', /must be >= 1 \(got 0\)/],
    'duration_missing.yaml': ['/attributes/system', /missing required key 'duration'/],
    'gpu_count_invalid.yaml': ['/resources/0/with/0/with/1/count', /must be >= 0 \(got -1\)/],
    'node_vertex_missing_count.yaml': ['/resources/0', /missing required key 'count'/],
    'node_vertex_with_notarray.yaml': ['/resources/0/with/0/with', /must be an array \(got 2\)/],
    'node_vertex_with_toomany.yaml': ['/resources/0/with', /a node must hold exactly one slot/],
    'node_vertex_zero_count.yaml': ['/resources/0/count', /must be >= 1 \(got 0\)/],
    'res_type_unknown.yaml': ['/resources/0/type', /resource type 'smurf' is not allowed at the top level/],
    'slot_node.yaml': ['/resources/0/with/0/type', /resource type 'node' is not allowed inside a slot/],
    'task_count_per_resource.yaml': ['/tasks/0/count/per_resource', /unknown key 'per_resource'/],
    'version_wrong.yaml': ['/version', /^must be 1 \(only Jobspec V1 is supported; got 2\)$/],
    'with_toomany.yaml': ['/resources/0/with', /a slot holds one core and optionally one gpu .*got 3/],
    'with_whatnow.yaml': ['/resources/0/with/0/type', /resource type 'piglets' is not allowed inside a slot/],
  };

  describe('invalid_v1/: every file is rejected with where and what', () => {
    const names = files('invalid_v1');

    it('holds as many files as the README says, all with an expectation here', () => {
      expect(names.length).toBe(counts.invalid_v1);
      expect(names).toEqual(Object.keys(INVALID_V1).sort());
    });

    it.each(names)('%s', (name) => {
      const error = thrown(() => Jobspec.parse(fixture('invalid_v1', name)));
      expect(error).toBeInstanceOf(JobspecValidationError);
      const rejection = error as JobspecValidationError;
      expectUsefulRejection(rejection, name);
      const [where, what] = INVALID_V1[name]!;
      expect(rejection.errors[0]!.path).toBe(where);
      expect(rejection.errors[0]!.message).toMatch(what);
    });

    it('all are rejected (count)', () => {
      const rejected = names.filter((name) => thrown(() => Jobspec.parse(fixture('invalid_v1', name))) instanceof JobspecValidationError);
      expect(rejected.length).toBe(counts.invalid_v1);
      summary.invalid_v1 = `invalid_v1 ${rejected.length}/${names.length} rejected`;
    });
  });

  /** First error of each invalid/ file (canonical-jobspec rules). */
  const INVALID: Record<string, [path: string, message: RegExp]> = {
    'attributes_bad_entry.yaml': ['/attributes/foo', /unknown key 'foo' \(allowed: system, user\)/],
    'attributes_not_mapping.yaml': ['/attributes', /must be an object \(got 1\)/],
    'attributes_null.yaml': ['/attributes', /must be an object \(got null\)/],
    'constraints_not_object.yaml': ['/attributes/system', /missing required key 'duration'/],
    'dependencies_not_array.yaml': ['/attributes/system', /missing required key 'duration'/],
    'dependency_invalid.yaml': ['/attributes/system', /missing required key 'duration'/],
    'missing_attributes.yaml': ['', /missing required key 'attributes'/],
    'missing_resources.yaml': ['', /missing required key 'resources'/],
    'missing_tasks.yaml': ['', /missing required key 'tasks'/],
    'missing_version.yaml': ['', /missing required key 'version'/],
    'resource_count_bad_exp_min.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_bad_mult_operand.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_bad_operator.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_bad_type.yaml': ['/resources/0/count', /must be an integer \(got an array\)/],
    'resource_count_is_zero.yaml': ['/resources/0/count', /must be >= 1 \(got 0\)/],
    'resource_count_max_lessthan_min.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_min_is_zero.yaml': ['/resources/0/count', /range counts .*\{"min":0\}/],
    'resource_count_min_not_int.yaml': ['/resources/0/count', /range counts .*\{"min":"1"\}/],
    'resource_count_missing_min.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_missing_operand.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_missing_operator.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_negative.yaml': ['/resources/0/with/0/type', /resource type 'foo' is not allowed inside a slot/],
    'resource_count_operand_is_zero.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_operator_not_char.yaml': ['/resources/0/count', /range counts .*canonical jobspec/],
    'resource_count_scalar_bad_value.yaml': ['/resources/0/count', /count strings .*got "bar"/],
    'resource_exclusive_invalid.yaml': ['/resources/0/with/0/type', /resource type 'node' is not allowed inside a slot/],
    'resource_exclusive_not_scalar.yaml': ['/resources/0/exclusive', /must be a boolean \(got an array\)/],
    'resource_id_not_scalar.yaml': ['/resources/0/id', /unknown key 'id'/],
    'resource_label_not_scalar.yaml': ['/resources/0/label', /must be a string \(got an array\)/],
    'resource_missing_count.yaml': ['/resources/0/with/0/type', /resource type 'node' is not allowed inside a slot/],
    'resource_missing_type.yaml': ['/resources/0/with/0', /missing required key 'type'/],
    'resource_node_with_notarray.yaml': ['/resources/0/with', /must be an array \(got 42\)/],
    'resource_not_mapping.yaml': ['/resources/0', /must be an object \(got an array\)/],
    'resource_slot_not_labelled.yaml': ['/resources/0', /missing required key 'label'/],
    'resource_slot_with_notarray.yaml': ['/resources/0/with', /must be an array \(got 42\)/],
    'resource_type_not_string.yaml': ['/resources/0/with/0/type', /must be a string naming a resource type \(got an array\)/],
    'resource_unit_not_scalar.yaml': ['/resources/0/unit', /must be a string \(got an array\)/],
    'resources_not_sequence.yaml': ['/resources', /must be an array \(got an object\)/],
    'task_command_array_notstring.yaml': ['/tasks/0/command/0', /must be a string \(got 1\)/],
    'task_command_not_array.yaml': ['/tasks/0/command', /must be an array \(got "app"\)/],
    'task_command_zero_length_array.yaml': ['/tasks/0/command', /^must not be empty$/],
    'task_count_empty.yaml': ['/tasks/0/count', /must have exactly one of 'per_slot' or 'total' \(got none\)/],
    'task_count_not_mapping.yaml': ['/tasks/0/count', /must be an object \(got 1\)/],
    'task_count_per_slot_zero.yaml': ['/tasks/0/count/per_slot', /must be >= 1 \(got 0\)/],
    'task_count_total_and_per_slot.yaml': ['/tasks/0/count', /must have exactly one of 'per_slot' or 'total' \(got 'total' and 'per_slot'\)/],
    'task_count_total_zero.yaml': ['/tasks/0/count/total', /must be >= 1 \(got 0\)/],
    'task_missing_command.yaml': ['/tasks/0', /missing required key 'command'/],
    'task_missing_count.yaml': ['/tasks/0', /missing required key 'count'/],
    'task_missing_slot.yaml': ['/tasks/0', /missing required key 'slot'/],
    'task_not_mapping.yaml': ['/tasks/0', /must be an object \(got "foo"\)/],
    'tasks_not_sequence.yaml': ['/tasks', /must be an array \(got an object\)/],
    'version_bad_number.yaml': ['/version', /must be 1 \(only Jobspec V1 is supported; got 4\.2\)/],
    'version_is_zero.yaml': ['/version', /must be 1 \(only Jobspec V1 is supported; got 0\)/],
    'version_not_scalar.yaml': ['/version', /must be 1 \(only Jobspec V1 is supported; got \{"foo":1\}\)/],
  };

  /** Errors expected besides the first one, for files breaking several rules. */
  const INVALID_ALSO: Record<string, [path: string, message: RegExp]> = {
    'attributes_bad_entry.yaml': ['/attributes/system/duration', /must be a number \(got "1h"\)/],
    'constraints_not_object.yaml': ['/attributes/system/constraints', /must be an object \(got an array\)/],
    'dependencies_not_array.yaml': ['/attributes/system/dependencies', /must be an array/],
    'dependency_invalid.yaml': ['/attributes/system/dependencies/0/value', /must be a string \(got 1\)/],
    'task_command_array_notstring.yaml': ['/tasks/0/command/2', /must be a string \(got 3\)/],
  };

  describe('invalid/: every file is rejected (canonical-jobspec rules)', () => {
    const names = files('invalid');
    const yamlError = 'invalid_yaml1.yaml';

    it('holds as many files as the README says, all with an expectation here', () => {
      expect(names.length).toBe(counts.invalid);
      expect(names.filter((name) => name !== yamlError)).toEqual(Object.keys(INVALID).sort());
    });

    it('invalid_yaml1.yaml gives a JobspecParseError with its line and column', () => {
      const error = thrown(() => Jobspec.parse(fixture('invalid', yamlError)));
      expect(error).toBeInstanceOf(JobspecParseError);
      const parseError = error as JobspecParseError;
      expect(parseError.code).toBe('ERR_JOBSPEC_PARSE');
      expect(parseError.line).toBe(1);
      expect(parseError.column).toBe(6); // `foo: bar: baz`: the second mapping starts at column 6
      expect(parseError.message).toMatch(/^cannot parse jobspec YAML at line 1, column 6: Nested mappings/);
    });

    it.each(names.filter((name) => name !== yamlError))('%s', (name) => {
      const error = thrown(() => Jobspec.parse(fixture('invalid', name)));
      expect(error).toBeInstanceOf(JobspecValidationError);
      const rejection = error as JobspecValidationError;
      expectUsefulRejection(rejection, name);
      const [where, what] = INVALID[name]!;
      expect(rejection.errors[0]!.path).toBe(where);
      expect(rejection.errors[0]!.message).toMatch(what);
      const also = INVALID_ALSO[name];
      if (also !== undefined) {
        expect(rejection.errors.some((issue) => issue.path === also[0] && also[1].test(issue.message))).toBe(true);
        expect(rejection.message).toMatch(/\(and \d+ more\)$/);
      }
    });

    it('all are rejected (count)', () => {
      let rejected = 0;
      let parseErrors = 0;
      for (const name of names) {
        const error = thrown(() => Jobspec.parse(fixture('invalid', name)));
        if (error instanceof JobspecValidationError) rejected++;
        if (error instanceof JobspecParseError) parseErrors++;
      }
      expect(parseErrors).toBe(1);
      expect(rejected + parseErrors).toBe(counts.invalid);
      summary.invalid = `invalid ${rejected + parseErrors}/${names.length} rejected (${parseErrors} parse error)`;
    });
  });

  describe('valid/ (canonical, not V1): rejected with a version or shape error', () => {
    const names = files('valid');
    const v1Texts = new Map(files('valid_v1').map((name) => [fixture('valid_v1', name), name]));
    // The README asks for all of valid/ to be rejected, but a file that is byte-for-byte the same
    // as a valid_v1/ file cannot be both accepted and rejected: such files must be accepted.
    const sameAsValidV1 = names.filter((name) => v1Texts.has(fixture('valid', name)));
    const rest = names.filter((name) => !sameAsValidV1.includes(name));

    it('holds as many files as the README says', () => {
      expect(names.length).toBe(counts.valid);
    });

    it('files identical to a valid_v1/ file (only example1.yaml) are accepted', () => {
      expect(sameAsValidV1).toEqual(['example1.yaml']);
      for (const name of sameAsValidV1) expect(Jobspec.parse(fixture('valid', name))).toBeInstanceOf(Jobspec);
    });

    it.each(rest)('%s is rejected', (name) => {
      const text = fixture('valid', name);
      const error = thrown(() => Jobspec.parse(text));
      expect(error).toBeInstanceOf(JobspecValidationError);
      const rejection = error as JobspecValidationError;
      expectUsefulRejection(rejection, name);
      const version = (parseYaml(text) as { version?: unknown }).version;
      if (version !== 1) {
        expect(rejection.errors[0]).toEqual({
          path: '/version',
          message: `must be 1 (only Jobspec V1 is supported; got ${String(version)})`,
        });
      } else {
        // A V1 document with a shape V1 does not allow: the error names a resource or the task.
        expect(rejection.errors[0]!.path).toMatch(/^\/(resources|tasks)(\/|$)/);
      }
    });

    it('basic_v1.yaml is rejected because its task names a slot label that does not exist', () => {
      const error = thrown(() => Jobspec.parse(fixture('valid', 'basic_v1.yaml'))) as JobspecValidationError;
      expect(error.errors).toEqual([{ path: '/tasks/0/slot', message: 'must name the label of the slot, "task" (got "foo")' }]);
    });

    it('all but the valid_v1 duplicates are rejected (count)', () => {
      let rejected = 0;
      for (const name of rest) {
        if (thrown(() => Jobspec.parse(fixture('valid', name))) instanceof JobspecValidationError) rejected++;
      }
      expect(rejected).toBe(counts.valid - sameAsValidV1.length);
      summary.valid = `valid (non-V1) ${rejected}/${names.length} rejected + ${sameAsValidV1.length} accepted (${sameAsValidV1.join(', ')}: byte-identical to valid_v1/)`;
    });
  });

  describe('every Flux rule is covered by an own fixture (flux-coverage.ts)', () => {
    it('invalid_v1/ and invalid/ files are all mapped', () => {
      expect(files('invalid_v1')).toEqual(Object.keys(FLUX_INVALID_V1_COVERED_BY).sort());
      expect(files('invalid')).toEqual(Object.keys(FLUX_INVALID_COVERED_BY).sort());
    });
  });
}
