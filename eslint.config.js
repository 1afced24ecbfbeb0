// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Code that runs inside the Temporal workflow sandbox (workflows and the packages they import)
 * must be deterministic and free of Node-only APIs: the sandbox has no `fs`, no `process`, and a
 * replay on another worker must compute the same thing. Lint catches it before a replay does.
 */
const workflowSafeFiles = [
  'packages/schema/src/**/*.ts',
  // Not used by workflows, but promised pure (no I/O, no clock): the same rule keeps it so.
  'packages/adapters/src/**/*.ts',
  'packages/model/src/**/*.ts',
  'workflows/src/**/workflow.ts',
  'workflows/src/workflows.ts',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.rapport/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: workflowSafeFiles,
    // The adapters' Node entry (@rapport/adapters/node) signs webhooks and reads mapping files.
    ignores: ['**/*.test.ts', '**/*.bench.ts', 'packages/adapters/src/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({
            name,
            message: 'Workflow-safe code must not import Node built-ins.',
          })),
          patterns: [
            { group: ['node:*'], message: 'Workflow-safe code must not import Node built-ins.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require', '__dirname', '__filename', 'setImmediate'].map(
          (name) => ({ name, message: 'Workflow-safe code must not use Node-only globals.' }),
        ),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time is passed in; never read the clock.' },
        {
          object: 'Math',
          property: 'random',
          message: 'Workflow-safe code must be deterministic.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
