/**
 * Payload encryption (issue #18): Temporal's history and visibility hold none of a request's
 * values, read as the server stores them (a client without the codec); the same search on a stack
 * with encryption off finds them all (so the search can fail); a transaction started under one
 * key finishes under the next after a worker restart; the codec server decodes for the Web UI
 * and nobody else; and the codec refuses what it cannot vouch for.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import {
  assertSafeForProduction,
  ConfigError,
  loadApiConfig,
  loadPayloadEncryption,
  loadTemporalConfig,
  type Env,
} from '../src/shared/config';
import {
  customerPseudonym,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../src/shared/payload-codec';
import { connectClient, dataConverterOf } from '../src/shared/temporal';
import { startCodecServer } from '../src/api/codec-server';
import { logger } from '../src/shared/logger';
import { activityConfig, createTransactionWorker } from '../src/worker';
import { workflowLookup } from '../src/reconciliation/schedule';
import { isTerminal, workflowIdFor, type TransactionRequest, type TransactionView } from '../src/transaction/model';
import { captureUpdate, transactionQuery } from '../src/transaction/workflow/messages';
import type { LocalStack } from '../sandbox/local-stack';
import { newPayloadKeyEntry } from '../sandbox/payload-keys';
import { MOCK_CARDS } from '../sandbox/simulators/cards';
import { callApi, QUICK_FLOW, startTestStack } from './helpers/stack';
import { bundleWorkflows } from './helpers/temporal';
import { findInHistory, findRequestInHistory } from './helpers/history-payloads';

const utf8 = new TextEncoder();
const keyringOf = (entries: string) => loadPayloadEncryption({ PAYLOAD_ENCRYPTION_KEYS: entries })!.keyring;
const jsonPayload = (value: unknown): Payload => ({
  metadata: { encoding: utf8.encode('json/plain') },
  data: utf8.encode(JSON.stringify(value)),
});
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('the codec', () => {
  const k1 = newPayloadKeyEntry('k1');
  const k2 = newPayloadKeyEntry('k2');

  test('encrypts with the newest key, names it in the metadata, and decrypts to the very payload', async () => {
    const codec = new EncryptionCodec(keyringOf(`${k1},${k2}`));
    const original = jsonPayload({ customerId: 'cus_secret' });
    const [encrypted] = await codec.encode([original]);
    expect(text(encrypted.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted.metadata?.[KEY_ID_METADATA])).toBe('k2');
    expect(text(encrypted.data)).not.toContain('cus_secret');
    const [decrypted] = await codec.decode([encrypted]);
    expect(text(decrypted.data)).toBe(text(original.data));
    expect(text(decrypted.metadata?.encoding)).toBe('json/plain');
    // A payload written before encryption was on passes through unchanged.
    expect(await codec.decode([original])).toEqual([original]);
  });

  test('rotation: a keyring with a newer key still reads what the older key wrote; the older one cannot read the newer', async () => {
    const [old] = await new EncryptionCodec(keyringOf(k1)).encode([jsonPayload('before rotation')]);
    const rotated = new EncryptionCodec(keyringOf(`${k1},${k2}`));
    expect(text((await rotated.decode([old]))[0].data)).toBe('"before rotation"');
    const [fresh] = await rotated.encode([jsonPayload('after rotation')]);
    await expect(new EncryptionCodec(keyringOf(k1)).decode([fresh])).rejects.toThrow(
      /key id "k2", which is not configured \(PAYLOAD_ENCRYPTION_KEYS lists "k1"\)/,
    );
  });

  test('an altered payload is refused: data, key id, or the key behind an id', async () => {
    const codec = new EncryptionCodec(keyringOf(`${k1},${k2}`));
    const [encrypted] = await codec.encode([jsonPayload({ amount: 1250 })]);
    const flipped = Buffer.from(encrypted.data!);
    flipped[20] ^= 1;
    await expect(codec.decode([{ ...encrypted, data: flipped }])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...encrypted, data: flipped }])).rejects.toThrow(/key "k2" failed authentication/);
    // The key id is authenticated too: relabelling a payload as another configured key's fails.
    const relabelled = { ...encrypted, metadata: { ...encrypted.metadata, [KEY_ID_METADATA]: utf8.encode('k1') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key "k1" failed authentication/);
    const otherKeyUnderSameId = new EncryptionCodec(keyringOf(newPayloadKeyEntry('k2')));
    await expect(otherKeyUnderSameId.decode([encrypted])).rejects.toThrow(/failed authentication/);
    await expect(codec.decode([{ ...encrypted, data: Buffer.alloc(5) }])).rejects.toThrow(/truncated/);
  });

  test('a keyring shows its key ids, never its keys', () => {
    const keyring = keyringOf(`${k1},${k2}`);
    const material = [k1, k2].map((entry) => entry.split(':')[1]);
    const shown = JSON.stringify({ keyring }) + JSON.stringify(Object.entries(keyring));
    for (const key of material) expect(shown).not.toContain(key);
    expect(JSON.parse(JSON.stringify(keyring))).toEqual({ keyIds: ['k1', 'k2'], activeKeyId: 'k2' });
  });

  test('the CustomerId pseudonym is stable, keyed and scoped to the merchant', () => {
    const key = randomBytes(32);
    expect(customerPseudonym(key, 'acme', 'cus_1')).toBe(customerPseudonym(key, 'acme', 'cus_1'));
    expect(customerPseudonym(key, 'acme', 'cus_1')).toMatch(/^c1_[0-9a-f]{32}$/);
    expect(customerPseudonym(key, 'globex', 'cus_1')).not.toBe(customerPseudonym(key, 'acme', 'cus_1'));
    expect(customerPseudonym(randomBytes(32), 'acme', 'cus_1')).not.toBe(customerPseudonym(key, 'acme', 'cus_1'));
  });
});

describe('configuration', () => {
  const entry = newPayloadKeyEntry('k1');
  const secretOf = (e: string) => e.split(':')[1];
  const configError = (load: () => unknown): string => {
    try {
      load();
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    throw new Error('no ConfigError');
  };

  test.each([
    [
      'a key that is not 32 bytes',
      `k1:${Buffer.alloc(16).toString('base64')}`,
      /entry 1 \(key id "k1"\): the key must be 32 bytes in base64/,
    ],
    ['a key that is not base64', 'k1:not base64!', /entry 1 \(key id "k1"\): the key must be 32 bytes/],
    ['an entry without an id', secretOf(newPayloadKeyEntry('x')), /entry 1: must be keyId:base64-key/],
    ['an id listed twice', `${entry},${newPayloadKeyEntry('k1')}`, /entry 2: the key id "k1" is listed twice/],
  ])('PAYLOAD_ENCRYPTION_KEYS with %s is refused, naming the variable and the entry, showing no key', (_what, value, message) => {
    const error = configError(() => loadPayloadEncryption({ PAYLOAD_ENCRYPTION_KEYS: value }));
    expect(error).toMatch(/PAYLOAD_ENCRYPTION_KEYS: /);
    expect(error).toMatch(message);
    expect(error).toContain('(got "***")');
    for (const part of value.split(/[,:]/).filter((p) => p.length > 8)) expect(error).not.toContain(part);
  });

  test('PAYLOAD_ENCRYPTION=off runs in clear, and says so against keys set beside it', () => {
    expect(loadPayloadEncryption({ PAYLOAD_ENCRYPTION: 'off' })).toBeUndefined();
    expect(configError(() => loadPayloadEncryption({ PAYLOAD_ENCRYPTION: 'off', PAYLOAD_ENCRYPTION_KEYS: entry }))).toMatch(
      /PAYLOAD_ENCRYPTION: is off while PAYLOAD_ENCRYPTION_KEYS is set/,
    );
    expect(configError(() => loadPayloadEncryption({ PAYLOAD_ENCRYPTION: 'maybe' }))).toMatch(/PAYLOAD_ENCRYPTION: must be on or off/);
    expect(loadTemporalConfig({ PAYLOAD_ENCRYPTION_KEYS: entry }).payloadEncryption?.keyring.activeKeyId).toBe('k1');
  });

  test('production refuses to start without keys (naming the variable) unless told PAYLOAD_ENCRYPTION=off; POS_SANDBOX lifts it', () => {
    const production: Env = {
      API_KEYS: `m1:${'a'.repeat(40)}`,
      ZUZ_PRIVATE_KEY: 'z'.repeat(40),
      ZUZ_BASE_URL: 'https://zuz.example',
      ZUZ_ENV: 'live',
      PMS_API_KEY: 'p'.repeat(40),
      PMS_BASE_URL: 'https://pms.example',
      DATABASE_URL: 'postgres://pos@db.example/pos?sslmode=verify-full',
      // Issue 38: every transport says where its TLS is; cursors have their own key (test/config.test.ts).
      API_TLS_TERMINATED_BY: 'proxy',
      TEMPORAL_TLS: 'true',
      API_CURSOR_KEY: Buffer.alloc(32, 9).toString('base64'),
    };
    for (const entryPoint of ['api', 'worker'] as const) {
      expect(configError(() => assertSafeForProduction(entryPoint, production))).toMatch(/PAYLOAD_ENCRYPTION_KEYS: must be set/);
      expect(assertSafeForProduction(entryPoint, { ...production, PAYLOAD_ENCRYPTION_KEYS: entry })).toBe('checked');
      expect(assertSafeForProduction(entryPoint, { ...production, PAYLOAD_ENCRYPTION: 'off' })).toBe('checked');
      expect(assertSafeForProduction(entryPoint, { ...production, POS_SANDBOX: 'true' })).toBe('skipped');
    }
    // The codec server decrypts anything it is sent: in production it needs its token.
    const withCodec = { ...production, PAYLOAD_ENCRYPTION_KEYS: entry, CODEC_SERVER_ADDRESS: '127.0.0.1:8888' };
    expect(configError(() => assertSafeForProduction('api', withCodec))).toMatch(/CODEC_SERVER_TOKEN: must be set/);
    expect(configError(() => assertSafeForProduction('api', { ...withCodec, CODEC_SERVER_TOKEN: 'short-but-16-chars' }))).toMatch(
      /CODEC_SERVER_TOKEN: is shorter than 32 bytes/,
    );
    expect(assertSafeForProduction('api', { ...withCodec, CODEC_SERVER_TOKEN: 't'.repeat(32) })).toBe('checked');
  });

  test('with encryption on the API needs the pseudonym key; the codec server needs encryption', () => {
    const api: Env = { API_KEYS: 'k'.repeat(20), ZUZ_PRIVATE_KEY: 'zuz' };
    expect(configError(() => loadApiConfig({ ...api, PAYLOAD_ENCRYPTION_KEYS: entry }))).toMatch(/CUSTOMER_PSEUDONYM_KEY: is required/);
    expect(configError(() => loadApiConfig({ ...api, PAYLOAD_ENCRYPTION_KEYS: entry, CUSTOMER_PSEUDONYM_KEY: 'short' }))).toMatch(
      /CUSTOMER_PSEUDONYM_KEY: must be 32 bytes in base64 \(openssl rand -base64 32\) \(got "\*\*\*"\)/,
    );
    expect(configError(() => loadApiConfig({ ...api, CODEC_SERVER_ADDRESS: '127.0.0.1:0' }))).toMatch(
      /CODEC_SERVER_ADDRESS: the codec server needs PAYLOAD_ENCRYPTION_KEYS/,
    );
    expect(configError(() => loadApiConfig({ ...api, CODEC_SERVER_CORS_ORIGINS: 'localhost:8233' }))).toMatch(
      /CODEC_SERVER_CORS_ORIGINS: entry 1: must be an origin/,
    );
    // Without encryption the CustomerId search attribute stays the id itself (no pseudonym key needed).
    expect(loadApiConfig(api).customerPseudonymKey).toBeUndefined();
  });
});

// --- on the real dev server -------------------------------------------------------------------

type Stored = temporal.api.history.v1.IHistory;

/**
 * A request whose every value is distinctive, so that finding one anywhere means it leaked: its
 * own customer, with a payment method of its own at PMS that behaves like the seeded `like`.
 */
