import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The dependency rules of the layout (ARCHITECTURE.md): common/ depends on nothing of ours above it;
 * a service depends on common/ (and the contract in proto/), never on another service; bin/ composes
 * services through each one's index.ts alone.
 */
const services = ['collector', 'writer', 'query', 'alarms'];
// What production code never imports: other services, the simulator, the CLI, and test-only code.
const folders = [...services, 'simulator', 'bin', 'harness', 'test', 'bench'];
const anywhere = (folder) => [`**/${folder}`, `**/${folder}/**`];
// An import within the importing file's own folder ('./…') never reaches another top-level folder,
// whatever its subfolders are called (query/alarms/ is the API's, not the alarm engine).
const own = '!./**';
const noImportsOf = (forbidden, message) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [{ group: [...forbidden.flatMap(anywhere), own], message }] },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'data/',
      'node_modules/',
      '.cache/',
      'query/generated/',
      'proto/gen/',
      'common/sql/flows/language/generated/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['common/**'],
    rules: noImportsOf(
      folders,
      'common/ depends on nothing above it: no service, simulator, CLI or test code.',
    ),
  },
  ...[...services, 'simulator'].map((folder) => ({
    files: [`${folder}/**`],
    rules: noImportsOf(
      folders.filter((f) => f !== folder),
      `${folder}/ depends on common/ and proto/ only: never on another service, the simulator, the CLI or test code.`,
    ),
  })),
  {
    files: ['bin/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: services.flatMap((s) => [`**/${s}/**`, `!**/${s}/index.js`]),
              message: "bin/ composes services through each service's index.ts only.",
            },
          ],
        },
      ],
    },
  },
);
