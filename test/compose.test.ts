/**
 * docker-compose.yml runs the whole system in containers. Nothing can run it here (no Docker
 * engine), so this test holds it to what would make it work: every image pinned to a tag checked
 * against Temporal's official deployment files, the start order, health checks, credentials that
 * agree between the parts, the search attributes the code uses, and for the worker and the API an
 * environment the service's own configuration loaders accept (src/shared/config.ts: a variable the code
 * starts requiring fails here). The schema-setup script runs against the PostgreSQL of the tests.
 * test/container-build.test.ts starts the image's processes with this file's environment.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { Client as PgClient } from 'pg';
import { parse } from 'yaml';
import {
  assertSafeForProduction,
  loadApiConfig,
  loadDatabaseConfig,
  loadDatabasePoolSize,
  loadFlowOverrides,
  loadProvidersConfig,
  loadRiskLimits,
  loadTemporalConfig,
  loadWorkerOpsConfig,
  loadWorkerTuning,
  SANDBOX_CREDENTIALS,
  type Env,
} from '../src/shared/config';
import { transactionSearchAttributes } from '../src/transaction/search-attributes';
import { binaryCacheDir } from '../sandbox/config';
import { composeDotEnv } from './helpers/compose-env';

/**
 * The only images docker-compose.yml and the Dockerfile may pull, each with where its tag was
 * checked (the tag appears there, so it is published): a new or changed tag is checked, then
 * added here and in the comments of docker-compose.yml (and the Dockerfile for Node).
 */
const CHECKED_IMAGES: Record<string, string> = {
  'postgres:16': 'temporalio/samples-server compose/.env POSTGRESQL_VERSION=16, commit 21ba633 (2026-01-05, server 1.29.1)',
  'temporalio/server:1.29.1':
    'samples-server 21ba633 compose/.env TEMPORAL_VERSION; temporalio/helm-charts 790373a (chart 0.69.0) values.yaml',
  'temporalio/admin-tools:1.29.1-tctl-1.18.4-cli-1.5.0':
    'samples-server 21ba633 compose/.env TEMPORAL_ADMINTOOLS_VERSION; helm-charts 790373a',
  'temporalio/ui:2.42.1': 'helm-charts 790373a (chart 0.69.0) web.image.tag; the UI server scripts/provision-temporal.sh pins',
  'node:24.19.0-bookworm-slim': 'nodejs/docker-node fd1bf45c (2026-08-03) 24/bookworm-slim/Dockerfile NODE_VERSION=24.19.0',
};

