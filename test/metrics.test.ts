/**
 * The metrics as Prometheus and a Temporal dashboard read them. The production worker and API
 * (`node dist/worker.js`, `node dist/api/server.js`; `npm test` builds dist/ first) run a few
 * transactions, and their /metrics are held to Prometheus's conventions (counters end in
 * `_total`, durations are histograms in seconds named `_seconds`, as Temporal's SDK dashboard
 * queries them) and to every metric deploy/grafana/pos-payments.json queries, so the dashboard
 * cannot drift from the code. The two processes share PostgreSQL: DATABASE_URL, or the one test/global-setup.ts starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../sandbox/dev-server';
import { startPmsSimulator, type PmsSimulator } from '../sandbox/simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../sandbox/simulators/zuz';
import { throwawayEncryptionEnv } from '../sandbox/payload-keys';
import { freePort, temporalCliPath } from './helpers/temporal';

const API_KEY = 'metrics-test-api-key-0123456789';
const DASHBOARD_FILE = path.join(__dirname, '..', 'deploy', 'grafana', 'pos-payments.json');
/** The server's long-poll timeout (70 s at most), a bound on any long poll's duration. */
const LONG_POLL_SECONDS = 70;

let temporal: DevServer | undefined;
let zuz: ZuzSimulator;
let pms: PmsSimulator;
const services: Array<{ process: ChildProcess; output: string[] }> = [];
let apiUrl: string;
let worker: Exposition;
let api: Exposition;
/** How long the transactions ran, in seconds: no duration measured meanwhile can be longer. */
let elapsedSeconds: number;

