/**
 * The container image, tested where no image can be built (no Docker engine, no base images):
 * scripts/container-build.sh, the Dockerfile's one build step, runs on a copy of the build
 * context (this repository under .dockerignore's rules), and the worker and the API start from
 * what it staged ALONE (its production node_modules, the compiled service, the prebuilt workflow
 * bundle) the way the image starts them: the Dockerfile's WORKDIR, ENV, CMD and HEALTHCHECK,
 * with docker-compose.yml's environment for each. Only what a container gets from its network
 * is rewritten to this machine: service addresses (a real Temporal dev server, the PostgreSQL of
 * the tests, the simulators staged by the same script) and listen addresses (127.0.0.1 and free
 * ports instead of 0.0.0.0 and fixed ones). One transaction then succeeds through the API.
 *
 * So it fails when a runtime import resolves only to a dev dependency, when the bundle is missing
 * or not used, when the compose environment lacks a variable the entry points require, when a
 * file the build needs is left out of the context, and when the Dockerfile stops running the
 * script or copying what it staged. It takes 2-4 minutes, nearly all of it the script's two
 * `npm ci` and the TypeScript build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { parse } from 'yaml';
import { freePort, temporalCliPath } from './helpers/temporal';
import { composeDotEnv } from './helpers/compose-env';

const root = path.join(__dirname, '..');
const BUILD_TIMEOUT_MS = 6 * 60_000;

// ---- the Dockerfile, as the build reads it --------------------------------------------------

interface Instruction {
  instruction: string;
  args: string;
}

interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Instructions (continuations joined, comments dropped), grouped by stage; ARGs before the first FROM apart. */
function parseDockerfile(text: string): { globalArgs: Record<string, string>; stages: Stage[] } {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, instruction, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!instruction) throw new Error(`Dockerfile: cannot read "${line}"`);
    const upper = instruction.toUpperCase();
    if (upper === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (upper !== 'ARG') throw new Error(`Dockerfile: ${upper} before the first FROM`);
      const [name, value = ''] = args.split(/=(.*)/s);
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1].instructions.push({ instruction: upper, args: args.replace(/\s+/g, ' ') });
    }
  }
  return { globalArgs, stages };
}

const dockerfile = parseDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));

function stage(name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage "${name}"`);
  return found;
}

function all(s: Stage, instruction: string): string[] {
  return s.instructions.filter((i) => i.instruction === instruction).map((i) => i.args);
}

function one(s: Stage, instruction: string): string {
  const found = all(s, instruction);
  if (found.length !== 1) throw new Error(`stage ${s.name}: expected one ${instruction}, found ${found.length}`);
  return found[0];
}

/** ENV A=1 B=2 (unquoted values, as this Dockerfile writes them). */
function envOf(s: Stage): Record<string, string> {
  return Object.fromEntries(
    all(s, 'ENV').flatMap((args) =>
      args.split(' ').map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`stage ${s.name}: ENV ${args}: write KEY=value pairs`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
  );
}

/** CMD/HEALTHCHECK's exec form: ["node", "x.js"]. */
function execForm(args: string): string[] {
  return JSON.parse(args.replace(/^.*?CMD\s+/, '')) as string[];
}

// ---- docker-compose.yml: the worker's and the API's environment -----------------------------

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
}

/** docker-compose.yml's environment for `service`, with `vars` substituted as `docker compose` does from .env. */
function composeEnvironment(service: string, vars: Record<string, string>): Record<string, string> {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const env = compose.services[service]?.environment;
  if (!env) throw new Error(`docker-compose.yml: service ${service} has no environment`);
  // ${NAME}, ${NAME:-default}, ${NAME:?error}: the forms docker-compose.yml uses (test/compose.test.ts checks them all).
  const substitute = (value: string) =>
    value.replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_m, name: string, operator?: string, argument?: string) => {
      if (vars[name]) return vars[name];
      if (operator?.endsWith('-')) return argument ?? '';
      throw new Error(`docker-compose.yml: ${service} needs ${name}, which .env does not set`);
    });
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(v === null ? '' : String(v))]));
}

function composeCommand(service: string): string[] | undefined {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return compose.services[service]?.command;
}

/**
 * The container's variables with those the network gives a container replaced for this machine.
 * Only variables the container already has may be replaced: the test adds nothing compose lacks.
 */
function onThisMachine(env: Record<string, string>, replacements: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(replacements)) {
    if (!(name in env)) throw new Error(`${name} is not in the container's environment: the test must not add what compose lacks`);
  }
  return { ...env, ...replacements };
}

