/** The Zuz simulator's options and the resolved configuration its modules share. */

export type ZuzEnvironment = 'test' | 'live';

export interface ZuzSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  appId: string;
  privateKey: string;
  /** The `x-payments-os-env` every request must carry. Default 'test'. */
  environment?: ZuzEnvironment;
  /** Where webhooks go; none are sent until one is set. */
  webhookUrl?: string;
  /**
   * Multiplies every provider delay: pending resolutions (~10 s, 24 h), webhook timeouts and
   * retry backoff, the webhook retry window and the idempotency window. Default 1; tests use
   * e.g. 0.001. Injected faults (latencyMs, webhookDelayMs) are real milliseconds, not scaled.
   */
  timeScale?: number;
  /** `account_id` in webhook bodies. */
  accountId?: string;
  /**
   * How long one webhook attempt may take, in real milliseconds, instead of the scaled 5 s
   * (floor 200 ms). A benchmark that shortens the pending time keeps the real provider's
   * patience this way, rather than provoking a retry storm no real provider would cause.
   */
  webhookTimeoutMs?: number;
}

export interface ZuzConfig {
  appId: string;
  privateKey: string;
  environment: ZuzEnvironment;
  accountId: string;
  timeScale: number;
}

export const DEFAULT_ACCOUNT_ID = 'acc_zuz_simulator';

export function resolveConfig(options: ZuzSimulatorOptions): ZuzConfig {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  return {
    appId: options.appId,
    privateKey: options.privateKey,
    environment: options.environment ?? 'test',
    accountId: options.accountId ?? DEFAULT_ACCOUNT_ID,
    timeScale,
  };
}
