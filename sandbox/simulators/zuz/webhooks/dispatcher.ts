/** Sends each event the way the current webhook fault for its payment says. */
import type { FaultBook } from '../faults';
import type { Cancel, Scheduler } from '../scheduler';
import type { OutgoingEvent } from './event';
import type { WebhookDeliverer } from './deliverer';

interface HeldEvents {
  events: OutgoingEvent[];
  cancelRelease?: Cancel;
}

export class WebhookDispatcher {
  private readonly held = new Map<string, HeldEvents>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly deliverer: WebhookDeliverer,
    private readonly faults: FaultBook,
    /** Whether the payment still has a Pending transaction (for 'reorder'). */
    private readonly hasPending: (paymentId: string) => boolean,
    /** No URL, no webhooks: the event is not even recorded. */
    private readonly currentUrl: () => string | undefined,
  ) {}

  /**
   * Hands the event over for delivery. The promise settles once the caller may answer its API
   * request: at once, except under 'before-response', where it waits for the first attempt.
   */
  emit(event: OutgoingEvent): Promise<void> {
    if (!this.currentUrl() || this.scheduler.isClosed) return Promise.resolve();
    const { mode, delayMs } = this.faults.webhookPolicy(event.paymentId);
    switch (mode) {
      case 'none':
        return Promise.resolve();
      case 'drop':
        this.deliverer.recordDropped(event);
        return Promise.resolve();
      case 'duplicate':
        void this.deliverer.deliver(event);
        void this.deliverer.deliver(event);
        return Promise.resolve();
      case 'delay':
        this.scheduler.afterRealDelay(delayMs, () => this.deliverer.deliver(event));
        return Promise.resolve();
      case 'reorder':
        this.hold(event, delayMs);
        return Promise.resolve();
      case 'before-response':
        return this.deliverer.deliver(event);
      case 'normal':
        void this.deliverer.deliver(event);
        return Promise.resolve();
    }
  }

  /** Forgets held events (the simulator is closing). */
  close(): void {
    for (const held of this.held.values()) held.cancelRelease?.();
    this.held.clear();
  }

  /**
   * Collects a payment's events while it still has a pending transaction and until
   * `quietMs` passes with no new event; then releases them newest first.
   */
  private hold(event: OutgoingEvent, quietMs: number): void {
    const held = this.held.get(event.paymentId) ?? { events: [] };
    this.held.set(event.paymentId, held);
    held.events.push(event);
    held.cancelRelease?.();
    held.cancelRelease = undefined;
    if (!this.hasPending(event.paymentId)) {
      held.cancelRelease = this.scheduler.afterRealDelay(quietMs, () => this.release(event.paymentId));
    }
  }

  private async release(paymentId: string): Promise<void> {
    const held = this.held.get(paymentId);
    this.held.delete(paymentId);
    // One after the other, so the receiver really sees the newest first.
    for (const event of [...(held?.events ?? [])].reverse()) await this.deliverer.deliver(event);
  }
}
