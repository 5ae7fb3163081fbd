/**
 * The OpenAPI document and the docs pages: the document is valid OpenAPI 3.1; it names every
 * route the app really has, with every status code the route can answer; its schemas accept
 * and refuse what the zod schemas do and describe what the app really answers; and
 * GET /openapi.json and GET /docs (with every asset the page loads) are served.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import type { z } from 'zod';
import { createApp } from '../src/api/app';
import { docsRouter } from '../src/api/docs';
import { openApiDocument } from '../src/api/openapi';
import { errorBodySchema, healthSchema, readinessSchema, transactionStatusSchema, type Mirrors } from '../src/api/response-schemas';
import { captureSchema, createTransactionSchema, listTransactionsQuery } from '../src/api/schemas';
import { zuzWebhookEvent } from '../src/zuz';
import { openDatabase } from '../src/shared/database';

// Type level: Mirrors notices a field that only one side has (`npm run typecheck` fails if it stops).
// @ts-expect-error an optional field missing from one side is a drift
true satisfies Mirrors<{ a: string }, { a: string; b?: string }>;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: object }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: object; example?: unknown }> };
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
}

const API_KEY = 'test-api-key-0123456789';
const document = openApiDocument() as Document;
let resolved: Document; // the document with every $ref replaced by its target
let app: express.Express;
let appUrl: string;
let docsUrl: string;
const servers: Server[] = [];

beforeAll(async () => {
  resolved = (await SwaggerParser.dereference(structuredClone(document) as never)) as unknown as Document;
  // A lazy connection to a port where nothing listens: nothing here may reach Temporal.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) });
  app = createApp({
    client,
    db: await openDatabase({ inMemory: true }),
    taskQueue: 'unused',
    config: { apiKeys: [{ merchantId: 'default', key: API_KEY }], webhook: { privateKey: 'test-zuz-private-key', maxAgeMs: 60_000 } },
    log: pino({ level: 'silent' }),
  });
  appUrl = await listen(app);
  docsUrl = await listen(docsApp());
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** The docs router as createApp mounts it: behind the same nosniff header, before a JSON 404. */
function docsApp(): express.Express {
  const bare = express();
  bare.use((_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });
  bare.use(docsRouter());
  bare.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'No such route' } });
  });
  return bare;
}

async function listen(handler: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = handler.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Array<{ handle: { name: string } }> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/** "METHOD /path/{param}" for every route of an express app, mounted routers included. */
function routesOf(handler: express.Express): string[] {
  const walk = (stack: Layer[], prefix: string): string[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        // The 405 answers for other methods on known paths are not routes of their own.
        if (layer.route.stack.every((handler) => handler.handle.name === 'methodNotAllowed')) return [];
        const { path, methods } = layer.route as { path: string; methods: Record<string, boolean> };
        return Object.keys(methods)
          .filter((m) => methods[m])
          .map((m) => `${m.toUpperCase()} ${openApiPath(prefix + path)}`);
      }
      if (!layer.handle.stack) return []; // plain middleware: auth, body parsers, static files
      if (typeof layer.rawPath !== 'string') throw new Error("Cannot read a mounted router's path: has express's router changed?");
      return walk(layer.handle.stack, prefix + layer.rawPath);
    });
  return walk((handler as unknown as { router: { stack: Layer[] } }).router.stack, '');
}

const openApiPath = (path: string) =>
  '/' +
  path
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment))
    .join('/');

const documentedRoutes = () =>
  Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
const operation = (method: string, path: string) => resolved.paths[path][method];
const jsonSchema = (content?: Record<string, { schema: object }>) => content?.['application/json']?.schema ?? fail('no JSON schema');
const fail = (message: string): never => {
  throw new Error(message);
};

