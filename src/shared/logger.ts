/**
 * The service's logger (pino): JSON lines by default (what production and the tests read), or
 * human-readable lines with LOG_FORMAT=pretty (pino-pretty; `npm start` on a terminal asks for
 * it). Secrets and card data are redacted by key at any depth, in either format.
 */
import pino from 'pino';
import { z } from 'zod';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { parse, type Env } from './config';

export type LogFormat = 'json' | 'pretty';

const formatSchema = z.object({
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).default('json'),
});

/** LOG_FORMAT: `json` (the default) or `pretty`; anything else stops the process with a ConfigError. */
export function loadLogFormat(env: Env = process.env): LogFormat {
  return parse(formatSchema, env).LOG_FORMAT;
}

export interface LoggerOptions {
  /** Default: LOG_FORMAT. */
  format?: LogFormat;
  /** Default: LOG_LEVEL, else `info`. */
  level?: string;
  /** Default: stdout. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: 'pos-payments' },
    // pino's own `redact` matches fixed paths (one wildcard level); secrets can sit at any depth.
    formatters: { log: redactSecrets, bindings: redactSecrets },
    // redactSecrets has already serialized `err` (pino's serializer would otherwise run after it, on the raw error).
    serializers: { err: (value: unknown) => value },
  };
  if ((options.format ?? loadLogFormat()) === 'pretty') return redactChildBindings(pino(settings, prettyStream(options.destination)));
  return redactChildBindings(options.destination ? pino(settings, options.destination) : pino(settings));
}

/** pino passes only the root's bindings through `formatters.bindings`; a child's (at any generation) are redacted here. */
function redactChildBindings(log: pino.Logger): pino.Logger {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with each descendant as `this`
  const child = log.child;
  // Children are created from their parent by prototype, so every descendant inherits this.
  log.child = function (this: pino.Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as pino.Logger['child'];
  return log;
}

/** Keys whose values never reach a log, compared lower case without `-` and `_` (so `cardNumber`, `card_number`, `private-key`...). */
const SECRET_KEYS = new Set([
  'token',
  'providertoken',
  'paymentmethodtoken',
  'cardnumber',
  'creditcardcvv',
  'cvv',
  'cvc',
  'privatekey',
  'apikey',
  'apikeys',
  'xapikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'secret',
]);
const CENSOR = '[redacted]';
/** Deeper than any object the service logs; past it a value is dropped rather than walked. */
const MAX_DEPTH = 10;

const isSecretKey = (key: string) => SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));

/**
 * A log object with every secret-named value replaced, at any depth (arrays included). It copies
 * only what it changes, so an object without secrets is logged as it came; cycles and objects
 * nested deeper than MAX_DEPTH are cut off. `err` is serialized first, as pino would.
 */
function redactSecrets(object: Record<string, unknown>): Record<string, unknown> {
  const input = object.err === undefined ? object : { ...object, err: pino.stdSerializers.err(object.err as Error) };
  return redact(input, 0, new Set()) as Record<string, unknown>;
}

function redact(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Date, Buffer, URL...: what JSON would write is what is checked.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redact(toJSON.call(value), depth + 1, ancestors);
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value as unknown[];
      let copy: unknown[] | undefined;
      items.forEach((item, index) => {
        const redacted = redact(item, depth + 1, ancestors);
        if (redacted !== item) (copy ??= [...items])[index] = redacted;
      });
      return copy ?? items;
    }
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const redacted = item !== undefined && isSecretKey(key) ? CENSOR : redact(item, depth + 1, ancestors);
      if (redacted !== item) (copy ??= { ...value })[key] = redacted;
    }
    return copy ?? value;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * One line per event for a person: time, level, component, transaction id, message, then the
 * remaining fields. It leaves out what only a machine needs (Temporal run ids, task queue,
 * namespace, host); LOG_FORMAT=json keeps everything.
 */
const PRETTY_IGNORED = [
  'pid',
  'hostname',
  'service',
  'component',
  'transactionId',
  'sdkComponent',
  'taskQueue',
  'namespace',
  'workflowId',
  'runId',
  'workflowRunId',
  'workflowType',
  'activityId',
  'activityType',
];

/**
 * pino-pretty as a synchronous stream in this process (no transport worker thread, so no line is
 * lost at exit). Required only here, so the JSON path never loads it.
 */
function prettyStream(destination?: pino.DestinationStream): pino.DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination: destination ?? 1,
    sync: true,
    ...(destination ? { colorize: false } : {}), // on stdout: colours when it is a colour terminal
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    messageFormat: '{if component}{component} {end}{if transactionId}[{transactionId}] {end}{msg}',
    ignore: PRETTY_IGNORED.join(','),
  });
}

export const logger = createLogger();

export type Logger = pino.Logger;

/**
 * The Temporal SDK's logs through the same pino logger. Workflow and activity logs carry the
 * transaction's ids (the SDK adds workflowId, runId, activityType); the SDK's own chatter about
 * its internals (bundling, worker state) is kept to warnings.
 */
export function temporalLogger(log: Logger): TemporalLogger {
  const levels = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50 } as const;
  const write = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const fromFlow = meta.sdkComponent === 'workflow' || meta.sdkComponent === 'activity';
    if (!fromFlow && levels[level] < levels.WARN) return;
    const workflowId = typeof meta.workflowId === 'string' ? meta.workflowId : undefined;
    const context = {
      ...meta,
      ...(workflowId?.startsWith('transaction-') ? { transactionId: workflowId.slice('transaction-'.length) } : {}),
      ...(typeof meta.activityType === 'string' ? { step: meta.activityType } : {}),
    };
    const method =
      level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    log[method](context, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