function startService(script: string, env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n')));
  services.push({ process: child, output });
}

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === 200) return;
    if (Date.now() > giveUpAt) {
      const output = services.flatMap((s) => s.output.slice(-20)).join('\n');
      throw new Error(`${url} did not answer 200 in time (last: ${response?.status}); the services said:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Scrapes `url` until `ready` holds of what it exports (the SDK's runtime exports the workflows' metrics once flushed). */
async function scrape(url: string, ready: (metrics: Exposition) => boolean = () => true): Promise<Exposition> {
  for (let i = 0; ; i++) {
    const metrics = parseExposition(await (await fetch(url)).text());
    if (ready(metrics) || i === 75) return metrics;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts a transaction through the API and waits until it has ended; its final status. A manual
 * capture's transaction is captured once authorized, `beforeCapture` run first.
 */
async function runTransaction(paymentMethodId: string, amount: number, manual?: { beforeCapture: () => void }): Promise<string> {
  const transactionId = `metrics-${randomUUID()}`;
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const capture = manual ? 'manual' : 'auto';
  const created = await fetch(`${apiUrl}/v1/transactions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ transactionId, customerId: 'cus_demo', paymentMethodId, amount, currency: 'EUR', capture }),
  });
  expect(created.status).toBe(202);
  // Seconds here; generous because CI machines run several times slower than a laptop (CI once ran past 30 s).
  const startedAt = Date.now();
  const giveUpAt = startedAt + 120_000;
  for (;;) {
    const view = (await (await fetch(`${apiUrl}/v1/transactions/${transactionId}`, { headers })).json()) as { status: string };
    if (['succeeded', 'declined', 'failed', 'cancelled'].includes(view.status)) return view.status;
    if (manual && view.status === 'authorized') {
      manual.beforeCapture();
      const captured = await fetch(`${apiUrl}/v1/transactions/${transactionId}/capture`, { method: 'POST', headers, body: '{}' });
      expect(captured.status).toBeLessThan(300);
      manual = undefined;
    }
    if (Date.now() > giveUpAt) {
      const output = services.flatMap((s) => s.output.slice(-20)).join('\n');
      throw new Error(`transaction ${transactionId} (${paymentMethodId}, ${amount}) still ${view.status}; the services said:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // PGlite is one process's database: the worker and the API need a server to share.
  // test/global-setup.ts starts one when DATABASE_URL is unset.
  if (!process.env.DATABASE_URL) throw new Error('test/metrics.test.ts needs DATABASE_URL (a PostgreSQL both processes share)');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pos-metrics-'));
  temporal = await startDevServer({ cli: temporalCliPath(), port: 0, logFile: path.join(dataDir, 'temporal.log') });
  zuz = await startZuzSimulator({ appId: 'metrics-app', privateKey: 'metrics-zuz-key', timeScale: 0.001 });
  pms = await startPmsSimulator({ apiKey: 'metrics-pms-key' });
  const [apiPort, healthPort, metricsPort, apiMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    LOG_LEVEL: 'warn',
    // The simulators: http:// and short keys, which the production entry points refuse without it.
    POS_SANDBOX: 'true',
    ...throwawayEncryptionEnv(),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `metrics-${randomUUID()}`,
    POS_DATA_DIR: dataDir,
    ZUZ_BASE_URL: zuz.url,
    ZUZ_APP_ID: 'metrics-app',
    ZUZ_PRIVATE_KEY: 'metrics-zuz-key',
    PMS_BASE_URL: pms.url,
    PMS_API_KEY: 'metrics-pms-key',
    API_PORT: String(apiPort),
    API_KEYS: API_KEY,
    API_METRICS_ADDRESS: `127.0.0.1:${apiMetricsPort}`,
    WORKER_HEALTH_PORT: String(healthPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    // Other suites put many cus_demo transactions in a shared DATABASE_URL; this test is not about risk limits.
    RISK_MAX_TRANSACTIONS_PER_HOUR: '1000000',
    RISK_MAX_AMOUNT_PER_DAY: '1000000000000',
  };
  apiUrl = `http://127.0.0.1:${apiPort}`;
  const workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  zuz.setWebhookUrl(`${apiUrl}/webhooks/zuz`);
  startService('worker.js', env);
  startService(path.join('api', 'server.js'), env);
  await Promise.all([waitFor(`http://127.0.0.1:${healthPort}/readyz`), waitFor(`${apiUrl}/readyz`)]);

  // What the dashboard shows, once each: a capture; a decline; a capture Zuz fails, whose held money
  // Zuz then refuses to release (amounts below 20 fail every operation). Zuz's first answers to the
  // payment's opening and to the (manual) capture are 503s, so one local activity's attempt and one
  // activity's fail and are retried.
  const startedAt = Date.now();
  zuz.setFaults({ failBeforeNext: 1 });
  expect(await runTransaction('pm_approved', 4321, { beforeCapture: () => zuz.setFaults({ failBeforeNext: 1 }) })).toBe('succeeded');
  expect(await runTransaction('pm_declined', 1250)).toBe('declined');
  expect(await runTransaction('pm_approved', 15)).toBe('failed');
  await scrape(workerMetricsUrl, (m) => m.has('pos_releases_total'));
  elapsedSeconds = (Date.now() - startedAt) / 1000;
  api = await scrape(`http://127.0.0.1:${apiMetricsPort}/metrics`);

  // Temporal goes away: the worker's polls fail, and say so (the dashboard's poll failures).
  await temporal.stop();
  temporal = undefined;
  worker = await scrape(workerMetricsUrl, (m) => m.has('temporal_long_request_failure_total'));
}, 600_000);

afterAll(async () => {
  for (const service of services) if (service.process.exitCode === null) service.process.kill('SIGKILL');
  await Promise.all([zuz?.close(), pms?.close(), temporal?.stop()]);
});

/** A Prometheus text exposition: each family's type, and every sample's name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

class Exposition {
  constructor(
    readonly types: Map<string, string>,
    readonly samples: Sample[],
  ) {}

  /** Whether a sample of this name (as exported: `x_total`, `x_seconds_bucket`...) is there. */
  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }

  named(name: string): Sample[] {
    return this.samples.filter((s) => s.name === name);
  }

  /** The label names a sample of this name carries, over all its series. */
  labelsOf(name: string): Set<string> {
    return new Set(this.named(name).flatMap((s) => Object.keys(s.labels)));
  }

  familiesOfType(type: string): string[] {
    return [...this.types].filter(([, t]) => t === type).map(([family]) => family);
  }
}

function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) types.set(type[1], type[2]);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries(
      [...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return new Exposition(types, samples);
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** The metric names a PromQL expression reads: every bare identifier that is not a function, keyword, label or range. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(bare.slice(m.index + m[0].length)) && !PROMQL_KEYWORDS.has(m[0]))
    .map((m) => m[0]);
}

/** Each `metric{...}` selector's metric and the label names it matches on. */
function selectorsIn(expr: string): Array<{ metric: string; labels: string[] }> {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({
    metric: m[1],
    labels: [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]),
  }));
}

/** The label names of every `by (...)` grouping. */
function groupingLabelsIn(expr: string): string[] {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim()));
}

interface DashboardPanel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: DashboardPanel[];
}

