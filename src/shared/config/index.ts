/**
 * Configuration from environment variables, one file per concern (the process or adapter that
 * reads it); this index is the one place that lists them all, validated once at start. A bad value stops the
 * process with a message naming the variable and what is wrong, never a stack trace.
 */
export * from './env';
export * from './temporal';
export * from './payload-encryption';
export * from './database';
export * from './providers';
export * from './worker';
export * from './api';
export * from './production';
export { DEFAULT_MERCHANT_ID, type ApiKey } from '../../merchants/model';
