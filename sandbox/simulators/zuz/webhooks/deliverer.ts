/**
 * At-least-once delivery of one event: attempts with a timeout, retried with exponential
 * backoff until a 2xx or until the retry window (24 h, scaled) after the first attempt closes.
 * Every attempt is recorded.
 */
import type { Scheduler } from '../scheduler';
import { WEBHOOK_FIRST_BACKOFF_MS, WEBHOOK_MIN_TIMEOUT_REAL_MS, WEBHOOK_RETRY_WINDOW_MS, WEBHOOK_TIMEOUT_MS } from '../timing';
import type { OutgoingEvent } from './event';
import type { WebhookPoster } from './post';

export interface WebhookDelivery {
  eventId: string;
  eventType: string;
  paymentId: string;
  /** 1 for the first attempt of a delivery, then 2, 3, ... for its retries. */
  attempt: number;
  /** The receiver's HTTP status, when it answered. */
  statusCode?: number;
  /** The start of the receiver's answer body (what it made of the event). */
  answer?: string;
  /** Why there was no answer (connection error, timeout), or that the event was dropped by a fault. */
  error?: string;
  /** 'dropped' is the 'drop' fault: the provider believes it sent the event; nobody received it. */
  outcome: 'delivered' | 'failed' | 'dropped';
  /** When the attempt started (ISO 8601). */
  at: string;
}

export class WebhookDeliverer {
  private readonly log: WebhookDelivery[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly poster: WebhookPoster,
    private readonly currentUrl: () => string | undefined,
    /** Real milliseconds per attempt; unset: the provider's 5 s, scaled. */
    private readonly timeoutMs?: number,
  ) {}

  /** Starts delivering `event`; the promise settles after the first attempt (retries continue in the background). */
  deliver(event: OutgoingEvent): Promise<void> {
    return this.scheduler.track(this.attempt(event, 1, Date.now()));
  }

  recordDropped(event: OutgoingEvent): void {
    this.log.push({
      ...describe(event),
      attempt: 1,
      error: 'dropped by the webhooks fault',
      outcome: 'dropped',
      at: new Date().toISOString(),
    });
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((delivery) => ({ ...delivery }));
  }

  private async attempt(event: OutgoingEvent, attempt: number, firstAttemptAt: number): Promise<void> {
    const url = this.currentUrl();
    if (!url || this.scheduler.isClosed) return;
    const startedAt = new Date();
    const timeoutMs = this.timeoutMs ?? Math.max(WEBHOOK_MIN_TIMEOUT_REAL_MS, this.scheduler.scale(WEBHOOK_TIMEOUT_MS));
    const result = await this.poster.post(url, event.headers, JSON.stringify(event.body), timeoutMs);
    const delivered = 'statusCode' in result && result.statusCode >= 200 && result.statusCode < 300;
    this.log.push({ ...describe(event), attempt, ...result, outcome: delivered ? 'delivered' : 'failed', at: startedAt.toISOString() });
    if (delivered || this.scheduler.isClosed) return;
    this.scheduleRetry(event, attempt, firstAttemptAt);
  }

  private scheduleRetry(event: OutgoingEvent, attempt: number, firstAttemptAt: number): void {
    const backoffMs = this.scheduler.scale(WEBHOOK_FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    const windowCloses = firstAttemptAt + this.scheduler.scale(WEBHOOK_RETRY_WINDOW_MS);
    if (Date.now() + backoffMs > windowCloses) return; // the provider gives up on this event
    this.scheduler.afterRealDelay(backoffMs, () => this.attempt(event, attempt + 1, firstAttemptAt));
  }
}

function describe(event: OutgoingEvent): Pick<WebhookDelivery, 'eventId' | 'eventType' | 'paymentId'> {
  return { eventId: event.body.id, eventType: event.eventType, paymentId: event.paymentId };
}
