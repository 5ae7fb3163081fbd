/**
 * The transactions the bench sends: the flow's webhook path (a card Zuz answers `Pending`, then
 * approves by webhook; automatic capture of an amount Zuz captures at once), spread over many
 * customers as at a real till, so that risk screening reads a realistic history per customer.
 */
import { MOCK_CARDS } from '../../sandbox/simulators/cards';
import type { PmsSimulator } from '../../sandbox/simulators/pms';
import type { CaptureMode, TransactionRequest } from '../../src/transaction/model';

/** 50 or more: Zuz captures at once (sandbox/simulators/zuz/outcomes.ts). */
const AMOUNT = 1250;

export type CardKind = 'pending-approved' | 'approved';

const TEMPLATE: Record<CardKind, string> = { 'pending-approved': 'pm_pending_approved', approved: 'pm_approved' };

export class Workload {
  private next = 0;

  /** `tag` keeps this run's ids apart from any other run's on a shared database. */
  constructor(
    private readonly tag: string,
    private readonly customers: number,
  ) {}

  /** Gives each bench customer a payment method of each kind (the same mock cards as the seeded ones). */
  seed(pms: PmsSimulator): void {
    for (let c = 0; c < this.customers; c++) {
      for (const kind of Object.keys(TEMPLATE) as CardKind[]) {
        const { cardNumber: _card, ...template } = MOCK_CARDS.find((card) => card.paymentMethodId === TEMPLATE[kind])!;
        pms.addPaymentMethod({ ...template, paymentMethodId: this.paymentMethodId(kind, c), customerId: this.customerId(c) });
      }
    }
  }

  transaction(kind: CardKind = 'pending-approved', capture: CaptureMode = 'auto', label = 'flow'): TransactionRequest {
    const n = this.next++;
    const c = n % this.customers;
    return {
      transactionId: `bench-${this.tag}-${label}-${n}`,
      customerId: this.customerId(c),
      paymentMethodId: this.paymentMethodId(kind, c),
      amount: AMOUNT,
      currency: 'EUR',
      capture,
    };
  }

  /** A unique id stem for work that is not a transaction (the engine's workflows). */
  tagFor(label: string): string {
    return `${this.tag}-${label}`;
  }

  private customerId(c: number): string {
    return `cus_bench_${this.tag}_${c}`;
  }

  private paymentMethodId(kind: CardKind, c: number): string {
    return `pm_bench_${this.tag}_${kind}_${c}`;
  }
}