function distinctiveRequest(stack: LocalStack, like = 'pm_pending_approved') {
  const tag = randomBytes(6).toString('hex');
  const customerId = `cus_enc_${tag}`;
  const paymentMethodId = `pm_enc_${tag}`;
  const { cardNumber: _pan, ...seeded } = MOCK_CARDS.find((card) => card.paymentMethodId === like)!;
  stack.pms.addPaymentMethod({ ...seeded, customerId, paymentMethodId });
  return {
    transactionId: `enc-${tag}`,
    customerId,
    paymentMethodId,
    amount: 7654321, // in the TransactionAmount search attribute only (below)
    currency: 'CHF',
    capture: 'manual' as const,
    description: `till note ${tag}`,
  };
}

/**
 * Where a request's values are that the design leaves in clear (docs/encryption.md, "What stays in clear"):
 * the transaction id is the workflow id's tail (an identifier, not personal data), and the amount
 * is the TransactionAmount search attribute (an INT, indexed by the server for range filters).
 */
const ACCEPTED_IN_CLEAR: Record<string, RegExp> = {
  transactionId: /(workflowId|\(the history as JSON\)( near .*)?)$/,
  amount: /searchAttributes\.indexedFields\.TransactionAmount$/,
};

function leaks(found: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(found)
      .map(([field, paths]) => [field, paths.filter((path) => !ACCEPTED_IN_CLEAR[field]?.test(path))] as const)
      .filter(([, paths]) => paths.length > 0),
  );
}

