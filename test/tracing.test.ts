/**
 * OpenTelemetry tracing (off by default): with it on, one trace follows a transaction from the
 * API through the workflow start, the workflow and its activities, to the HTTP calls to PMS and Zuz.
 */
import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, tracingExporter, type Tracing } from '../src/shared/tracing';
import { startLocalStack, throwawayStackEnv, type LocalStack } from '../sandbox/local-stack';
import { bundleWorkflows } from './helpers/temporal';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let stack: LocalStack;

beforeAll(async () => {
  tracing = startTracing({}, new SimpleSpanProcessor(exporter))!;
  const workflowBundle = await bundleWorkflows([tracing.plugin]);
  stack = await startLocalStack({
    env: throwawayStackEnv('tracing'),
    workflowBundle,
    installRuntime: false,
    tracing,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
});

test('tracing is off unless the standard OTEL_* variables turn it on, and a bad value is an error', () => {
  expect(tracingExporter({})).toBe('none');
  expect(tracingExporter({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
  expect(tracingExporter({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
  expect(tracingExporter({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe('none');
  expect(() => tracingExporter({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER/);
  expect(startTracing({})).toBeUndefined();
});

test('one trace runs from the API through the workflow and activities to the provider calls', async () => {
  const transactionId = `trace-${randomUUID()}`;
  const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
  const created = await fetch(`${stack.apiUrl}/v1/transactions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 1250, currency: 'EUR' }),
  });
  expect(created.status).toBe(202);
  await stack.client.workflow.getHandle(`transaction-${transactionId}`).result();

  let spans: ReadableSpan[] = [];
  const find = (name: string) => spans.find((s) => s.name === name);
  for (let i = 0; i < 50 && !find('RunActivity:finalizeTransaction'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    spans = exporter.getFinishedSpans();
  }
  const start = find('StartWorkflow:processTransaction');
  expect(start).toBeDefined();
  const traceId = start!.spanContext().traceId;
  const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
  const names = inTrace.map((s) => s.name);

  expect(names).toEqual(
    expect.arrayContaining([
      'RunWorkflow:processTransaction',
      'RunActivity:createAuthorization',
      'RunActivity:capturePayment',
      'RunActivity:finalizeTransaction',
    ]),
  );
  // The activity's outgoing calls to PMS and Zuz are client spans of the same trace.
  const outgoing = inTrace.filter((s) => s.attributes['url.full'] !== undefined).map((s) => String(s.attributes['url.full']));
  expect(outgoing.some((url) => url.startsWith(stack.pms.url))).toBe(true);
  expect(outgoing.some((url) => url.startsWith(`${stack.zuz.url}/payments`))).toBe(true);
  // No card token leaks into span attributes.
  expect(JSON.stringify(inTrace.map((s) => s.attributes))).not.toMatch(/tok_[0-9a-f]{24}/);
});

// Issue 38, finding 6: the PMS lookup's URL and the list's customerId filter carried the customer id into span attributes.
test('no customer id reaches a span: the PMS lookup and the list filter show [customer]', async () => {
  const headers = { authorization: `Bearer ${stack.apiKey}` };
  await fetch(`${stack.apiUrl}/v1/transactions?customerId=cus_demo&limit=1`, { headers });
  let spans: ReadableSpan[] = [];
  for (let i = 0; i < 50 && !spans.some((s) => JSON.stringify(s.attributes).includes('customerId=')); i++) {
    await new Promise((r) => setTimeout(r, 100));
    spans = exporter.getFinishedSpans();
  }
  const attributes = JSON.stringify(spans.map((s) => s.attributes));
  // The control: the list's span and the earlier PMS lookup are there, with the customer's place marked.
  expect(attributes).toContain('customerId=[customer]');
  expect(attributes).toContain('/customers/[customer]/');
  expect(attributes).not.toContain('cus_demo');
});
