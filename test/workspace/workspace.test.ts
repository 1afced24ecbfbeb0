import { access, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The workspace's boundaries (docs/development.md#layers) live in configuration: each package's
 * tsconfig.json references, its package.json exports, the lint rules. This checks them against
 * each other, so a new package, dependency or entry that misses one fails here instead of
 * silently opening a hole in the boundary.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly exports?: Record<string, unknown>;
}
interface TsConfig {
  readonly extends?: string;
  readonly files?: readonly string[];
  readonly compilerOptions?: Record<string, unknown>;
  readonly references?: readonly { readonly path: string }[];
}

const readJson = async <T>(path: string): Promise<T> =>
  JSON.parse(await readFile(join(repoRoot, path), 'utf8')) as T;

/** The workspace packages that are built (everything but test/), as paths from the root. */
const builtPackages = [
  ...(await readdir(join(repoRoot, 'packages'))).map((name) => `packages/${name}`),
  ...(await readdir(join(repoRoot, 'services'))).map((name) => `services/${name}`),
  'workflows',
  'infra',
].sort();
const manifests = new Map(
  await Promise.all(
    builtPackages.map(
      async (dir) => [dir, await readJson<Manifest>(`${dir}/package.json`)] as const,
    ),
  ),
);
const dirOf = new Map([...manifests].map(([dir, manifest]) => [manifest.name, dir]));

const referencedPaths = (config: TsConfig, from: string) =>
  (config.references ?? [])
    .map(({ path }) => relative(repoRoot, join(repoRoot, from, path)))
    .sort();

describe('TypeScript project references', () => {
  it.each(builtPackages)(
    '%s references exactly the workspace packages it depends on, and its own projects',
    async (dir) => {
      const config = await readJson<TsConfig>(`${dir}/tsconfig.json`);
      expect(config.compilerOptions).toMatchObject({
        composite: true,
        rootDir: 'src',
        outDir: 'dist',
      });
      expect(relative(repoRoot, join(repoRoot, dir, config.extends ?? ''))).toBe(
        'tsconfig.base.json',
      );
      const dependencies = Object.keys(manifests.get(dir)?.dependencies ?? {})
        .filter((name) => dirOf.has(name))
        .map((name) => dirOf.get(name))
        .sort();
      // A package may also be built from projects of its own (the dashboard's browser app).
      const ownProjects = (path: string) => path.startsWith(`${dir}/`);
      expect(referencedPaths(config, dir).filter((path) => !ownProjects(path))).toEqual(
        dependencies,
      );
    },
  );

  it('builds every package: the solution, the production build and the tests', async () => {
    const solution = await readJson<TsConfig>('tsconfig.json');
    expect(solution.files).toEqual([]);
    expect(referencedPaths(solution, '.')).toEqual([...builtPackages, 'tsconfig.test.json'].sort());
    const build = await readJson<TsConfig>('tsconfig.build.json');
    expect(referencedPaths(build, '.')).toEqual(builtPackages);
    const tests = await readJson<TsConfig>('tsconfig.test.json');
    expect(referencedPaths(tests, '.')).toEqual(builtPackages);
  });
});

describe('package exports', () => {
  it.each(builtPackages)(
    '%s exports each entry as source under `source` and compiled by default',
    async (dir) => {
      const entries = Object.entries(manifests.get(dir)?.exports ?? {});
      expect(entries.length).toBeGreaterThan(0);
      for (const [entry, target] of entries) {
        const source = (target as { source?: string }).source ?? '';
        expect(source, entry).toMatch(/^\.\/src\/.+\.ts$/);
        expect(target, entry).toEqual({
          source,
          default: source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js'),
        });
        await access(join(repoRoot, dir, source));
      }
    },
  );
});

describe('the layering lint rules', () => {
  const workspaceRules = [
    'no-restricted-imports',
    'workspace/declared-dependencies',
    'workspace/no-relative-cross-package',
  ];
  const eslint = new ESLint({
    cwd: repoRoot,
    // Only the import rules, without type information: the probes below are not on disk.
    overrideConfig: tseslint.configs.disableTypeChecked as Linter.Config,
    ruleFilter: ({ ruleId }) => workspaceRules.includes(ruleId),
  });
  /** The rules an import breaks, written in a file at `path`. */
  const broken = async (path: string, source: string) => {
    const [result] = await eslint.lintText(`import '${source}';\n`, { filePath: path });
    return (result?.messages ?? []).map((message) => message.ruleId);
  };

  it.each([
    ['packages/model/src/probe.ts', '@rapport/gateway', 'no-restricted-imports'],
    ['packages/read-model/src/probe.ts', '@rapport/infra', 'no-restricted-imports'],
    ['workflows/src/probe.ts', '@rapport/worker', 'no-restricted-imports'],
    ['packages/schema/src/probe.ts', '@rapport/cli', 'no-restricted-imports'],
    ['packages/schema/src/probe.ts', 'node:fs', 'no-restricted-imports'],
    ['services/api/src/probe.ts', '@rapport/gateway', 'no-restricted-imports'],
    ['services/gateway/src/probe.ts', '@rapport/infra', 'no-restricted-imports'],
    ['packages/cli/src/probe.ts', '@rapport/worker', 'no-restricted-imports'],
    ['packages/cli/src/probe.ts', '@rapport/workflows', 'no-restricted-imports'],
    ['infra/src/probe.ts', '@rapport/cli', 'no-restricted-imports'],
    ['services/api/src/probe.ts', '@rapport/model/src/index.js', 'no-restricted-imports'],
    ['packages/model/src/probe.ts', '@rapport/kafka', 'workspace/declared-dependencies'],
    [
      'packages/model/src/probe.ts',
      '../../kafka/src/index.js',
      'workspace/no-relative-cross-package',
    ],
    [
      'services/api/src/routes/probe.ts',
      '../../../gateway/src/app.js',
      'workspace/no-relative-cross-package',
    ],
  ])('%s may not import %s (%s)', async (path, source, rule) => {
    expect(await broken(path, source)).toContain(rule);
  });

  it.each([
    ['services/api/src/probe.ts', '@rapport/read-model'],
    ['packages/cli/src/probe.ts', '@rapport/infra'],
    ['packages/cli/src/probe.ts', '@rapport/workflows/client'],
    ['packages/model/src/probe.ts', '@rapport/schema'],
    ['packages/model/src/sub/probe.ts', '../model.js'],
    ['test/probe.ts', '@rapport/gateway'],
    ['test/probe.ts', '../packages/cli/src/main.js'],
  ])('%s may import %s', async (path, source) => {
    expect(await broken(path, source)).toEqual([]);
  });
});
