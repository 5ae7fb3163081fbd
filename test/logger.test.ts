/**
 * The log format: JSON lines unless LOG_FORMAT=pretty asks for pino-pretty's human-readable
 * lines (what `npm start` does on a terminal); pino-pretty is never loaded on the JSON path.
 */
import { Writable } from 'node:stream';
import { ConfigError } from '../src/shared/config';
import { createLogger, loadLogFormat } from '../src/shared/logger';
import { sandboxLogFormat } from '../sandbox/log-format';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const isJson = (line: string) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};

// Importing sandbox/log-format sets LOG_FORMAT (as `npm start` does): each test starts without it.
beforeEach(() => {
  delete process.env.LOG_FORMAT;
});

test('the default is one JSON object per line', () => {
  expect(loadLogFormat({})).toBe('json');
  const out = capture();
  createLogger({ level: 'info', destination: out.stream }).info(
    { component: 'worker', transactionId: 'tx-1', runId: 'run-1', card: { token: 'tok_secret' } },
    'Step authorize completed',
  );
  const lines = out.text().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({
    level: 30,
    msg: 'Step authorize completed',
    component: 'worker',
    transactionId: 'tx-1',
    runId: 'run-1',
    card: { token: '[redacted]' },
    service: 'pos-payments',
  });
});

test('secrets are redacted at any depth: in objects, arrays, child bindings and an error, never the values beside them', () => {
  const secrets = {
    token: 'tok_secret_1',
    providerToken: 'tok_provider_2',
    cardNumber: '4111111111111111',
    cvv: 'cvv_secret_10',
    privateKey: 'zuz_private_3',
    apiKey: 'api_key_4',
    authorization: 'Bearer bearer_5',
    paymentMethodToken: 'pm_token_6',
    childKey: 'child_private_7',
    errHeader: 'Bearer err_header_8',
    causeKey: 'cause_key_9',
  };
  const failure = Object.assign(new Error('Zuz answered 401'), {
    response: { status: 401, config: { headers: { Authorization: secrets.errHeader, 'x-request-id': 'req-visible' } } },
  });
  const cause = Object.assign(new Error('root cause'), { privateKey: secrets.causeKey });
  const out = capture();
  createLogger({ level: 'info', destination: out.stream })
    .child({ component: 'worker', zuz: { client: { credentials: { 'private-key': secrets.childKey, appId: 'app-visible' } } } })
    .error(
      {
        transactionId: 'tx-deep',
        request: {
          body: { source: { card: { card_number: secrets.cardNumber, credit_card_cvv: secrets.cvv, holder: 'holder-visible' } } },
        },
        attempts: [{ step: 'authorize', payload: [{ provider_token: secrets.providerToken }, { token: secrets.token }] }],
        headers: [[{ Authorization: secrets.authorization }]],
        config: { zuz: { auth: { privateKey: secrets.privateKey } }, pms: { nested: { deeper: { apiKey: secrets.apiKey } } } },
        activity: { input: { paymentMethod: { payment_method_token: secrets.paymentMethodToken, id: 'pm-visible' } } },
        err: Object.assign(failure, { cause, context: { attempt: { auth: { api_key: secrets.apiKey } } } }),
      },
      'Step authorize failed',
    );
  const line = out.text();
  for (const [name, secret] of Object.entries(secrets)) expect([name, line.includes(secret)]).toEqual([name, false]);
  for (const visible of ['tx-deep', 'holder-visible', 'pm-visible', 'app-visible', 'req-visible', 'Zuz answered 401', 'authorize']) {
    expect(line).toContain(visible);
  }
  const entry = JSON.parse(line) as Record<string, any>;
  expect(entry.request.body.source.card).toEqual({ card_number: '[redacted]', credit_card_cvv: '[redacted]', holder: 'holder-visible' });
  expect(entry.headers).toEqual([[{ Authorization: '[redacted]' }]]);
  expect(entry.err).toMatchObject({ type: 'Error', message: expect.stringContaining('Zuz answered 401'), stack: expect.any(String) });
  expect(entry.err.response.config.headers.Authorization).toBe('[redacted]');
  expect(entry.zuz.client.credentials['private-key']).toBe('[redacted]');
});

test('redaction survives cycles and cuts off what is nested too deep', () => {
  const cyclic: Record<string, unknown> = { name: 'cycle-visible', apiKey: 'cyclic_secret' };
  cyclic.self = cyclic;
  let deep: Record<string, unknown> = { token: 'deep_secret' };
  for (let i = 0; i < 50; i++) deep = { level: deep };
  const shared = { id: 'shared-visible' };
  const out = capture();
  createLogger({ level: 'info', destination: out.stream }).info({ cyclic, deep, pair: [shared, shared] }, 'edge cases');
  const entry = JSON.parse(out.text()) as Record<string, any>;
  expect(entry.cyclic).toEqual({ name: 'cycle-visible', apiKey: '[redacted]', self: '[Circular]' });
  expect(JSON.stringify(entry.deep)).not.toContain('deep_secret');
  expect(entry.pair).toEqual([shared, shared]); // the same object twice is not a cycle
  expect(cyclic.apiKey).toBe('cyclic_secret'); // the caller's objects are not changed
});

test('LOG_FORMAT=pretty writes one readable line per event, not JSON, still redacted', () => {
  expect(loadLogFormat({ LOG_FORMAT: 'pretty' })).toBe('pretty');
  const out = capture();
  createLogger({ format: 'pretty', level: 'info', destination: out.stream }).info(
    { component: 'worker', transactionId: 'tx-1', runId: 'run-1', card: { token: 'tok_secret' } },
    'Step authorize completed',
  );
  const lines = out.text().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(isJson(lines[0])).toBe(false);
  expect(lines[0]).toMatch(
    /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: worker \[tx-1\] Step authorize completed \{"card":\{"token":"\[redacted\]"\}\}$/,
  );
  expect(lines[0]).not.toContain('tok_secret');
});

test('a wrong LOG_FORMAT is a configuration error naming the variable', () => {
  expect(() => loadLogFormat({ LOG_FORMAT: 'yaml' })).toThrow(ConfigError);
  expect(() => loadLogFormat({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT: must be json or pretty/);
});

test('the JSON path never loads pino-pretty', () => {
  let loaded = false;
  jest.isolateModules(() => {
    jest.doMock('pino-pretty', () => {
      loaded = true;
      return jest.requireActual('pino-pretty');
    });
    const { createLogger: isolated } = jest.requireActual<typeof import('../src/shared/logger')>('../src/shared/logger');
    isolated({ format: 'json', destination: capture().stream }).info('hello');
    expect(loaded).toBe(false);
    isolated({ format: 'pretty', destination: capture().stream }).info('hello');
    expect(loaded).toBe(true); // control: the mock does see the pretty path load it
  });
});

test('npm start: pretty on a terminal, JSON when piped, an explicit LOG_FORMAT wins', () => {
  expect(sandboxLogFormat({}, true)).toBe('pretty');
  expect(sandboxLogFormat({}, false)).toBe('json');
  expect(sandboxLogFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
  expect(sandboxLogFormat({ LOG_FORMAT: '' }, true)).toBe('pretty');
});
