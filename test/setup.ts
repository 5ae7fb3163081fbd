/** Quiet logs in tests: warnings and errors only (set LOG_LEVEL=info to see everything). */
import { DefaultLogger, Runtime } from '@temporalio/worker';

process.env.LOG_LEVEL ??= 'warn';
Runtime.install({ logger: new DefaultLogger(process.env.LOG_LEVEL === 'info' ? 'INFO' : 'WARN') });
