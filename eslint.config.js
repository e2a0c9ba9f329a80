import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, bottom to top. A folder may import only from the layers below it (and its own);
 * `backends/registry.ts` is the one file that may name every backend.
 */
const LAYERS = ['ids|jobspec|util', 'core', 'reactor', 'backends', 'store', 'durable', 'executor', 'workflows', 'cli'];
const ABOVE = (i) =>
  LAYERS.slice(i + 1)
    .flatMap((l) => l.split('|'))
    .map((name) => `**/${name}/**`);

/** no-restricted-imports for the files of one layer. */
const layerRule = (i, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...(ABOVE(i).length > 0 ? [{ group: ABOVE(i), message: `layer '${LAYERS[i]}' must not import a higher layer (${LAYERS.slice(i + 1).join(', ')})` }] : []),
        ...extra,
      ],
    },
  ],
});

const layerFiles = (i) => LAYERS[i].split('|').map((name) => `src/${name}/**/*.ts`);
const BACKENDS = ['local', 'slurm', 'sge', 'flux'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'benchmarks/results/', 'native/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...LAYERS.map((_, i) => (LAYERS[i] === 'backends' ? null : { files: layerFiles(i), rules: layerRule(i) })).filter(Boolean),
  // A backend folder imports the layers below, the shared batch kit, and nothing of another backend.
  ...BACKENDS.map((name) => ({
    files: [`src/backends/${name}/**/*.ts`],
    rules: layerRule(LAYERS.indexOf('backends'), [
      { group: BACKENDS.filter((b) => b !== name).map((b) => `**/backends/${b}/**`).concat(BACKENDS.filter((b) => b !== name).map((b) => `../${b}/**`)), message: 'a backend must not import another backend (share code through backends/batch/)' },
      { group: ['**/reactor/**'], message: 'backends talk to the engine only through the core Backend contract' },
      { group: ['**/registry.js'], message: 'only the front-ends use the registry' },
    ]),
  })),
  { files: ['src/backends/batch/**/*.ts', 'src/backends/registry.ts'], rules: layerRule(LAYERS.indexOf('backends'), [{ group: ['**/reactor/**'], message: 'backends talk to the engine only through the core Backend contract' }]) },
);