describe('the document', () => {
  test('is valid OpenAPI 3.1', async () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  test('is built once and cannot be changed by a caller', () => {
    expect(openApiDocument()).toBe(document);
    expect(Object.isFrozen(document.paths['/v1/transactions'])).toBe(true);
  });

  test('documents every route the app has, and no route it lacks', () => {
    // Before docsRouter is wired into createApp its routes come from the bare app; after, from both.
    // GET /docs/<file> are the page's own assets, not API routes.
    const appRoutes = new Set([...routesOf(app), ...routesOf(docsApp())].filter((route) => !route.startsWith('GET /docs/')));
    expect(appRoutes).toContain('POST /v1/transactions/{id}/capture'); // the walk really reaches mounted routers
    expect(new Set(documentedRoutes())).toEqual(appRoutes);
  });

  test.each([
    ['post', '/v1/transactions', ['200', '201', '202', '400', '401', '409', '413', '429', '500', '503']],
    ['get', '/v1/transactions', ['200', '400', '401', '403', '429', '431', '500', '503']],
    ['get', '/v1/transactions/{id}', ['200', '400', '401', '404', '429', '500', '503']],
    ['post', '/v1/transactions/{id}/capture', ['200', '400', '401', '404', '409', '413', '429', '500', '503']],
    ['post', '/v1/transactions/{id}/cancel', ['200', '400', '401', '404', '409', '413', '429', '500', '503']],
    ['post', '/v1/transactions/{id}/refunds', ['200', '202', '400', '401', '403', '404', '409', '413', '429', '500', '503']],
    ['post', '/v1/merchants', ['201', '400', '401', '403', '409', '413', '429', '500']],
    ['post', '/v1/merchants/{merchantId}/keys', ['201', '400', '401', '403', '404', '413', '429', '500']],
    ['delete', '/v1/merchants/{merchantId}/keys/{keyId}', ['200', '400', '401', '403', '404', '429', '500']],
    ['get', '/v1/audit-events', ['200', '400', '401', '403', '429', '500']],
    ['get', '/v1/reports/settlement', ['200', '400', '401', '403', '404', '429', '500']],
    ['get', '/v1/operator/findings', ['200', '400', '401', '403', '429', '500']],
    ['post', '/v1/operator/findings/resolve', ['200', '400', '401', '403', '404', '413', '429', '500']],
    ['post', '/v1/operator/findings/redrive', ['202', '400', '401', '403', '404', '409', '413', '429', '500', '503']],
    ['post', '/webhooks/zuz', ['200', '400', '401', '413', '503']],
    ['get', '/healthz', ['200']],
    ['get', '/readyz', ['200', '503']],
    ['get', '/openapi.json', ['200']],
    ['get', '/docs', ['200']],
  ])('%s %s answers %j', (method, path, statuses) => {
    expect(Object.keys(operation(method, path).responses).sort()).toEqual(statuses);
  });

  test('the /v1 routes need the bearer key; webhooks, health and docs do not', () => {
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of documentedRoutes()) {
      const [method, path] = route.split(' ');
      expect([route, operation(method.toLowerCase(), path).security]).toEqual([
        route,
        path.startsWith('/v1/') ? [{ apiKey: [] }] : undefined,
      ]);
    }
  });

  test('the webhook names its event-type and signature headers, both required', () => {
    const headers = operation('post', '/webhooks/zuz').parameters?.filter((p) => p.in === 'header');
    expect(headers?.map((h) => [h.name, h.required])).toEqual([
      ['event-type', true],
      ['signature', true],
    ]);
  });

  test('its request examples are accepted by the zod schemas', () => {
    const examples: Array<[string, z.ZodType]> = [
      ['/v1/transactions', createTransactionSchema],
      ['/v1/transactions/{id}/capture', captureSchema],
    ];
    for (const [path, schema] of examples) {
      const example = operation('post', path).requestBody?.content['application/json'].example;
      expect(example).toBeDefined();
      expect(schema.safeParse(example).success).toBe(true);
    }
  });

  test('the status filter lists exactly the transaction statuses', () => {
    expect(listTransactionsQuery.shape.status.unwrap().options).toEqual(transactionStatusSchema.options);
  });
});

