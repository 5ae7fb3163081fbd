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

/** The Temporal SDK's own logs, through the same pino logger. */
export function temporalLogger(log: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    log[method](meta ?? {}, message);
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