/** Every PromQL expression of the dashboard (panels, rows' panels) and every `label_values(...)` of its variables. */
function dashboardQueries(): { exprs: Array<{ panel: string; expr: string }>; variables: string[] } {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    panels: DashboardPanel[];
    templating: { list: Array<{ query?: string | { query?: string } }> };
  };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const exprs = panels.flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [{ panel: p.title ?? '', expr: t.expr }] : [])));
  const variables = dashboard.templating.list
    .map((v) => (typeof v.query === 'string' ? v.query : v.query?.query))
    .filter((q): q is string => !!q && q.startsWith('label_values('));
  return { exprs, variables };
}

/** Which process exports a sample name, if either does. */
const exporterOf = (name: string) => [worker, api].find((m) => m.has(name));

describe('the worker exports the SDK metrics as Prometheus names them, as Temporal dashboards query them', () => {
  test('every counter ends in _total', () => {
    for (const metrics of [worker, api]) {
      const counters = metrics.familiesOfType('counter');
      expect(counters.length).toBeGreaterThan(0);
      for (const family of counters) expect(family).toMatch(/_total$/);
    }
  });

  test('every histogram is a duration in seconds, named _seconds; none in milliseconds', () => {
    for (const metrics of [worker, api]) {
      for (const family of metrics.familiesOfType('histogram')) expect(family).toMatch(/_seconds$/);
      for (const family of metrics.types.keys()) expect(family).not.toMatch(/_(ms|milliseconds)(_|$)/);
    }
  });

  test("the names of Temporal's SDK dashboard are there", () => {
    for (const name of [
      'temporal_workflow_completed_total',
      'temporal_workflow_endtoend_latency_seconds_bucket',
      'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
      'temporal_workflow_task_execution_latency_seconds_bucket',
      'temporal_activity_schedule_to_start_latency_seconds_bucket',
      'temporal_activity_execution_latency_seconds_bucket',
      'temporal_activity_execution_failed_total',
      'temporal_request_total',
      'temporal_long_request_failure_total',
      'temporal_worker_task_slots_available',
      'temporal_worker_task_slots_used',
    ])
      expect({ name, exported: worker.has(name) }).toEqual({ name, exported: true });
    expect(worker.named('temporal_workflow_completed_total').reduce((sum, s) => sum + s.value, 0)).toBe(3);
  });

  test('durations are in seconds: no mean is longer than the transactions ran, buckets go below 1', () => {
    // The API's process metrics (garbage collection) count from its start, before the transactions.
    const histograms = [worker, api].flatMap((m) =>
      m
        .familiesOfType('histogram')
        .filter((family) => !family.startsWith('pos_api_'))
        .map((family) => ({ m, family })),
    );
    expect(histograms.length).toBeGreaterThan(10);
    const means = histograms.flatMap(({ m, family }) =>
      m
        .named(`${family}_count`)
        .filter((count) => count.value > 0)
        .map((count) => {
          const sum = m.named(`${family}_sum`).find((s) => JSON.stringify(s.labels) === JSON.stringify(count.labels));
          return { family, labels: count.labels, mean: (sum?.value ?? NaN) / count.value };
        }),
    );
    // A long poll lasts until a task comes or the server's long-poll timeout (about a minute), whatever
    // the transactions do: with eager activity dispatch an activity poll may wait from the worker's
    // start. In milliseconds its mean would still be thousands.
    const boundOf = (family: string) => (family === 'temporal_long_request_latency_seconds' ? LONG_POLL_SECONDS : elapsedSeconds);
    expect(means.filter(({ family, mean }) => !(mean >= 0 && mean <= boundOf(family)))).toEqual([]);
    // A transaction's workflow runs for a second or so: counted in milliseconds, its mean would exceed the whole run.
    const endToEnd = means.find((m) => m.family === 'temporal_workflow_endtoend_latency_seconds')?.mean;
    expect(endToEnd).toBeGreaterThan(0.001);
    expect(endToEnd).toBeLessThan(elapsedSeconds);
    // Its buckets are seconds' (0.05 s...), not milliseconds' (50 ms...).
    const bounds = worker
      .named('temporal_activity_execution_latency_seconds_bucket')
      .map((s) => Number(s.labels.le))
      .filter(Number.isFinite);
    expect(Math.min(...bounds)).toBeLessThan(1);
  });
});

