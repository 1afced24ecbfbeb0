// @ts-check
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

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
export const workspacePlugin = {
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
