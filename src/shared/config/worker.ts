/** The worker: its operations side, its tuning, the flow's waits, risk limits. */
import { z } from 'zod';
import type { Duration } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import { parse, port, nonEmpty, positiveInt, hostPort, duration, type Env } from './env';
import { taskQueueVariable } from './temporal';

const riskSchema = z.object({
  RISK_MAX_TRANSACTIONS_PER_HOUR: positiveInt.default(30),
  RISK_MAX_AMOUNT_PER_DAY: positiveInt.default(1_000_000),
});

/** Risk screening limits per customer (amounts in minor units). */
export function loadRiskLimits(env: Env = process.env) {
  const c = parse(riskSchema, env);
  return { maxTransactionsPerHour: c.RISK_MAX_TRANSACTIONS_PER_HOUR, maxAmountPerDay: c.RISK_MAX_AMOUNT_PER_DAY };
}

const workerOpsSchema = z.object({
  WORKER_METRICS_ADDRESS: hostPort.default('127.0.0.1:9464'),
  WORKER_HEALTH_HOST: nonEmpty.default('127.0.0.1'),
  WORKER_HEALTH_PORT: port.default(8081),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must be >= 0')
    .default(10),
});

/** The worker's operations side: Prometheus metrics (the SDK's endpoint), health checks, graceful shutdown. */
export function loadWorkerOpsConfig(env: Env = process.env) {
  const c = parse(workerOpsSchema, env);
  return {
    metricsAddress: c.WORKER_METRICS_ADDRESS,
    health: { host: c.WORKER_HEALTH_HOST, port: c.WORKER_HEALTH_PORT },
    shutdownGraceSeconds: c.WORKER_SHUTDOWN_GRACE_SECONDS,
  };
}

const atLeastTwo = positiveInt.min(2, 'must be >= 2');

const workerTuningSchema = z.object({
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: atLeastTwo.optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.optional(),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: positiveInt.optional(),
  WORKER_WORKFLOW_TASK_POLLERS: atLeastTwo.optional(),
  WORKER_ACTIVITY_TASK_POLLERS: positiveInt.optional(),
  // Bounded, so that transactions waiting days for a manual capture do not fill the worker's
  // memory (docs/BENCHMARKS.md: the SDK's heap-sized default let RSS grow 5x to 10,000 waiting;
  // 100 kept it within 8 % with no measurable cost). A cache miss costs one replay of a history.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be >= 0').default(100),
});

export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'maxCachedWorkflows'
>;

/**
 * The worker's capacity: task slots, pollers and the sticky cache. Unset slots and pollers keep
 * the SDK's defaults (40 workflow tasks, 100 activities, 100 local activities, 10 + 10 pollers),
 * which docs/BENCHMARKS.md found as good as anything tried here; the cache defaults to 100.
 */
export function loadWorkerTuning(env: Env = process.env): WorkerTuning {
  const c = parse(workerTuningSchema, env);
  const tuning: WorkerTuning = {
    maxConcurrentWorkflowTaskExecutions: c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: c.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: c.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxConcurrentWorkflowTaskPolls: c.WORKER_WORKFLOW_TASK_POLLERS,
    maxConcurrentActivityTaskPolls: c.WORKER_ACTIVITY_TASK_POLLERS,
    maxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
  };
  return Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
}

const flowSchema = z.object({
  FLOW_WEBHOOK_GRACE_PERIOD: duration.optional(),
  FLOW_POLL_INITIAL_INTERVAL: duration.optional(),
  FLOW_POLL_MAX_INTERVAL: duration.optional(),
  FLOW_AUTHORIZATION_DEADLINE: duration.optional(),
  FLOW_CAPTURE_DEADLINE: duration.optional(),
  FLOW_AUTHORIZATION_EXPIRY: duration.optional(),
  FLOW_REFUND_DEADLINE: duration.optional(),
});

/**
 * Overrides of the flow's waits for the transactions this API starts (each transaction keeps
 * the values it started with). Unset: the production defaults in src/workflows/options.ts.
 */
export function loadFlowOverrides(env: Env = process.env) {
  const c = parse(flowSchema, env);
  const overrides = {
    webhookGracePeriod: c.FLOW_WEBHOOK_GRACE_PERIOD,
    pollInitialInterval: c.FLOW_POLL_INITIAL_INTERVAL,
    pollMaxInterval: c.FLOW_POLL_MAX_INTERVAL,
    authorizationDeadline: c.FLOW_AUTHORIZATION_DEADLINE,
    captureDeadline: c.FLOW_CAPTURE_DEADLINE,
    authorizationExpiry: c.FLOW_AUTHORIZATION_EXPIRY,
    refundDeadline: c.FLOW_REFUND_DEADLINE,
  };
  const set = Object.entries(overrides).filter(([, v]) => v !== undefined);
  return set.length ? (Object.fromEntries(set) as Partial<Record<keyof typeof overrides, Duration>>) : undefined;
}

const merchantEventsSchema = z.object({
  TEMPORAL_TASK_QUEUE: taskQueueVariable,
  TEMPORAL_MERCHANT_EVENTS_TASK_QUEUE: nonEmpty.optional(),
  WORKER_MAX_CONCURRENT_DELIVERIES: positiveInt.default(50),
});

/**
 * The merchants' event deliveries run on a task queue of their own (default: the payments' queue
 * with `-merchant-events`), served by a worker of their own in the same process with its own
 * activity slots: a merchant endpoint that answers slowly or never holds a delivery slot for up
 * to its attempt's timeout, and a full set of them must not keep a payment's call to Zuz waiting.
 */
export function loadMerchantEventsWorkerConfig(env: Env = process.env) {
  // The SDK allows one worker per task queue in a process, and sharing would defeat the point.
  const c = parse(
    merchantEventsSchema.refine((v) => v.TEMPORAL_MERCHANT_EVENTS_TASK_QUEUE !== v.TEMPORAL_TASK_QUEUE, {
      path: ['TEMPORAL_MERCHANT_EVENTS_TASK_QUEUE'],
      message: "must differ from TEMPORAL_TASK_QUEUE (the deliveries' own queue, so that they never hold the payments' slots)",
    }),
    env,
  );
  return {
    taskQueue: c.TEMPORAL_MERCHANT_EVENTS_TASK_QUEUE ?? `${c.TEMPORAL_TASK_QUEUE}-merchant-events`,
    maxConcurrentDeliveries: c.WORKER_MAX_CONCURRENT_DELIVERIES,
  };
}