describe("the flow's own metrics follow the same conventions", () => {
  test('finished transactions by status and failure code: pos_transactions_finished_total', () => {
    expect(worker.types.get('pos_transactions_finished_total')).toBe('counter');
    const finished = worker.named('pos_transactions_finished_total').map((s) => `${s.labels.status}/${s.labels.failure_code} ${s.value}`);
    expect(finished.sort()).toEqual(['declined/authorization_declined 1', 'failed/capture_failed 1', 'succeeded/none 1']);
  });

  test('step durations in seconds: the histogram pos_step_duration_seconds', () => {
    expect(worker.types.get('pos_step_duration_seconds')).toBe('histogram');
    const steps = new Set(worker.named('pos_step_duration_seconds_count').map((s) => s.labels.step));
    for (const step of ['recordTransaction', 'createAuthorization', 'finalizeTransaction']) expect(steps).toContain(step);
    // The first step, once per transaction: the dashboard's "started".
    const recorded = worker.named('pos_step_duration_seconds_count').filter((s) => s.labels.step === 'recordTransaction');
    expect(recorded.reduce((sum, s) => sum + s.value, 0)).toBe(3);
  });

  test('releases by outcome: pos_releases_total, and pos_release_failed_total to alert on', () => {
    expect(worker.named('pos_releases_total').map((s) => [s.labels.outcome, s.value])).toEqual([['release_failed', 1]]);
    expect(worker.named('pos_release_failed_total').map((s) => s.value)).toEqual([1]);
  });

  test('no metric keeps a name from before the conventions', () => {
    for (const old of ['pos_transactions_finished', 'pos_step_duration', 'pos_step_duration_bucket', 'pos_release_failed'])
      expect(worker.has(old)).toBe(false);
  });

  test("the API's: pos_http_requests_total, pos_http_request_duration_seconds, pos_zuz_webhooks_total", () => {
    expect(api.types.get('pos_http_requests_total')).toBe('counter');
    expect(api.types.get('pos_http_request_duration_seconds')).toBe('histogram');
    expect(api.types.get('pos_zuz_webhooks_total')).toBe('counter');
    const created = api.named('pos_http_requests_total').find((s) => s.labels.route === '/v1/transactions' && s.labels.method === 'POST');
    expect(created).toMatchObject({ labels: { status: '202' }, value: 3 });
  });
});

describe('deploy/grafana/pos-payments.json queries only what the worker and the API export', () => {
  const { exprs, variables } = dashboardQueries();

  test('the dashboard has its panels, and every expression names metrics', () => {
    const titles = exprs.map((e) => e.panel);
    for (const title of ['Throughput', 'Step latency p50', 'Step latency p95', 'Step latency p99', 'Failures by code', 'Releases pending'])
      expect(titles.some((t) => t.startsWith(title))).toBe(true);
    for (const title of ['Task slots', 'schedule-to-start', 'Poll failures']) expect(titles.some((t) => t.includes(title))).toBe(true);
    for (const { panel, expr } of exprs)
      expect({ panel, expr, names: metricNamesIn(expr).length > 0 }).toEqual({ panel, expr, names: true });
  });

  test('every metric an expression reads is exported, with the labels it filters and groups by', () => {
    const names = new Set(exprs.flatMap(({ expr }) => metricNamesIn(expr)));
    expect(names.size).toBeGreaterThan(15);
    // Only the service's own metrics and the SDK's: a name parsed wrongly shows here.
    for (const name of names) expect(name).toMatch(/^(pos|temporal)_/);
    const drift: string[] = [];
    for (const name of names) {
      const exporter = exporterOf(name);
      if (!exporter) drift.push(`${name}: not exported`);
      // A histogram's series (`_bucket`, `_sum`, `_count`) belong to a family of that type.
      const family = name.replace(/_(bucket|sum|count)$/, '');
      if (exporter && family !== name && exporter.types.get(family) !== 'histogram') drift.push(`${name}: ${family} is no histogram`);
    }
    for (const { expr } of exprs) {
      for (const { metric, labels } of selectorsIn(expr)) {
        const exported = exporterOf(metric)?.labelsOf(metric) ?? new Set();
        for (const label of labels.filter((l) => !exported.has(l))) drift.push(`${metric}: no label ${label}`);
      }
      const available = new Set(metricNamesIn(expr).flatMap((name) => [...(exporterOf(name)?.labelsOf(name) ?? [])]));
      for (const label of groupingLabelsIn(expr).filter((l) => !available.has(l))) drift.push(`by (${label}): no such label in ${expr}`);
    }
    expect(drift).toEqual([]);
  });

  test("the variables' label_values(metric, label) name exported metrics and labels", () => {
    expect(variables.length).toBeGreaterThan(0);
    for (const query of variables) {
      const [, metric, label] = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?,\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query) ?? [];
      expect({ query, metric, exported: !!metric && worker.labelsOf(metric).has(label) }).toEqual({ query, metric, exported: true });
    }
  });
});
