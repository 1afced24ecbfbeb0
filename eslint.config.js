// @ts-check
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
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

/** The directory of the package.json nearest to a file: the workspace package it belongs to. */
const packageRoots = new Map();
function packageRoot(directory) {
  let root = packageRoots.get(directory);
  if (root === undefined) {
    const parent = dirname(directory);
    root =
      existsSync(resolve(directory, 'package.json')) || parent === directory
        ? directory
        : packageRoot(parent);
    packageRoots.set(directory, root);
  }
  return root;
}
const manifest = (root) => JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

/**
 * What `no-restricted-imports` cannot say: a relative import stays inside its own package, and a
 * workspace package is imported only by a package that declares it. The project references refuse
 * both as well (`pnpm typecheck`: "not under 'rootDir'", "Cannot find module"); these say why.
 */
const workspacePlugin = {
  rules: {
    'no-relative-cross-package': {
      meta: {
        type: 'problem',
        messages: {
          outside:
            "'{{source}}' reaches into {{target}} from {{from}}: import that package by its name (a declared dependency), not by a path into its files.",
        },
        schema: [],
      },
      create(context) {
        const here = packageRoot(dirname(context.filename));
        /** @param {any} node */
        const check = (node) => {
          const source = node.source?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = packageRoot(dirname(resolve(dirname(context.filename), source)));
          if (target === here) return;
          const name = (root) => relative(context.cwd, root) || '.';
          context.report({
            node: node.source,
            messageId: 'outside',
            data: { source, target: name(target), from: name(here) },
          });
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
          ImportExpression: check,
        };
      },
    },
    'declared-dependencies': {
      meta: {
        type: 'problem',
        messages: {
          undeclared:
            "'{{source}}' is not a dependency of {{name}}: declare {{dependency}} in {{file}} (and reference it in the tsconfig.json beside it) if the layering allows it.",
        },
        schema: [],
      },
      create(context) {
        const root = packageRoot(dirname(context.filename));
        const pkg = manifest(root);
        const declared = new Set([
          pkg.name,
          ...Object.keys(pkg.dependencies ?? {}),
          ...Object.keys(pkg.devDependencies ?? {}),
        ]);
        /** @param {any} node */
        const check = (node) => {
          const source = node.source?.value;
          if (typeof source !== 'string' || !source.startsWith('@rapport/')) return;
          const dependency = source.split('/').slice(0, 2).join('/');
          if (declared.has(dependency)) return;
          context.report({
            node: node.source,
            messageId: 'undeclared',
            data: {
              source,
              dependency,
              name: pkg.name,
              file: relative(context.cwd, resolve(root, 'package.json')),
            },
          });
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
          ImportExpression: check,
        };
      },
    },
  },
};

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
    ignores: ['**/*.test.ts', '**/*.bench.ts', 'packages/adapters/src/node/**'],
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
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
