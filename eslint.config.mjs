// ESLint 9 flat config: typescript-eslint's type-checked rules everywhere, Prettier owns formatting
// (eslint-config-prettier switches off the stylistic rules), and workflow code gets the deterministic
// import fence from Temporal's TypeScript samples.
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Node built-ins by bare name, subpaths included (`fs`, `fs/promises`); the `node:` spelling is caught by a pattern below. */
const nodeBuiltins = [...new Set(builtinModules.map((m) => m.replace(/^node:/, '')))];

export default defineConfig(
  globalIgnores(['dist/', 'build/', 'node_modules/', 'coverage/', 'test-artifacts/', 'test/histories/', '.data/', '.schemathesis/']),
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // One program for the whole repository (tsconfig.json includes src, sandbox, tools, test, scripts): faster
      // than the project service, which would build one per nested tsconfig.
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_`-prefixed names are deliberate: Express's 4-argument error handlers, rest-destructuring to drop a key.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `let x; const obj = { ...uses x lazily... }; x = new X(obj)` ties a knot on purpose; const cannot express it.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read JSON bodies as `any` on purpose (asserting on the wire shape is the point), pass fake activity
    // methods around unbound (they never use `this`), and write fakes as async methods to satisfy Promise-returning
    // interfaces; these rules would only add casts and noise there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JS config files (jest.config.js, this file) are not in any tsconfig: lint them without types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'readonly', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
  },
  ...workflowFence(
    // A workflow folder (the shared machinery in src/workflows/, a process's src/<process>/workflow/):
    // its siblings are workflow code too.
    ['src/workflows/**/*.ts', 'src/*/workflow/**/*.ts'],
    '^(?!\\./|(\\.\\./)+(workflows(/|$)|([a-z-]+/)?workflow(/|$)|([a-z-]+/)?(model|search-attributes)$|shared/failure-codes$))\\.\\.?/',
  ),
  // A process's one-file workflow (src/<process>/workflow.ts): its siblings are activities, routes and records.
  ...workflowFence(
    ['src/*/workflow.ts'],
    '^(?!(\\./|(\\.\\./)+)(workflows(/|$)|([a-z-]+/)?workflow(/|$)|([a-z-]+/)?(model|search-attributes)$|shared/failure-codes$))\\.\\.?/',
  ),
  {
    // Routes talk to workflows as a client does: by the messages (signals, updates, queries) and by type,
    // never by running workflow code in the API process.
    files: ['src/api/**/*.ts', 'src/*/routes.ts', 'src/*/*-routes.ts', 'src/transaction/create.ts', 'src/transaction/lookup.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\.?/)+(workflows(/|$)|([a-z-]+/)?workflow(/(?!messages$).*|$))',
              allowTypeImports: true,
              message: 'Routes may import workflow code only as types, and its messages (workflow/messages) as values.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);

/**
 * Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no SDK parts
 * that only work outside it, no routes at all, and — as values — only other workflow code and the
 * pure models (`model`, `search-attributes`, `shared/failure-codes`); activities, records, Zuz and
 * shared plumbing only as types (as in Temporal's samples). `restricted` matches the relative
 * imports that must be type-only.
 */
function workflowFence(files, restricted) {
  return [
    {
      files,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code cannot use Node built-ins: do I/O in an activity.' })),
            patterns: [
              { regex: '^node:', message: 'Workflow code cannot use Node built-ins: do I/O in an activity.' },
              { regex: '^(zod|pg)(/.*)?$', message: 'Validation and database access belong in the API and the activities.' },
              {
                regex: '^@temporalio/(activity|client|worker|testing)(/.*)?$',
                message: 'Only @temporalio/workflow and @temporalio/common run inside the workflow sandbox.',
              },
              { regex: '(^|/)([a-z-]+-)?routes$', message: 'Workflow code never imports routes.' },
              {
                regex: restricted,
                allowTypeImports: true,
                message:
                  'Workflow code imports activities, records, Zuz and shared plumbing only as types (`import type`); as values, only workflow code and the models.',
              },
            ],
          },
        ],
      },
    },
  ];
}
