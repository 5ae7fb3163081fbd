/** Quiet logs in tests: warnings and errors only (set LOG_LEVEL=info to see everything). */
import { DefaultLogger, Runtime } from '@temporalio/worker';

process.env.LOG_LEVEL ??= 'warn';
// The Java time-skipping server must answer within the SDK's 5 s start limit even on a busy
// 2-core machine: the JVM's quick-start settings halve its start-up.
process.env.JAVA_TOOL_OPTIONS ??= '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
Runtime.install({ logger: new DefaultLogger(process.env.LOG_LEVEL === 'info' ? 'INFO' : 'WARN') });
