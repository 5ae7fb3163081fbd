/** Structured JSON logs (pino). Secrets and card data are redacted by key, wherever they appear. */
import pino from 'pino';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';

export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'pos-payments' },
  redact: {
    paths: ['*.token', '*.provider_token', '*.card_number', '*.cardNumber', '*.credit_card_cvv', '*.privateKey', '*.apiKey', '*.authorization', '*["private-key"]'],
    censor: '[redacted]',
  },
});

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
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
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