async function createAndCancel(stack: LocalStack, request: ReturnType<typeof distinctiveRequest>) {
  expect((await callApi(stack, 'POST', '/v1/transactions', request)).status).toBe(202);
  await until(stack, request.transactionId, (view) => view.status === 'authorized');
  expect((await callApi(stack, 'POST', `/v1/transactions/${request.transactionId}/cancel`)).status).toBe(200);
  return until(stack, request.transactionId, (view) => isTerminal(view.status));
}

/** A payment method PMS does not know: its step fails with a message naming it (a failure message to hide). */
async function createUnknownMethod(stack: LocalStack, paymentMethodId: string) {
  const request = { ...distinctiveRequest(stack), paymentMethodId, capture: 'auto' as const };
  expect((await callApi(stack, 'POST', '/v1/transactions', request)).status).toBe(202);
  return until(stack, request.transactionId, (view) => isTerminal(view.status));
}

async function until(stack: LocalStack, id: string, done: (view: TransactionView) => boolean): Promise<TransactionView> {
  for (let i = 0; i < 600; i++) {
    const { status, body } = await callApi<TransactionView>(stack, 'GET', `/v1/transactions/${id}`);
    if (status === 200 && done(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} did not get there`);
}

/** The history and the visibility record as the server stores them: a client with no codec, raw gRPC answers. */
async function rawRecords(stack: LocalStack, transactionId: string): Promise<{ history: Stored; visibility: Stored }> {
  const raw = new Client({ connection: stack.client.connection, namespace: stack.client.options.namespace });
  const workflowId = workflowIdFor(transactionId);
  const history = await raw.workflow.getHandle(workflowId).fetchHistory();
  const described = await raw.workflowService.describeWorkflowExecution({ namespace: raw.options.namespace, execution: { workflowId } });
  const listed = await raw.workflowService.listWorkflowExecutions({
    namespace: raw.options.namespace,
    query: `WorkflowId = '${workflowId}'`,
  });
  // Visibility (memo, search attributes, summary) is searched with the same walk as the history.
  return { history, visibility: { events: [described, listed] } as unknown as Stored };
}

describe.each([
  ['on (the default)', {}],
  ['off (the control: the same search finds every value)', { PAYLOAD_ENCRYPTION: 'off' }],
])('encryption %s: what Temporal stores', (mode, env) => {
  const encrypted = mode.startsWith('on');
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startTestStack(`payloads-${encrypted ? 'on' : 'off'}`, { env, flowOptions: QUICK_FLOW });
  }, 240_000);
  afterAll(() => stack?.stop());

  test(`the raw history and visibility ${encrypted ? 'hold none' : 'hold every one'} of the request's values, Zuz's ids, the account, or a failure message`, async () => {
    const request = distinctiveRequest(stack);
    const view = await createAndCancel(stack, request);
    expect(view.status).toBe('cancelled');
    const unknownMethod = `pm_missing_${randomBytes(6).toString('hex')}`;
    const failed = await createUnknownMethod(stack, unknownMethod);
    expect(failed.failure?.code).toBe('payment_method_not_found');

    const { history, visibility } = await rawRecords(stack, request.transactionId);
    const found = { ...findRequestInHistory(history, request) };
    for (const [field, paths] of Object.entries(findRequestInHistory(visibility, request))) {
      found[field] = [...(found[field] ?? []), ...paths.map((p) => `visibility:${p}`)];
    }
    // What the flow learns (Zuz's payment and authorization ids, the customer's account) is a payload too.
    const learned = { zuzPaymentId: view.zuz.paymentId!, zuzAuthorizationId: view.zuz.authorizationId!, accountId: view.accountId! };
    for (const [field, value] of Object.entries(learned)) {
      expect(value).toBeTruthy();
      const paths = findInHistory(history, value);
      if (paths.length) found[field] = paths;
    }
    // A failed step's message names the payment method: it is a failure message, encoded with the payloads.
    const failedHistory = (await rawRecords(stack, failed.transactionId)).history;
    const inFailure = findInHistory(failedHistory, unknownMethod);
    if (inFailure.length) found.failureMessage = inFailure;

    if (encrypted) {
      expect(leaks(found)).toEqual({});
      // Not vacuous: the search does see the values the design leaves in clear, and the ciphertext is there.
      expect(found.transactionId?.length).toBeGreaterThan(0);
      expect(found.amount).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/workflowExecutionStartedEventAttributes\.searchAttributes\.indexedFields\.TransactionAmount$/),
        ]),
      );
      expect(JSON.stringify(findInHistory(history, ENCRYPTED_ENCODING))).toContain(
        'workflowExecutionStartedEventAttributes.input.payloads[0].metadata.encoding',
      );
    } else {
      // Every field of the request, what the flow learned, and the failure message: in clear.
      expect(Object.keys(found).sort()).toEqual([...Object.keys(request), ...Object.keys(learned), 'failureMessage'].sort());
    }
  }, 240_000);

  test('the API still lists, filters by customer and reads the transaction (memo and search attributes through the codec)', async () => {
    const request = distinctiveRequest(stack);
    expect((await callApi(stack, 'POST', '/v1/transactions', request)).status).toBe(202);
    await until(stack, request.transactionId, (view) => view.status === 'authorized');
    // A running status lists from visibility: the customer filter and the memo's fields.
    let listed: { transactions: Array<Record<string, unknown>> } = { transactions: [] };
    for (let i = 0; i < 100 && listed.transactions.length === 0; i++) {
      listed = (await callApi<typeof listed>(stack, 'GET', `/v1/transactions?status=authorized&customerId=${request.customerId}`)).body;
      if (listed.transactions.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.transactions).toEqual([
      expect.objectContaining({
        transactionId: request.transactionId,
        customerId: request.customerId,
        currency: 'CHF',
        amount: request.amount,
      }),
    ]);
    const read = await callApi<{ steps: Array<{ attempts?: number }> }>(stack, 'GET', `/v1/transactions/${request.transactionId}`);
    expect(read.body.steps.some((step) => step.attempts !== undefined)).toBe(true);
    await callApi(stack, 'POST', `/v1/transactions/${request.transactionId}/cancel`);
    // With encryption on, visibility's CustomerId is the keyed pseudonym, not the id.
    const { visibility } = await rawRecords(stack, request.transactionId);
    expect(findInHistory(visibility, request.customerId).length > 0).toBe(!encrypted);
    if (encrypted) {
      const pseudonym = customerPseudonym(Buffer.from(stack.env.CUSTOMER_PSEUDONYM_KEY!, 'base64'), 'default', request.customerId);
      expect(findInHistory(visibility, pseudonym).length).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe('key rotation and the codec server (encryption on)', () => {
  const k1 = newPayloadKeyEntry('rotation-1');
  const k2 = newPayloadKeyEntry('rotation-2');
  const UI_ORIGIN = 'http://ui.test:8233';
  let stack: LocalStack;

  beforeAll(async () => {
    // Step 1 of the rotation procedure (docs/encryption.md): every process learns the new key first, the old one still encrypting.
    stack = await startTestStack('rotation', {
      env: { PAYLOAD_ENCRYPTION_KEYS: `${k2},${k1}`, CODEC_SERVER_CORS_ORIGINS: UI_ORIGIN, CODEC_SERVER_ENCODE: 'on' },
      flowOptions: QUICK_FLOW,
    });
  }, 240_000);
  afterAll(() => stack?.stop());

  test('a transaction started under key 1 finishes under key 2 after a worker restart with both keys, the newest active', async () => {
    const configWith = (keys: string) => loadTemporalConfig({ TEMPORAL_ADDRESS: stack.temporalAddress, PAYLOAD_ENCRYPTION_KEYS: keys });
    const workflowBundle = await bundleWorkflows();
    const taskQueue = `rotation-${randomUUID()}`;
    const runWorker = async (keys: string) => {
      const config = configWith(keys);
      const connection = await NativeConnection.connect({ address: stack.temporalAddress });
      const client = await connectClient(config);
      const worker = await createTransactionWorker({
        connection,
        namespace: config.namespace,
        taskQueue,
        db: stack.db,
        ...activityConfig(stack.env),
        workflowOf: workflowLookup(client),
        workflowBundle,
        dataConverter: dataConverterOf(config),
      });
      const running = worker.run();
      return async () => {
        worker.shutdown();
        await running;
        await Promise.all([connection.close(), client.connection.close()]);
      };
    };
    const before = await connectClient(configWith(k1));
    const after = await connectClient(configWith(`${k1},${k2}`));
    try {
      const request: TransactionRequest = { ...distinctiveRequest(stack, 'pm_approved'), merchantId: 'default' };
      const workflowId = workflowIdFor(request.transactionId);

      const stopFirst = await runWorker(k1);
      const handle = await before.workflow.start('processTransaction', { workflowId, taskQueue, args: [{ request, options: QUICK_FLOW }] });
      for (let i = 0; (await handle.query(transactionQuery)).status !== 'authorized'; i++) {
        if (i > 300) throw new Error('never authorized');
        await new Promise((r) => setTimeout(r, 100));
      }
      await stopFirst();

      const stopSecond = await runWorker(`${k1},${k2}`); // a fresh worker: it replays the key-1 history first
      try {
        const captured = await after.workflow.getHandle(workflowId).executeUpdate(captureUpdate, { args: [{}] });
        expect(captured.status).not.toBe('authorized');
        expect((await after.workflow.getHandle(workflowId).result()) as TransactionView).toMatchObject({ status: 'succeeded' });
      } finally {
        await stopSecond();
      }

      // The history, raw: the start under key 1, the capture request and the result under key 2.
      const history = await handle.fetchHistory();
      const keyIds = keyIdsIn;
      const events = history.events ?? [];
      const started = events.find((e) => e.workflowExecutionStartedEventAttributes)!;
      const update = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!;
      const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes)!;
      expect(keyIds(started)).toEqual(['rotation-1']);
      expect(keyIds(update)).toEqual(['rotation-2']);
      expect(keyIds(completed)).toEqual(['rotation-2']);
      // Control: a reader that knows key 1 only cannot read the result any more.
      await expect(before.workflow.getHandle(workflowId).result()).rejects.toThrow(/key id "rotation-2", which is not configured/);
    } finally {
      await Promise.all([before.connection.close(), after.connection.close()]);
    }
  }, 240_000);

  describe('the codec server', () => {
    // The sandbox's codec server has a token too (issue 38): what the Web UI carries in its endpoint's path.
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${stack.codecEndpoint}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-namespace': 'default',
          authorization: `Bearer ${stack.codecToken}`,
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const wire = (payload: Payload) => ({
      metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    });

    test('decodes what the history holds (what the Web UI shows), and encodes with the active key', async () => {
      expect(stack.codecEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/codec$/);
      const request = distinctiveRequest(stack);
      expect((await callApi(stack, 'POST', '/v1/transactions', request)).status).toBe(202);
      const history = await stack.client.workflow.getHandle(workflowIdFor(request.transactionId)).fetchHistory();
      const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
      const decoded = await post('/decode', { payloads: [wire(input)] });
      expect(decoded.status).toBe(200);
      const [plain] = ((await decoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
      expect(Buffer.from(plain.metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(plain.data, 'base64').toString())).toMatchObject({ request: { customerId: request.customerId } });

      const encoded = await post('/encode', { payloads: [plain] });
      const [again] = ((await encoded.json()) as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
      expect(Buffer.from(again.metadata[KEY_ID_METADATA], 'base64').toString()).toBe('rotation-1'); // the stack's active key
      await callApi(stack, 'POST', `/v1/transactions/${request.transactionId}/cancel`);
    });

    test('CORS: the Web UI origin gets its preflight and its answers; any other origin is refused', async () => {
      const preflight = await fetch(`${stack.codecEndpoint}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: UI_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, x-namespace, authorization');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      const fromUi = await post('/decode', { payloads: [] }, { origin: UI_ORIGIN });
      expect(fromUi.status).toBe(200);
      expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);

      for (const method of ['OPTIONS', 'POST']) {
        const other = await fetch(`${stack.codecEndpoint}/decode`, {
          method,
          headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
          body: method === 'POST' ? JSON.stringify({ payloads: [] }) : undefined,
        });
        expect(other.status).toBe(403);
        expect(other.headers.get('access-control-allow-origin')).toBeNull();
      }
    });

    test('a bad body or an undecodable payload is a 400 naming the field, never a stack trace', async () => {
      const answers = [
        await post('/decode', { payloads: 'nope' }),
        await post('/decode', { payloads: [{ data: 'not base64 !' }] }),
        await post('/decode', '{"payloads": ['),
        await post('/decode', {
          payloads: [
            {
              metadata: {
                encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64'),
                [KEY_ID_METADATA]: Buffer.from('gone').toString('base64'),
              },
              data: 'AAAA',
            },
          ],
        }),
      ];
      const bodies = await Promise.all(
        answers.map(async (a) => ({
          status: a.status,
          body: (await a.json()) as { error: { code: string; message: string; details?: unknown } },
        })),
      );
      expect(bodies.map((b) => b.status)).toEqual([400, 400, 400, 400]);
      expect(bodies[0].body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'payloads' }] });
      expect(bodies[1].body.error.message).toMatch(/^payloads\.0\.data: must be a base64 string/);
      expect(bodies[2].body.error.code).toBe('invalid_json');
      expect(bodies[3].body.error).toMatchObject({ code: 'invalid_payload', details: [{ field: 'payloads.0' }] });
      expect(bodies[3].body.error.message).toMatch(/is encrypted with a key this server does not have/);
      expect(JSON.stringify(bodies[3].body)).not.toMatch(/gone|rotation-/); // no key id, asked or configured (issue 38)
      for (const { body } of bodies) expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
      expect((await fetch(`${stack.codecEndpoint}/decode`, { headers: { authorization: `Bearer ${stack.codecToken}` } })).status).toBe(405);
    });

    test('with a token configured, every call needs Authorization: Bearer <token> (401 without, or with another)', async () => {
      const token = randomBytes(24).toString('hex');
      const server = await startCodecServer({
        host: '127.0.0.1',
        port: 0,
        token,
        encode: false,
        allowedOrigins: [UI_ORIGIN],
        codec: stack.codec!,
        log: logger.child({ component: 'codec-server-test' }),
      });
      try {
        const call = (authorization?: string) =>
          fetch(`${server.endpoint}/decode`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            body: JSON.stringify({ payloads: [] }),
          });
        const missing = await call();
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toBe('Bearer');
        expect((await call(`Bearer ${token}x`)).status).toBe(401);
        expect((await call(`Basic ${token}`)).status).toBe(401);
        expect((await call(`Bearer ${token}`)).status).toBe(200);
        // The browser's preflight carries no credentials: it is answered, and the real call still needs the token.
        const preflight = await fetch(`${server.endpoint}/decode`, {
          method: 'OPTIONS',
          headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' },
        });
        expect(preflight.status).toBe(204);
      } finally {
        await server.close();
      }
    });
  });
});

/** The key ids of the encrypted payloads of one event. */
function keyIdsIn(event: temporal.api.history.v1.IHistoryEvent): string[] {
  const ids = new Set<string>();
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const metadata = (value as { metadata?: Record<string, Uint8Array> }).metadata;
    if (metadata?.[KEY_ID_METADATA] instanceof Uint8Array) ids.add(text(metadata[KEY_ID_METADATA]));
    Object.values(value).forEach(walk);
  };
  walk(event);
  return [...ids];
}