// ---- the build context, as .dockerignore makes it ------------------------------------------

/** .dockerignore's patterns as Docker reads them: anchored at the root, `**` any depth, `*` and `?` within a name. */
function dockerignore(): RegExp[] {
  return readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((pattern) => {
      if (pattern.startsWith('!')) throw new Error('.dockerignore: this test does not read exceptions (!)');
      const source = pattern
        .replace(/^\/+|\/+$/g, '')
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return new RegExp(`^${source}$`);
    });
}

/** Copies the build context `docker build .` would send: everything but what .dockerignore excludes. */
function copyBuildContext(to: string): void {
  const excluded = dockerignore();
  cpSync(root, to, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(root, source).split(path.sep).join('/');
      return relative === '' || !excluded.some((pattern) => pattern.test(relative));
    },
  });
}

// ---- processes ------------------------------------------------------------------------------

interface Running {
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const running: Running[] = [];

function start(name: string, command: string[], cwd: string, env: Record<string, string>): Running {
  const child = spawn(command[0] === 'node' ? process.execPath : command[0], command.slice(1), {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const process_ = { name, child, output, exited };
  running.push(process_);
  return process_;
}

async function stop(process_: Running): Promise<number | null> {
  if (process_.child.exitCode === null && process_.child.signalCode === null) process_.child.kill('SIGTERM');
  const killer = setTimeout(() => process_.child.kill('SIGKILL'), 20_000);
  const code = await process_.exited;
  clearTimeout(killer);
  return code;
}

function tail(process_: Running, chars = 4000): string {
  return process_.output.join('').slice(-chars);
}

async function waitUntil(url: string, processes: Running[], timeoutMs = 90_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => p.child.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode}) before ${url} was ready:\n${tail(dead)}`);
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === 200) return;
    if (Date.now() > giveUpAt)
      throw new Error(`${url} not ready in time:\n${processes.map((p) => `--- ${p.name}\n${tail(p)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs `command` to its end (the script, the namespace job), its output kept for the failure message. */
function runToEnd(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// ---- the run ----------------------------------------------------------------------------------

const runtimeStage = stage('runtime');
const imageEnv = envOf(runtimeStage);
const simulatorsEnv = envOf(stage('simulators'));

let work: string;
let runtimeDir: string;
let simulatorsDir: string;
let buildOutput = '';
let database: { name: string; url: string } | undefined;
let worker: Running;
let api: Running;
let workerEnv: Record<string, string>;
let apiEnv: Record<string, string>;
let apiUrl: string;

/** A container's own variables: the image's ENV under compose's, and what every container has. */
function containerEnv(image: Record<string, string>, compose: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: work, ...image, ...compose };
}

beforeAll(
  async () => {
    // Under /tmp: no node_modules in any folder above, so only the staged node_modules can resolve a package.
    work = mkdtempSync(path.join(tmpdir(), 'pos-container-'));
    const context = path.join(work, 'context');
    runtimeDir = path.join(work, 'runtime');
    simulatorsDir = path.join(work, 'simulators');
    copyBuildContext(context);

    // The Dockerfile's one build step, with the Dockerfile's own arguments (checked below).
    const [, script, ...outDirs] = one(stage('build'), 'RUN').split(' ');
    const environment: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
    delete environment.NODE_PATH;
    const started = Date.now();
    const phases: string[] = [];
    const phase = (what: string) => phases.push(`${what} ${Math.round((Date.now() - started) / 1000)} s`);
    const build = await runToEnd('bash', [path.join(context, script), ...outDirs.map((dir) => path.join(work, dir))], {
      cwd: context,
      env: environment,
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    buildOutput = build.output;
    phase(`scripts/container-build.sh (exit ${build.code})`);
    if (build.code !== 0) throw new Error(`scripts/container-build.sh failed (exit ${build.code}):\n${build.output.slice(-6000)}`);
    // The simulators' image lays their tree over the runtime's (COPY /runtime/ then /simulators/ into /app).
    symlinkSync(path.join(runtimeDir, 'node_modules'), path.join(simulatorsDir, 'node_modules'));

    // Temporal: a dev server with nothing registered; compose's namespace job registers what the worker checks.
    const cli = temporalCliPath();
    if (!existsSync(cli))
      throw new Error(`Temporal CLI not found at ${cli}: run "npm run provision" (builds it with Go) or set TEMPORAL_CLI`);
    const temporalAddress = `127.0.0.1:${await freePort()}`;
    start(
      'temporal',
      [cli, 'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', temporalAddress.split(':')[1], '--log-level', 'warn'],
      work,
      { PATH: process.env.PATH ?? '' },
    );
    const namespaceJob = await runToEnd('sh', [path.join(root, 'deploy/temporal/create-namespace.sh')], {
      env: {
        PATH: `${path.dirname(cli)}:${process.env.PATH}`,
        HOME: work, // the CLI reads its config from there
        TEMPORAL_ADDRESS: temporalAddress,
        NAMESPACE: 'default',
        MAX_ATTEMPTS: '30',
      },
      timeoutMs: 120_000,
    });
    if (namespaceJob.code !== 0) throw new Error(`deploy/temporal/create-namespace.sh failed:\n${namespaceJob.output}`);
    phase('Temporal and its namespace');

    // PostgreSQL: a database of its own in the tests' PostgreSQL (the embedded PGlite without one).
    let databaseUrl: Record<string, string> = {};
    if (process.env.DATABASE_URL) {
      const name = `pos_container_${randomBytes(4).toString('hex')}`;
      const admin = new PgClient({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      database = { name, url: Object.assign(new URL(process.env.DATABASE_URL), { pathname: `/${name}` }).toString() };
      databaseUrl = { DATABASE_URL: database.url };
    } else {
      console.warn('container-build.test.ts: no DATABASE_URL, so the worker and the API use PGlite');
    }

    // The simulators, as the compose services run them from the simulators image.
    const [zuzPort, pmsPort, apiPort, apiMetricsPort, codecPort, healthPort, workerMetricsPort] = await Promise.all(
      Array.from({ length: 7 }, () => freePort()),
    );
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const zuz = start(
      'zuz-sim',
      composeCommand('zuz-sim')!,
      simulatorsDir,
      onThisMachine(containerEnv(simulatorsEnv, composeEnvironment('zuz-sim', {})), {
        ZUZ_SIM_HOST: '127.0.0.1',
        ZUZ_SIM_PORT: String(zuzPort),
        ZUZ_WEBHOOK_URL: `${apiUrl}/webhooks/zuz`,
      }),
    );
    const pms = start(
      'pms-sim',
      composeCommand('pms-sim')!,
      simulatorsDir,
      onThisMachine(containerEnv(simulatorsEnv, composeEnvironment('pms-sim', {})), {
        PMS_SIM_HOST: '127.0.0.1',
        PMS_SIM_PORT: String(pmsPort),
      }),
    );

    // The worker and the API: the image's ENV, compose's environment with the keys .env gets from deploy/compose-env.sh.
    const dotEnv = composeDotEnv(work);
    const services = {
      TEMPORAL_ADDRESS: temporalAddress,
      ZUZ_BASE_URL: `http://127.0.0.1:${zuzPort}`,
      PMS_BASE_URL: `http://127.0.0.1:${pmsPort}`,
      ...databaseUrl,
    };
    workerEnv = onThisMachine(containerEnv(imageEnv, composeEnvironment('worker', dotEnv)), {
      ...services,
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: String(healthPort),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    });
    apiEnv = onThisMachine(containerEnv(imageEnv, composeEnvironment('api', dotEnv)), {
      ...services,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_METRICS_ADDRESS: `127.0.0.1:${apiMetricsPort}`,
      CODEC_SERVER_ADDRESS: `127.0.0.1:${codecPort}`,
    });
    if (!database) {
      // PGlite in a folder of its own (the image's /app is read-only to the process).
      for (const env of [workerEnv, apiEnv]) {
        delete env.DATABASE_URL;
        env.POS_DATA_DIR = path.join(work, 'data');
      }
    }
    worker = start('worker', execForm(one(runtimeStage, 'CMD')), runtimeDir, workerEnv);
    await waitUntil(`http://127.0.0.1:${healthPort}/readyz`, [worker, zuz, pms]);
    phase('worker ready');
    api = start('api', composeCommand('api')!, runtimeDir, apiEnv);
    await waitUntil(`${apiUrl}/readyz`, [api]);
    phase('API ready');
    console.log(`container-build.test.ts: ${phases.join(', ')} (from the build's start)`);
  },
  BUILD_TIMEOUT_MS + 4 * 60_000,
);

afterAll(async () => {
  for (const process_ of [...running].reverse()) await stop(process_);
  if (database) {
    const admin = new PgClient({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
    await admin.end();
  }
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the Dockerfile runs the tested script and ships what it staged, nothing else', () => {
  test('the build stage runs scripts/container-build.sh, and only it', () => {
    const build = stage('build');
    expect(build.from).toBe('${NODE_IMAGE}');
    expect(all(build, 'RUN')).toEqual(['bash scripts/container-build.sh /runtime /simulators']);
    expect(all(build, 'COPY')).toEqual(['. .']);
  });

  test('the runtime stage is the default target: the staged runtime, a non-root user, a health check, the worker', () => {
    expect(dockerfile.stages[dockerfile.stages.length - 1]).toBe(runtimeStage);
    expect(all(runtimeStage, 'COPY')).toEqual(['--from=build /runtime/ ./']);
    expect(one(runtimeStage, 'WORKDIR')).toBe('/app');
    // Its only RUN installs the CA store (see the Dockerfile): it does not touch /app.
    expect(all(runtimeStage, 'RUN')).toEqual([
      'apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*',
    ]);
    const user = one(runtimeStage, 'USER');
    expect(user).toMatch(/^\d+:\d+$/);
    expect(user.split(':').map(Number)).not.toContain(0);
    expect(execForm(one(runtimeStage, 'HEALTHCHECK'))).toEqual(['node', 'healthcheck.js']);
    expect(execForm(one(runtimeStage, 'CMD'))).toEqual(['node', 'dist/worker.js']);
  });

  test('the API and health checks listen on every interface in a container, the metrics on loopback unless configured (issue 38); the ports it exposes compose publishes', () => {
    expect(imageEnv).toMatchObject({ NODE_ENV: 'production', API_HOST: '0.0.0.0', WORKER_HEALTH_HOST: '0.0.0.0' });
    expect(imageEnv.API_METRICS_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(imageEnv.WORKER_METRICS_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
    const ports = [
      imageEnv.API_PORT,
      imageEnv.API_METRICS_ADDRESS.split(':')[1],
      imageEnv.WORKER_HEALTH_PORT,
      imageEnv.WORKER_METRICS_ADDRESS.split(':')[1],
    ];
    expect(one(runtimeStage, 'EXPOSE').split(' ').sort()).toEqual([...ports].sort());
    const compose = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    for (const port of ports) expect(compose).toContain(`"127.0.0.1:${port}:${port}"`);
  });

  test('the simulators stage lays the simulators over the same runtime, as a non-root user', () => {
    const simulators = stage('simulators');
    expect(simulators.from).toBe('${NODE_IMAGE}');
    expect(all(simulators, 'COPY')).toEqual(['--from=build /runtime/ ./', '--from=build /simulators/ ./']);
    expect(all(simulators, 'RUN')).toEqual([]);
    expect(one(simulators, 'USER')).not.toMatch(/^(root|0)(:|$)/);
    expect(existsSync(path.join(simulatorsDir, execForm(one(simulators, 'CMD'))[1]))).toBe(true);
  });
});

describe('what the script stages', () => {
  test('the runtime holds the compiled service, its production dependencies and the health check; no sources, tools or sandbox', () => {
    expect(readdirSync(runtimeDir).sort()).toEqual(['dist', 'healthcheck.js', 'node_modules', 'package-lock.json', 'package.json']);
    expect(existsSync(path.join(runtimeDir, 'dist/workflow-bundle.js'))).toBe(true);
    const files = readdirSync(path.join(runtimeDir, 'dist'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.filter((f) => !f.name.endsWith('.js')).map((f) => f.name)).toEqual([]);
    expect(buildOutput).toContain('checking that the entry points load from');
  });

  test('no dev dependency is installed in the runtime', () => {
    const lock = JSON.parse(readFileSync(path.join(runtimeDir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([name, entry]) => name.startsWith('node_modules/') && entry.dev)
      .map(([name]) => name);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter((name) => existsSync(path.join(runtimeDir, name)))).toEqual([]);
    for (const tool of ['typescript', 'jest', 'ts-jest', '@temporalio/testing', 'eslint']) {
      expect(existsSync(path.join(runtimeDir, 'node_modules', tool))).toBe(false);
    }
  });
});

describe('the worker and the API, started from the runtime alone with the image’s and compose’s environment', () => {
  test('the worker is ready, with the prebuilt workflow bundle (it never bundled at start)', () => {
    const output = worker.output.join('');
    expect(output).toContain('worker started');
    expect(output).not.toContain('Workflow bundle created');
    expect(workerEnv.POS_SANDBOX).toBe('true'); // compose's sandbox: the simulators are http://
  });

  test.each([
    ['worker', () => worker, () => workerEnv],
    ['api', () => api, () => apiEnv],
  ])('the image’s HEALTHCHECK finds the %s ready, by its command line', async (_role, process_, env) => {
    const command = execForm(one(runtimeStage, 'HEALTHCHECK'));
    const check = await runToEnd(process.execPath, command.slice(1), {
      cwd: runtimeDir,
      env: { ...env(), HEALTHCHECK_PID: String(process_().child.pid) },
      timeoutMs: 10_000,
    });
    expect({ code: check.code, output: check.output }).toEqual({ code: 0, output: expect.stringMatching(/\/readyz: 200 /) });
  });

  test('their Prometheus endpoints answer on the metrics addresses', async () => {
    for (const address of [workerEnv.WORKER_METRICS_ADDRESS, apiEnv.API_METRICS_ADDRESS]) {
      expect((await fetch(`http://${address}/metrics`)).status).toBe(200);
    }
  });

  test('a transaction succeeds through the API: the worker, Temporal, Zuz and PMS at work', async () => {
    const transactionId = `container-${randomUUID()}`;
    const headers = { authorization: `Bearer ${apiEnv.API_KEYS}`, 'content-type': 'application/json', prefer: 'wait=20' };
    const response = await fetch(`${apiUrl}/v1/transactions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 1250, currency: 'EUR' }),
    });
    const body = (await response.json()) as { status?: string };
    expect({ status: response.status, transaction: body.status }).toEqual({ status: 201, transaction: expect.any(String) });
    for (let attempt = 0; ; attempt++) {
      const view = (await (await fetch(`${apiUrl}/v1/transactions/${transactionId}`, { headers })).json()) as { status: string };
      if (view.status === 'succeeded') break;
      expect(['processing', 'capturing']).toContain(view.status);
      if (attempt > 300) throw new Error(`still ${view.status} after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  test('both stop gracefully on SIGTERM (docker stop), and the health check then fails', async () => {
    expect(await stop(api)).toBe(0);
    const check = await runToEnd(process.execPath, ['healthcheck.js', 'api'], { cwd: runtimeDir, env: apiEnv, timeoutMs: 10_000 });
    expect(check.code).toBe(1);
    expect(await stop(worker)).toBe(0);
  }, 60_000);
});
