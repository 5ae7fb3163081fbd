/**
 * The log format: JSON lines unless LOG_FORMAT=pretty asks for pino-pretty's human-readable
 * lines (what `npm start` does on a terminal); pino-pretty is never loaded on the JSON path.
 */
import { Writable } from 'node:stream';
import { ConfigError } from '../src/config';
import { createLogger, loadLogFormat } from '../src/infrastructure/logger';
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
    const { createLogger: isolated } = jest.requireActual<typeof import('../src/infrastructure/logger')>('../src/infrastructure/logger');
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