describe('the documented request schemas accept and refuse what zod does', () => {
  const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
  const agree = (documented: object, schema: z.ZodType, cases: Array<[unknown, boolean]>) => {
    const validate = ajv.compile(documented);
    for (const [value, valid] of cases) {
      // Both must give the expected answer, so a case that both get wrong fails too.
      expect([value, validate(value), schema.safeParse(value).success]).toEqual([value, valid, valid]);
    }
  };

  const valid = { transactionId: 'tx-1', customerId: 'cus_1', paymentMethodId: 'pm_1', amount: 100, currency: 'EUR' };
  const { transactionId: _omitted, ...withoutId } = valid;

  test('POST /v1/transactions', () => {
    agree(jsonSchema(operation('post', '/v1/transactions').requestBody?.content), createTransactionSchema, [
      [valid, true],
      [{ ...valid, capture: 'manual', description: 'table 4' }, true],
      [{ ...valid, transactionId: 'a.b_c:d-1' }, true],
      [{ ...valid, amount: 1_000_000_000_00 }, true],
      [withoutId, false],
      [{ ...valid, surprise: true }, false],
      [{ ...valid, capture: 'later' }, false],
      [{ ...valid, currency: 'XYZ' }, false],
      [{ ...valid, currency: 'eur' }, false],
      [{ ...valid, currency: 'EURO' }, false],
      [{ ...valid, amount: 0 }, false],
      [{ ...valid, amount: 10.5 }, false],
      [{ ...valid, amount: '100' }, false],
      [{ ...valid, amount: 1_000_000_000_01 }, false],
      [{ ...valid, transactionId: '' }, false],
      [{ ...valid, transactionId: 'x'.repeat(65) }, false],
      [{ ...valid, transactionId: 'has space' }, false],
      [{ ...valid, description: 'x'.repeat(201) }, false],
      [[], false],
    ]);
  });

  test('POST /v1/transactions/{id}/capture', () => {
    agree(jsonSchema(operation('post', '/v1/transactions/{id}/capture').requestBody?.content), captureSchema, [
      [{}, true],
      [{ amount: 500 }, true],
      [{ amount: 0 }, false],
      [{ amount: 1.5 }, false],
      [{ amount: '500' }, false],
      [{ amount: 500, note: 'x' }, false],
    ]);
  });

  test('GET /v1/transactions query parameters (as typed values)', () => {
    const parameters = operation('get', '/v1/transactions').parameters ?? [];
    const asObject = {
      type: 'object',
      properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
      required: parameters.filter((p) => p.required).map((p) => p.name),
    };
    agree(asObject, listTransactionsQuery, [
      [{}, true],
      [{ status: 'succeeded', customerId: 'cus_demo', limit: 100, cursor: 'abc_-09.xyz' }, true],
      [{ limit: 1 }, true],
      [{ status: 'done' }, false],
      [{ customerId: 'a b' }, false],
      [{ limit: 0 }, false],
      [{ limit: 101 }, false],
      [{ limit: 2.5 }, false],
      [{ cursor: 'a+b' }, false],
      [{ createdFrom: '2026-12-01T00:00:00Z', createdTo: '2026-12-02T00:00:00.000Z', minAmount: 1, maxAmount: 5, refunded: 'true' }, true],
      [{ createdFrom: 'yesterday' }, false],
      [{ minAmount: 0 }, false],
      [{ refunded: 'yes' }, false],
    ]);
  });

  test('POST /webhooks/zuz', () => {
    const event = {
      id: 'evt-1',
      created: '2026-01-01T00:00:00.000Z',
      account_id: 'acc',
      app_id: 'app',
      payment_id: 'pay-1',
      data: {
        id: 'auth-1',
        created: '2026-01-01T00:00:00.000Z',
        amount: 100,
        currency: 'EUR',
        reconciliation_id: 'tx-1',
        result: { status: 'Succeed' },
      },
    };
    agree(jsonSchema(operation('post', '/webhooks/zuz').requestBody?.content), zuzWebhookEvent, [
      [event, true],
      [{ ...event, extra: 'providers add fields' }, true],
      [{ ...event, payment_id: '' }, false],
      [{ ...event, data: { ...event.data, currency: 'EURO' } }, false],
      [{ ...event, data: { ...event.data, amount: -1 } }, false],
      [{ ...event, data: { ...event.data, result: { status: 'Maybe' } } }, false],
    ]);
  });
});

