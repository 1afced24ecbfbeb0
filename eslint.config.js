// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { workspacePlugin } from './eslint-workspace.js';

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
  'workflows/src/preload.ts',
  // Everything the workflows run in the sandbox besides themselves: the engine, its parts, the
  // shell around it, the frozen legacy code and the shared definitions. Left out: the activities
  // (they run in Node), failures.ts (the activities'), and time.ts, which reads the sandbox's
  // replayed clock on purpose.
  'workflows/src/customer-engagement/*.ts',
  'workflows/src/customer-engagement/parts/*.ts',
  'workflows/src/shared/*.ts',
];
/** Of those, the files that run in Node, or read the sandbox's clock on purpose. */
const workflowSafeExceptions = [
  'workflows/src/customer-engagement/activities.ts',
  'workflows/src/shared/failures.ts',
  'workflows/src/shared/time.ts',
];

const nodeBuiltins = {
  paths: builtinModules.map((name) => ({
    name,
    message: 'Workflow-safe code must not import Node built-ins.',
  })),
  patterns: [{ group: ['node:*'], message: 'Workflow-safe code must not import Node built-ins.' }],
};

/**
 * The layers (docs/development.md#layers). Packages (packages/*, workflows/) are what programs are
 * built from; the services (services/*) and the CLI are programs; infra runs Kafka, Temporal and
 * Redis for the CLI and the tests. Imports point from programs to packages, never back, and no
 * program imports another: the CLI reaches the services over HTTP. test/ may import anything.
 */
const SERVICES = ['gateway', 'projector', 'api', 'bridge', 'worker'];
const forbid = (names, message) => ({
  group: names.flatMap((name) => [`@rapport/${name}`, `@rapport/${name}/*`]),
  message,
});
const noDeepImports = {
  group: ['@rapport/*/src', '@rapport/*/dist'],
  message:
    'Import a workspace package by its name or an entry its package.json exports, not a path into its files.',
};
const packageLayer = {
  files: ['packages/*/src/**/*.ts', 'workflows/src/**/*.ts'],
  ignores: ['packages/cli/**'],
  patterns: [
    forbid(
      [...SERVICES, 'cli', 'infra'],
      'Packages are what services are built from: a package never imports a service, the CLI or infra.',
    ),
    noDeepImports,
  ],
};
const layers = [
  packageLayer,
  {
    files: ['services/*/src/**/*.ts'],
    patterns: [
      forbid(
        [...SERVICES, 'cli', 'infra'],
        'A service is built from packages only: it never imports another service, the CLI or infra.',
      ),
      noDeepImports,
    ],
  },
  {
    files: ['packages/cli/src/**/*.ts'],
    patterns: [
      forbid(SERVICES, 'The CLI is built from packages and infra; it reaches services over HTTP.'),
      {
        regex: '^@rapport/workflows$',
        message:
          'The CLI reads workflows through @rapport/workflows/client (and /connection); the workflow code runs in the worker.',
      },
      noDeepImports,
    ],
  },
  {
    files: ['infra/src/**/*.ts'],
    patterns: [
      forbid(
        [...SERVICES, 'cli'],
        'infra runs the infrastructure for the CLI and the tests: it never imports a service or the CLI.',
      ),
      noDeepImports,
    ],
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.rapport/**'] },
  js.configs.recommended,
  // The rules that need types (typescript-eslint's recommended-type-checked set, no-floating-promises
  // among them) run in oxlint's type-aware mode (.oxlintrc.json), on the native TypeScript: the same
  // checks in a fraction of the time, so this pass needs no type program.
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: [
      'packages/*/src/**/*.ts',
      'services/*/src/**/*.ts',
      'workflows/src/**/*.ts',
      'infra/src/**/*.ts',
      'test/**/*.ts',
    ],
    plugins: { workspace: workspacePlugin },
    rules: {
      'workspace/declared-dependencies': 'error',
      'workspace/no-relative-cross-package': 'error',
    },
  },
  // test/ may import anything, its cross-service suites also the CLI's files by path.
  { files: ['test/**/*.ts'], rules: { 'workspace/no-relative-cross-package': 'off' } },
  ...layers.map(({ files, ignores, patterns }) => ({
    files,
    ...(ignores === undefined ? {} : { ignores }),
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  })),
  {
    files: workflowSafeFiles,
    // The adapters' Node entry (@rapport/adapters/node) signs webhooks and reads mapping files.
    ignores: [
      '**/*.test.ts',
      '**/*.bench.ts',
      'packages/adapters/src/node/**',
      ...workflowSafeExceptions,
    ],
    rules: {
      // The layering of packages too: this entry replaces the one above for these files.
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.paths,
          patterns: [...nodeBuiltins.patterns, ...packageLayer.patterns],
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
    // The dashboard's browser app: it runs in a browser, and reads the API's types only (their
    // packages would bring Node code into the bundle).
    files: ['packages/dashboard/app/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.paths.map((path) => ({
            ...path,
            message: 'The dashboard runs in a browser: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['node:*'],
              message: 'The dashboard runs in a browser: no Node built-ins.',
            },
            {
              group: ['@rapport/*'],
              allowTypeImports: true,
              message: 'The dashboard reads the API over HTTP: import its types only.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require', '__dirname', '__filename'].map((name) => ({
          name,
          message: 'The dashboard runs in a browser.',
        })),
      ],
    },
  },
);