interface ComposeService {
  image?: string;
  build?: { context?: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  restart?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const root = path.join(__dirname, '..');
const composeText = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
// merge: compose files use YAML merge keys (`<<: *anchor`), which YAML 1.2 leaves off by default.
const raw = parse(composeText, { merge: true }) as ComposeFile;
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const namespaceScript = readFileSync(path.join(root, 'deploy/temporal/create-namespace.sh'), 'utf8');

/**
 * Compose's variable substitution (the compose specification's subset): `$$`, `$NAME`, `${NAME}`,
 * `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`.
 */
function interpolate(text: string, vars: Env): string {
  return text.replace(
    /\$(\$|\{([A-Za-z_]\w*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_]\w*))/g,
    (_m, dollar, braced, op, arg, bare) => {
      if (dollar === '$') return '$';
      const name = (braced ?? bare) as string;
      const value = vars[name];
      const unsetOrEmpty = value === undefined || value === '';
      const missing = (op as string | undefined)?.startsWith(':') ? unsetOrEmpty : value === undefined;
      switch (op as string | undefined) {
        case ':-':
        case '-':
          return missing ? interpolate(arg as string, vars) : value!;
        case ':?':
        case '?':
          if (missing) throw new Error(`required variable ${name} is missing a value: ${arg as string}`);
          return value!;
        case ':+':
        case '+':
          return missing ? '' : interpolate(arg as string, vars);
        default:
          return value ?? '';
      }
    },
  );
}

/** The compose file as `docker compose` sees it with `vars` (what .env holds): every string substituted. */
function composeWith(vars: Env, source: unknown = raw): ComposeFile {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return interpolate(node, vars);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(source) as ComposeFile;
}

/** What `bash deploy/compose-env.sh FILE` writes, as variables. */
function generatedDotEnv(): Env {
  const dir = mkdtempSync(path.join(tmpdir(), 'pos-compose-env-'));
  try {
    return composeDotEnv(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A service's `environment` as strings (compose passes `true` and `5432` as "true" and "5432"). */
function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const dotEnv = generatedDotEnv();
const compose = composeWith(dotEnv);

function service(name: string, file: ComposeFile = compose): ComposeService {
  const found = file.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** "127.0.0.1:3000:3000" -> { host: '127.0.0.1', published: 3000, target: 3000 }. */
function ports(name: string) {
  return (service(name).ports ?? []).map((spec) => {
    const match = /^(?:([\d.]+):)?(\d+):(\d+)$/.exec(spec);
    if (!match) throw new Error(`${name}: a port in an unexpected form: ${spec}`);
    return { host: match[1], published: Number(match[2]), target: Number(match[3]) };
  });
}

/** SearchAttributeType.KEYWORD_LIST -> "KeywordList": the spelling the temporal CLI's --type takes. */
function cliType(type: string): string {
  return type
    .split('_')
    .map((word) => word.charAt(0) + word.slice(1).toLowerCase())
    .join('');
}

const SERVICES = [
  'postgresql',
  'temporal-schema-setup',
  'temporal',
  'temporal-create-namespace',
  'temporal-ui',
  'worker',
  'api',
  'zuz-sim',
  'pms-sim',
];

test('it runs the whole system: PostgreSQL, Temporal and its setup jobs, the Web UI, the worker, the API and the simulators', () => {
  expect(Object.keys(compose.services).sort()).toEqual([...SERVICES].sort());
});

test('every image it pulls, and the Dockerfile base image, is pinned to a tag checked against the official files', () => {
  const pulled = Object.values(compose.services)
    .filter((s) => !s.build)
    .map((s) => s.image);
  const bases = [...dockerfile.matchAll(/^ARG NODE_IMAGE=(\S+)$/gm)].map(([, image]) => image);
  expect(bases).toHaveLength(1);
  expect(dockerfile).not.toMatch(/^FROM (?!\$\{NODE_IMAGE\})/m); // every stage FROM the pinned base
  for (const image of [...pulled, ...bases]) {
    expect({ image, checked: image !== undefined && image in CHECKED_IMAGES }).toEqual({ image, checked: true });
  }
});

test('the Dockerfile’s Node is the target: the major of .nvmrc, the first range of engines.node and @types/node', () => {
  const image = /^ARG NODE_IMAGE=node:(\d+)\.\d+\.\d+-/m.exec(dockerfile)?.[1];
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    engines: { node: string };
    devDependencies: Record<string, string>;
  };
  expect({
    nvmrc: readFileSync(path.join(root, '.nvmrc'), 'utf8').trim(),
    engines: /^\^(\d+)\./.exec(pkg.engines.node)?.[1],
    types: pkg.devDependencies['@types/node']?.split('.')[0],
  }).toEqual({ nvmrc: image, engines: image, types: image });
});

test('the images it builds come from this repository’s Dockerfile, under local names that are never pulled', () => {
  const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map(([, stage]) => stage);
  for (const [name, target] of [
    ['worker', 'runtime'],
    ['api', 'runtime'],
    ['zuz-sim', 'simulators'],
    ['pms-sim', 'simulators'],
  ]) {
    expect(service(name).build).toEqual({ context: '.', target });
    expect(stages).toContain(target);
    expect(service(name).image).toMatch(/^pos-payments(-simulators)?:local$/);
  }
  // One image, two roles: the worker runs the image's CMD, the API says its entry point.
  expect(service('worker').image).toBe(service('api').image);
  expect(service('worker').command).toBeUndefined();
  expect(dockerfile).toMatch(/^CMD \["node", "dist\/worker\.js"\]\s*$/m);
  expect(service('api').command).toEqual(['node', 'dist/api/server.js']);
});

test('each part starts after what it needs: PostgreSQL healthy, schemas set up, Temporal healthy, the namespace created', () => {
  expect(service('temporal-schema-setup').depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
  expect(service('temporal').depends_on).toEqual({ 'temporal-schema-setup': { condition: 'service_completed_successfully' } });
  expect(service('temporal-create-namespace').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
  expect(service('temporal-ui').depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
  for (const name of ['worker', 'api']) {
    expect(service(name).depends_on).toMatchObject({
      postgresql: { condition: 'service_healthy' },
      temporal: { condition: 'service_healthy' },
      'temporal-create-namespace': { condition: 'service_completed_successfully' },
    });
  }
  // The worker's activities call the providers.
  expect(service('worker').depends_on).toMatchObject({
    'zuz-sim': { condition: 'service_healthy' },
    'pms-sim': { condition: 'service_healthy' },
  });
});

test('every long-running part has a health check; the worker and the API keep the image’s', () => {
  for (const name of ['postgresql', 'temporal', 'zuz-sim', 'pms-sim']) {
    expect(service(name).healthcheck?.test?.length).toBeGreaterThan(1);
  }
  for (const name of ['worker', 'api']) {
    expect(service(name).healthcheck).toBeUndefined(); // the Dockerfile's HEALTHCHECK: deploy/healthcheck.js
    expect(service(name).restart).toBe('unless-stopped');
  }
  expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["node", "healthcheck\.js"\]$/m);
  // The simulators' checks connect to the port each listens on.
  expect(service('zuz-sim').healthcheck?.test?.join(' ')).toContain('connect(4100,');
  expect(service('pms-sim').healthcheck?.test?.join(' ')).toContain('connect(4200,');
});

test('the secrets come from .env (deploy/compose-env.sh), never from the file', () => {
  const worker = environmentOf(service('worker', raw));
  for (const name of ['PAYLOAD_ENCRYPTION_KEYS', 'CUSTOMER_PSEUDONYM_KEY']) {
    expect(worker[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?.*deploy/compose-env\\.sh`));
    expect(dotEnv[name]).toBeTruthy();
  }
  // Without .env, `docker compose` stops at once and says what to run.
  expect(() => composeWith({})).toThrow(/PAYLOAD_ENCRYPTION_KEYS is missing a value: run `bash deploy\/compose-env.sh` first/);
  // A second run keeps the keys: they decrypt the stored history.
  expect(generatedDotEnv().PAYLOAD_ENCRYPTION_KEYS).not.toBe(dotEnv.PAYLOAD_ENCRYPTION_KEYS);
  const dir = mkdtempSync(path.join(tmpdir(), 'pos-compose-env-'));
  try {
    const file = path.join(dir, '.env');
    expect(spawnSync('sh', [path.join(root, 'deploy/compose-env.sh'), file]).status).toBe(0);
    const first = readFileSync(file, 'utf8');
    expect(spawnSync('sh', [path.join(root, 'deploy/compose-env.sh'), file]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // .env never enters the image's build context.
  expect(readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')).toContain('.env');
});

describe('the worker and the API get the environment their entry points require', () => {
  // As src/worker.ts and src/api/server.ts main() read it: a missing or invalid variable throws here.
  test('the worker', () => {
    const env = environmentOf(service('worker'));
    expect(assertSafeForProduction('worker', env)).toBe('skipped'); // POS_SANDBOX=true: see below
    const temporal = loadTemporalConfig(env);
    expect(temporal.payloadEncryption).toBeDefined();
    expect(loadDatabaseConfig(env)).toHaveProperty('url'); // never the embedded PGlite inside a container
    loadDatabasePoolSize(env);
    loadProvidersConfig(env);
    loadRiskLimits(env);
    loadWorkerOpsConfig(env);
    loadWorkerTuning(env);
  });

  test('the API', () => {
    const env = environmentOf(service('api'));
    expect(assertSafeForProduction('api', env)).toBe('skipped');
    const api = loadApiConfig(env);
    expect(api.customerPseudonymKey).toBeDefined();
    expect(api.codecServer).toMatchObject({ host: '0.0.0.0', port: 8888 });
    expect(loadTemporalConfig(env).payloadEncryption).toBeDefined();
    expect(loadDatabaseConfig(env)).toHaveProperty('url');
    loadFlowOverrides(env);
  });

  test('it is a sandbox, and says so: the published credentials, accepted only with POS_SANDBOX=true', () => {
    for (const name of ['worker', 'api']) {
      const env = environmentOf(service(name));
      expect(env.POS_SANDBOX).toBe('true');
      expect(env).toMatchObject(SANDBOX_CREDENTIALS);
      // Without POS_SANDBOX the production checks refuse this file: it cannot pass for a deployment.
      const { POS_SANDBOX: _sandbox, ...production } = env;
      expect(() => assertSafeForProduction(name as 'worker' | 'api', production)).toThrow(/published sandbox credential/);
    }
    expect(composeText).toMatch(/# SANDBOX ONLY\. The simulators' published credentials/);
  });
});

test('the parts find each other: addresses, databases and credentials agree', () => {
  const worker = environmentOf(service('worker'));
  const api = environmentOf(service('api'));
  const postgres = environmentOf(service('postgresql'));
  const zuz = environmentOf(service('zuz-sim'));
  const pms = environmentOf(service('pms-sim'));

  for (const env of [worker, api]) {
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    const db = new URL(env.DATABASE_URL);
    expect([db.hostname, db.port, db.pathname.slice(1)]).toEqual(['postgresql', '5432', postgres.POSTGRES_DB]);
    expect([db.username, db.password]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD]);
  }
  // The simulators, and the webhooks Zuz sends to the API.
  expect(worker.ZUZ_BASE_URL).toBe('http://zuz-sim:4100');
  expect(worker.PMS_BASE_URL).toBe('http://pms-sim:4200');
  expect(zuz).toMatchObject({ ZUZ_APP_ID: worker.ZUZ_APP_ID, ZUZ_PRIVATE_KEY: worker.ZUZ_PRIVATE_KEY, ZUZ_ENV: worker.ZUZ_ENV });
  expect(api.ZUZ_PRIVATE_KEY).toBe(zuz.ZUZ_PRIVATE_KEY); // verifies the webhooks' signature
  expect(zuz.ZUZ_WEBHOOK_URL).toBe('http://api:3000/webhooks/zuz');
  expect(pms.PMS_API_KEY).toBe(worker.PMS_API_KEY);
  expect(zuz.SIM_TIME_SCALE).toBe('1');
  expect(composeWith({ ...dotEnv, SIM_TIME_SCALE: '0.01' }).services['zuz-sim'].environment?.SIM_TIME_SCALE).toBe('0.01');

  // Temporal and its schema setup log in with the credentials PostgreSQL was created with.
  for (const name of ['temporal', 'temporal-schema-setup']) {
    expect(environmentOf(service(name))).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
      POSTGRES_USER: postgres.POSTGRES_USER,
    });
  }
  expect(environmentOf(service('temporal')).POSTGRES_PWD).toBe(postgres.POSTGRES_PASSWORD);
  expect(environmentOf(service('temporal-schema-setup')).SQL_PASSWORD).toBe(postgres.POSTGRES_PASSWORD);

  // The Web UI decodes payloads through the API's codec server, which allows the UI's origin; the
  // token the codec server asks for is the endpoint's last path segment (both from .env).
  const ui = environmentOf(service('temporal-ui'));
  const uiPort = ports('temporal-ui')[0].published;
  const codec = new URL(ui.TEMPORAL_CODEC_ENDPOINT);
  expect(api.CODEC_SERVER_TOKEN).toBeTruthy();
  expect(codec.pathname).toBe(`/codec/${api.CODEC_SERVER_TOKEN}`);
  expect(ports('api')).toContainEqual({
    host: '127.0.0.1',
    published: Number(codec.port),
    target: Number(api.CODEC_SERVER_ADDRESS.split(':')[1]),
  });
  expect(api.CODEC_SERVER_CORS_ORIGINS.split(',')).toContain(`http://${codec.hostname}:${uiPort}`);
});

test('its setup jobs run the scripts under deploy/temporal, for the namespace the service uses', () => {
  for (const [name, script] of [
    ['temporal-schema-setup', '/deploy/setup-postgres.sh'],
    ['temporal-create-namespace', '/deploy/create-namespace.sh'],
  ]) {
    expect(service(name).volumes).toContain('./deploy/temporal:/deploy:ro');
    expect([...(service(name).entrypoint ?? []), ...(service(name).command ?? [])]).toEqual(['/bin/sh', script]);
    expect(existsSync(path.join(root, 'deploy/temporal', path.basename(script)))).toBe(true);
  }
  expect(environmentOf(service('temporal-create-namespace'))).toMatchObject({
    TEMPORAL_ADDRESS: environmentOf(service('worker')).TEMPORAL_ADDRESS,
    NAMESPACE: environmentOf(service('worker')).TEMPORAL_NAMESPACE,
  });
  expect(environmentOf(service('temporal')).DYNAMIC_CONFIG_FILE_PATH).toBe('config/dynamicconfig/development-sql.yaml');
  expect(existsSync(path.join(root, 'deploy/temporal/dynamicconfig/development-sql.yaml'))).toBe(true);
});

test('the namespace job registers exactly the search attributes the code uses, with their types', () => {
  const line = /^SEARCH_ATTRIBUTES="([^"]*)"$/m.exec(namespaceScript);
  expect(line).not.toBeNull();
  const registered = line![1].split(/\s+/).filter(Boolean);
  const expected = transactionSearchAttributes.map((key) => `${key.name}:${cliType(key.type)}`);
  expect(registered.sort()).toEqual(expected.sort());
});

test('every port is published on loopback only: the sandbox’s credentials are public', () => {
  for (const name of Object.keys(compose.services)) {
    for (const port of ports(name)) expect({ name, host: port.host }).toEqual({ name, host: '127.0.0.1' });
  }
  expect(ports('api').map((p) => p.target)).toEqual(expect.arrayContaining([3000, 9465, 8888]));
  expect(ports('worker').map((p) => p.target)).toEqual(expect.arrayContaining([8081, 9464]));
  expect(ports('temporal')).toContainEqual({ host: '127.0.0.1', published: 7233, target: 7233 });
  expect(ports('temporal-ui')).toContainEqual({ host: '127.0.0.1', published: 8080, target: 8080 });
});

/** temporal-sql-tool and the schema files, as scripts/provision-temporal.sh cluster provisions them. */
const sqlTool = path.join(binaryCacheDir(), 'bin', 'temporal-sql-tool');
const schemaDir = path.join(binaryCacheDir(), 'bin', 'temporal-schema');
const canRunSetup = !!process.env.DATABASE_URL && existsSync(sqlTool) && existsSync(schemaDir);
if (!canRunSetup)
  console.warn('compose.test.ts: the schema-setup script is not run (needs DATABASE_URL and `provision-temporal.sh cluster`)');

(canRunSetup ? test : test.skip)(
  'the schema-setup script sets up both databases, and a second run (every `docker compose up`) changes nothing',
  async () => {
    const url = new URL(process.env.DATABASE_URL!);
    const suffix = randomBytes(4).toString('hex');
    const databases = [`compose_temporal_${suffix}`, `compose_visibility_${suffix}`];
    const run = () =>
      spawnSync('sh', [path.join(root, 'deploy/temporal/setup-postgres.sh')], {
        encoding: 'utf8',
        env: {
          PATH: `${path.dirname(sqlTool)}:${process.env.PATH}`,
          POSTGRES_SEEDS: url.hostname,
          DB_PORT: url.port || '5432',
          POSTGRES_USER: decodeURIComponent(url.username),
          SQL_PASSWORD: decodeURIComponent(url.password) || 'unused',
          TEMPORAL_DB: databases[0],
          VISIBILITY_DB: databases[1],
          TEMPORAL_SCHEMA_DIR: schemaDir,
        },
      });
    const admin = new PgClient({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      for (let attempt = 1; attempt <= 2; attempt++) {
        const result = run();
        expect({ attempt, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
          attempt,
          status: 0,
          stderr: '',
        });
        expect(result.stdout).toContain("Temporal's databases are ready");
      }
      // The newest versions of the schema files, as the server's release states them.
      const versions = readFileSync(path.join(schemaDir, 'postgresql/v12/version.go'), 'utf8');
      for (const [database, constant] of [
        [databases[0], 'Version'],
        [databases[1], 'VisibilityVersion'],
      ]) {
        const client = new PgClient({ connectionString: Object.assign(new URL(url), { pathname: `/${database}` }).toString() });
        await client.connect();
        try {
          const { rows } = await client.query<{ curr_version: string }>('SELECT curr_version FROM schema_version');
          expect(versions).toMatch(new RegExp(`^const ${constant} = "${rows[0].curr_version.replace(/\./g, '\\.')}"$`, 'm'));
        } finally {
          await client.end();
        }
      }
    } finally {
      for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    }
  },
  60_000,
);

// --- docker-compose.temporal.yml: Temporal alone, for a service run on the host ------------------

describe('docker-compose.temporal.yml: Temporal alone (PostgreSQL, schemas, server, namespace, Web UI) for a service run on the host', () => {
  const TEMPORAL_PARTS = ['postgresql', 'temporal-schema-setup', 'temporal', 'temporal-create-namespace', 'temporal-ui'];
  const text = readFileSync(path.join(root, 'docker-compose.temporal.yml'), 'utf8');
  const source = parse(text, { merge: true }) as ComposeFile;
  const codecToken = randomBytes(32).toString('hex');
  const alone = composeWith({ CODEC_SERVER_TOKEN: codecToken }, source);
  const part = (name: string) => service(name, alone);
  const provision = readFileSync(path.join(root, 'scripts', 'provision-temporal.sh'), 'utf8');
  const pinned = (name: string) => new RegExp(`^${name}=(\\S+)`, 'm').exec(provision)?.[1];

  test('its parts are the whole system’s Temporal parts, with the same images, each a checked tag', () => {
    expect(Object.keys(alone.services).sort()).toEqual([...TEMPORAL_PARTS].sort());
    for (const name of TEMPORAL_PARTS) {
      expect({ name, image: part(name).image, build: part(name).build }).toEqual({ name, image: service(name).image, build: undefined });
      expect({ name, checked: (part(name).image ?? '') in CHECKED_IMAGES }).toEqual({ name, checked: true });
    }
  });

  test('the server and the Web UI are the versions the project builds and runs (scripts/provision-temporal.sh)', () => {
    expect(part('temporal').image).toBe(`temporalio/server:${pinned('TEMPORAL_SERVER_VERSION')}`);
    expect(part('temporal-ui').image).toBe(`temporalio/ui:${pinned('UI_SERVER_VERSION')}`);
    expect(part('temporal-schema-setup').image).toMatch(new RegExp(`^temporalio/admin-tools:${pinned('TEMPORAL_SERVER_VERSION')}-`));
  });

  test('each part starts after what it needs, and the setup jobs run the same scripts, as in the whole system', () => {
    for (const name of TEMPORAL_PARTS) {
      const { depends_on, entrypoint, command, volumes, healthcheck } = part(name);
      const whole = service(name);
      expect({ name, depends_on, entrypoint, command, volumes, healthcheck }).toEqual({
        name,
        depends_on: whole.depends_on,
        entrypoint: whole.entrypoint,
        command: whole.command,
        volumes: whole.volumes,
        healthcheck: whole.healthcheck,
      });
    }
    expect(environmentOf(part('temporal-create-namespace'))).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', NAMESPACE: 'default' });
    expect(environmentOf(part('temporal'))).toEqual(environmentOf(service('temporal')));
    expect(environmentOf(part('postgresql')).POSTGRES_DB).toBe('pos'); // the service's own database, beside Temporal's
  });

  test('the Web UI decodes payloads through the codec server of the API on the host, with the token from .env', () => {
    expect(environmentOf(part('temporal-ui'))).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_DEFAULT_NAMESPACE: 'default',
      TEMPORAL_CODEC_ENDPOINT: `http://localhost:8888/codec/${codecToken}`,
    });
    // Without the token, `docker compose up` stops and says where to set it.
    expect(() => composeWith({}, source)).toThrow(/CODEC_SERVER_TOKEN/);
  });

  test('Temporal, the Web UI and PostgreSQL are published on loopback only: 7233, 8080, 5432', () => {
    const published = (name: string) =>
      (part(name).ports ?? []).map((spec) => {
        const [host, port, target] = spec.split(' ')[0].split(':');
        return { host, port: Number(port), target: Number(target) };
      });
    expect(published('temporal')).toEqual([{ host: '127.0.0.1', port: 7233, target: 7233 }]);
    expect(published('temporal-ui')).toEqual([{ host: '127.0.0.1', port: 8080, target: 8080 }]);
    expect(published('postgresql')).toEqual([{ host: '127.0.0.1', port: 5432, target: 5432 }]);
    for (const name of ['temporal-schema-setup', 'temporal-create-namespace']) expect(part(name).ports).toBeUndefined();
  });
});

// --- .env.example: what `node --env-file=.env` gives the production entry points -----------------

describe('.env.example: the production entry points’ settings, for `node --env-file=.env`', () => {
  const file = path.join(root, '.env.example');
  const example = parseEnv(readFileSync(file, 'utf8')) as Env;
  const empty = Object.keys(example).filter((name) => example[name] === '');
  /** What a deployment fills in: 32 random bytes in each secret's form. */
  const secret = (name: string) => {
    const key = randomBytes(32).toString('base64');
    if (name === 'PAYLOAD_ENCRYPTION_KEYS') return `k1:${key}`;
    if (name === 'API_KEYS') return `acme:${randomBytes(32).toString('hex')}`;
    return name === 'OPERATOR_API_KEYS' ? randomBytes(32).toString('hex') : key;
  };
  const filled: Env = { ...example, ...Object.fromEntries(empty.map((name) => [name, secret(name)])) };

  test('every variable it sets is one the service reads', () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(path.join(dir, entry.name));
        else if (entry.name.endsWith('.ts')) sources.push(readFileSync(path.join(dir, entry.name), 'utf8'));
      }
    };
    walk(path.join(root, 'src'));
    const unread = Object.keys(example).filter((name) => !sources.some((text) => text.includes(name)));
    expect(unread).toEqual([]);
  });

  test('its secrets are left empty, and unfilled, the production checks refuse it', () => {
    expect(empty).toEqual(
      expect.arrayContaining([
        'PAYLOAD_ENCRYPTION_KEYS',
        'CUSTOMER_PSEUDONYM_KEY',
        'ZUZ_PRIVATE_KEY',
        'PMS_API_KEY',
        'API_KEYS',
        'API_CURSOR_KEY',
      ]),
    );
    expect(() => assertSafeForProduction('worker', example)).toThrow(/Unsafe configuration/);
    expect(() => assertSafeForProduction('api', example)).toThrow(/Unsafe configuration/);
  });

  test('filled in, it passes the production checks and the loaders of the worker and the API', () => {
    expect(assertSafeForProduction('worker', filled)).toBe('checked');
    expect(assertSafeForProduction('api', filled)).toBe('checked');
    expect(loadTemporalConfig(filled).payloadEncryption).toBeDefined();
    expect(loadDatabaseConfig(filled)).toHaveProperty('url');
    loadProvidersConfig(filled);
    loadWorkerOpsConfig(filled);
    loadWorkerTuning(filled);
    expect(loadApiConfig(filled).port).toBe(3000);
  });

  test('Node’s own loader reads it as written (node --env-file)', () => {
    const run = spawnSync(process.execPath, [`--env-file=${file}`, '-p', 'JSON.stringify(process.env)'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as Env;
    for (const [name, value] of Object.entries(example)) expect({ name, value: seen[name] }).toEqual({ name, value });
  });
});