describe('the documented answers are what the app answers', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });

  /** The answer's status is documented for the route, and its body fits the documented schema and the zod one exactly. */
  async function expectDocumented(method: string, path: string, response: Response, schema: z.ZodType) {
    const body = await response.json();
    const documented = operation(method, path).responses[String(response.status)];
    expect(documented).toBeDefined();
    const validate = ajv.compile(jsonSchema(documented.content));
    expect([validate(body), validate.errors]).toEqual([true, null]);
    expect(schema.parse(body)).toEqual(body); // zod drops unknown keys: an undocumented field would show here
  }

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(appUrl + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  test('401 without a key, with the documented www-authenticate header', async () => {
    const response = await post('/v1/transactions', '{}');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    await expectDocumented('post', '/v1/transactions', response, errorBodySchema);
  });

  test('400 naming each wrong field', async () => {
    const response = await post('/v1/transactions', JSON.stringify({ amount: -1 }), { authorization: `Bearer ${API_KEY}` });
    expect(response.status).toBe(400);
    await expectDocumented('post', '/v1/transactions', response, errorBodySchema);
  });

  test('413 for a body over the limit', async () => {
    const response = await post('/v1/transactions/tx-1/cancel', JSON.stringify({ pad: 'x'.repeat(20_000) }), {
      authorization: `Bearer ${API_KEY}`,
    });
    expect(response.status).toBe(413);
    await expectDocumented('post', '/v1/transactions/{id}/cancel', response, errorBodySchema);
  });

  test('400 for an invalid id on cancel', async () => {
    const response = await post('/v1/transactions/has%20space/cancel', '', { authorization: `Bearer ${API_KEY}` });
    expect(response.status).toBe(400);
    await expectDocumented('post', '/v1/transactions/{id}/cancel', response, errorBodySchema);
  });

  test('webhook: 401 for a bad signature', async () => {
    const event = {
      id: 'e',
      created: new Date().toISOString(),
      account_id: 'a',
      app_id: 'b',
      payment_id: 'p',
      data: { id: 'x', created: 'now', amount: 1, currency: 'EUR', result: { status: 'Succeed' } },
    };
    const response = await post('/webhooks/zuz', JSON.stringify(event), {
      'event-type': 'payment.authorization.update',
      signature: 'sig1=00',
    });
    expect(response.status).toBe(401);
    await expectDocumented('post', '/webhooks/zuz', response, errorBodySchema);
  });

  test('healthz', async () => {
    const response = await fetch(appUrl + '/healthz');
    expect(response.status).toBe(200);
    await expectDocumented('get', '/healthz', response, healthSchema);
  });

  test('readyz: 503 while Temporal cannot be reached', async () => {
    const response = await fetch(appUrl + '/readyz');
    expect(response.status).toBe(503);
    await expectDocumented('get', '/readyz', response, readinessSchema);
  });

  test('metrics are not on the public port, so not in the document (they have their own listener)', async () => {
    expect((await fetch(appUrl + '/metrics')).status).toBe(404);
    expect(document.paths['/metrics']).toBeUndefined();
  });
});

describe('the docs routes', () => {
  test('GET /openapi.json answers the document as JSON', async () => {
    const response = await fetch(docsUrl + '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(document);
  });

  test('GET /docs answers an HTML page whose every script, style and icon is served with its type', async () => {
    const response = await fetch(docsUrl + '/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.filter((a) => a.endsWith('.js'))).toHaveLength(2);
    expect(assets.filter((a) => a.endsWith('.css'))).toHaveLength(1);
    const expectedType: Record<string, RegExp> = { js: /^(text|application)\/javascript/, css: /^text\/css/, png: /^image\/png/ };
    for (const asset of assets) {
      expect(asset).toMatch(/^\/[^/]/); // served here, never from another host
      const answer = await fetch(docsUrl + asset);
      const type = expectedType[asset.split('.').pop() ?? ''];
      expect([asset, answer.status, type.test(answer.headers.get('content-type') ?? '')]).toEqual([asset, 200, true]);
      expect((await answer.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  test('the page points Swagger UI at /openapi.json, with the online validator off', async () => {
    const page = await (await fetch(docsUrl + '/docs')).text();
    const initScript = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]).find((src) => !src.includes('swagger-ui-bundle'));
    const script = await (await fetch(docsUrl + initScript)).text();
    expect(script).toContain("url: '/openapi.json'");
    expect(script).toContain('validatorUrl: null');
  });

  test("the package's other files are not served", async () => {
    for (const file of ['index.html', 'swagger-initializer.js', 'package.json', '../express/package.json']) {
      expect([file, (await fetch(`${docsUrl}/docs/assets/${file}`)).status]).toEqual([file, 404]);
    }
  });
});
