/**
 * The database schema as numbered migrations, applied in order and each exactly once (the
 * `schema_migrations` table says which have run). Append new migrations; never edit one that
 * has shipped. Migration 1 uses IF NOT EXISTS because databases made before migrations were
 * numbered already hold its tables.
 */
import { DEFAULT_MERCHANT_ID } from '../merchants/model';

/** The run id of a transaction recorded before runs were: some run acted for it, which one is unknown. */
export const LEGACY_RUN = 'run-recorded-before-binding';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'transactions and accounts',
    statements: [
      `CREATE TABLE IF NOT EXISTS accounts (
         customer_id text PRIMARY KEY,
         account_id  text NOT NULL UNIQUE,
         created_at  timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE IF NOT EXISTS transactions (
         transaction_id     text PRIMARY KEY,
         request_fingerprint text NOT NULL,
         customer_id        text NOT NULL,
         payment_method_id  text NOT NULL,
         amount             bigint NOT NULL CHECK (amount > 0),
         currency           char(3) NOT NULL,
         capture_mode       text NOT NULL,
         description        text,
         account_id         text,
         status             text NOT NULL,
         authorized_amount  bigint NOT NULL DEFAULT 0,
         captured_amount    bigint NOT NULL DEFAULT 0,
         zuz_payment_id     text,
         failure_code       text,
         failure_message    text,
         created_at         timestamptz NOT NULL DEFAULT now(),
         updated_at         timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE INDEX IF NOT EXISTS transactions_customer_idx ON transactions (customer_id, created_at DESC)`,
      `CREATE INDEX IF NOT EXISTS transactions_status_idx ON transactions (status, created_at DESC)`,
    ],
  },
  {
    version: 2,
    name: 'the record outlives the workflow',
    statements: [
      // The one workflow run allowed to act for the transaction (claimed by its first step).
      `ALTER TABLE transactions ADD COLUMN workflow_run_id text`,
      // Rows from before: a workflow did act for them, but which run is not known. Bound to a marker,
      // so that a repeat after Temporal has forgotten that run never starts a second one.
      `UPDATE transactions SET workflow_run_id = '${LEGACY_RUN}' WHERE workflow_run_id IS NULL`,
      `ALTER TABLE transactions ADD COLUMN zuz_authorization_id text`,
      `ALTER TABLE transactions ADD COLUMN zuz_capture_id text`,
      `ALTER TABLE transactions ADD COLUMN zuz_void_id text`,
      `ALTER TABLE transactions ADD COLUMN finalized_at timestamptz`,
      // Zuz events that arrived when no workflow could take them, kept for reconciliation.
      `CREATE TABLE zuz_late_events (
         event_id       text PRIMARY KEY,
         transaction_id text NOT NULL,
         payment_id     text NOT NULL,
         kind           text NOT NULL,
         operation_id   text NOT NULL,
         status         text NOT NULL,
         amount         bigint NOT NULL,
         received_at    timestamptz NOT NULL DEFAULT now(),
         reconciled_at  timestamptz,
         reconciliation text
       )`,
      `CREATE INDEX zuz_late_events_open_idx ON zuz_late_events (received_at) WHERE reconciled_at IS NULL`,
      `CREATE INDEX transactions_zuz_payment_idx ON transactions (zuz_payment_id)`,
    ],
  },
  {
    version: 3,
    name: 'reconciliation runs',
    statements: [
      // Money given back by reconciliation: the status stays what was published, the refund is a second fact.
      `ALTER TABLE transactions ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0`,
      `ALTER TABLE transactions ADD COLUMN zuz_refund_id text`,
      `CREATE TABLE reconciliation_runs (
         run_id        text PRIMARY KEY,
         started_at    timestamptz NOT NULL DEFAULT now(),
         finished_at   timestamptz,
         period_start  timestamptz NOT NULL,
         checked       integer NOT NULL DEFAULT 0
       )`,
      `CREATE TABLE reconciliation_discrepancies (
         run_id         text NOT NULL REFERENCES reconciliation_runs (run_id),
         transaction_id text NOT NULL,
         kind           text NOT NULL,
         detail         text NOT NULL,
         repair         text NOT NULL,
         outcome        text NOT NULL,
         found_at       timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (run_id, transaction_id, kind)
       )`,
    ],
  },
  {
    version: 4,
    name: 'how the release of held money ended',
    statements: [`ALTER TABLE transactions ADD COLUMN release_outcome text`],
  },
  {
    version: 5,
    name: 'merchants, and webhook replays',
    statements: [
      // Rows from before merchants belong to the default merchant, whose keys are bare ids (src/merchants/model.ts).
      `ALTER TABLE transactions ADD COLUMN merchant_id text NOT NULL DEFAULT '${DEFAULT_MERCHANT_ID}'`,
      `CREATE INDEX transactions_merchant_idx ON transactions (merchant_id, created_at DESC, transaction_id DESC)`,
      // Zuz events already handed to a workflow: a replay of one is acknowledged without a second signal.
      `CREATE TABLE zuz_delivered_events (
         event_id       text PRIMARY KEY,
         transaction_id text NOT NULL,
         delivered_at   timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
  {
    version: 6,
    name: 'refunds',
    statements: [
      `CREATE TABLE refunds (
         transaction_id      text NOT NULL,
         refund_id           text NOT NULL,
         request_fingerprint text NOT NULL,
         amount              bigint NOT NULL CHECK (amount > 0),
         reason              text NOT NULL,
         status              text NOT NULL,
         zuz_refund_id       text,
         failure_message     text,
         created_at          timestamptz NOT NULL DEFAULT now(),
         finalized_at        timestamptz,
         PRIMARY KEY (transaction_id, refund_id)
       )`,
    ],
  },
  {
    version: 7,
    name: 'refunds decided by the record for ever; what the reconciliation follows',
    statements: [
      // Set just before the refund is first asked of Zuz: a pending refund without it was never
      // sent, so starting it again is safe; one with it is never sent again (src/refund/routes.ts).
      `ALTER TABLE refunds ADD COLUMN asked_zuz_at timestamptz`,
      // Refunds from before may have been sent: they count as asked, so none is ever asked twice.
      `UPDATE refunds SET asked_zuz_at = created_at`,
      `CREATE INDEX refunds_pending_idx ON refunds (transaction_id) WHERE status = 'pending'`,
      // A transaction whose last check left something open (a refund or a release still pending at Zuz): checked again.
      `ALTER TABLE transactions ADD COLUMN reconcile_again boolean NOT NULL DEFAULT false`,
      `CREATE INDEX transactions_reconcile_again_idx ON transactions (transaction_id) WHERE reconcile_again`,
      // The reconciliation's period is by last change (a transaction finalized days after it was accepted is checked too).
      `CREATE INDEX transactions_updated_idx ON transactions (updated_at)`,
      // What a finding is about within its transaction (a refund's id), so two refunds' findings in one run are two rows.
      `ALTER TABLE reconciliation_discrepancies ADD COLUMN subject text NOT NULL DEFAULT ''`,
      `ALTER TABLE reconciliation_discrepancies DROP CONSTRAINT reconciliation_discrepancies_pkey`,
      `ALTER TABLE reconciliation_discrepancies ADD PRIMARY KEY (run_id, transaction_id, kind, subject)`,
    ],
  },
  {
    version: 8,
    name: "an index for every filter of a merchant's transaction list",
    statements: [
      // Whether a refund of the transaction has succeeded, kept by the database itself as refunds are
      // recorded and decided: the list's `refunded` filter reads it from an index instead of asking
      // the refunds of every row the merchant has.
      `ALTER TABLE transactions ADD COLUMN refund_succeeded boolean NOT NULL DEFAULT false`,
      `UPDATE transactions SET refund_succeeded = true
        WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.transaction_id = transactions.transaction_id AND r.status = 'succeeded')`,
      `CREATE FUNCTION transactions_follow_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE transactions t
            SET refund_succeeded = EXISTS (SELECT 1 FROM refunds r WHERE r.transaction_id = NEW.transaction_id AND r.status = 'succeeded')
          WHERE t.transaction_id = NEW.transaction_id
            AND t.refund_succeeded IS DISTINCT FROM EXISTS (
                  SELECT 1 FROM refunds r WHERE r.transaction_id = NEW.transaction_id AND r.status = 'succeeded');
         RETURN NULL;
       END
       $$`,
      `CREATE TRIGGER refunds_follow_success AFTER INSERT OR UPDATE OF status ON refunds
         FOR EACH ROW EXECUTE FUNCTION transactions_follow_refunds()`,
      // Each filter within one merchant, in the list's order (newest first, ties by key), so a page is read from the index's head.
      `CREATE INDEX transactions_merchant_customer_idx ON transactions (merchant_id, customer_id, created_at DESC, transaction_id DESC)`,
      `CREATE INDEX transactions_merchant_status_idx ON transactions (merchant_id, status, created_at DESC, transaction_id DESC)
         WHERE finalized_at IS NOT NULL`,
      `CREATE INDEX transactions_merchant_refunded_idx ON transactions (merchant_id, created_at DESC, transaction_id DESC)
         WHERE refund_succeeded`,
      `CREATE INDEX transactions_merchant_not_refunded_idx ON transactions (merchant_id, created_at DESC, transaction_id DESC)
         WHERE NOT refund_succeeded`,
      // An amount bound: the rows in range are found by amount, then sorted (a page of an empty range reads nothing).
      `CREATE INDEX transactions_merchant_amount_idx ON transactions (merchant_id, amount)`,
    ],
  },
  {
    version: 9,
    name: 'merchants and their API keys, managed at run time; an append-only audit trail',
    statements: [
      `CREATE TABLE merchants (
         merchant_id text PRIMARY KEY,
         name        text NOT NULL,
         time_zone   text NOT NULL DEFAULT 'UTC',
         created_at  timestamptz NOT NULL DEFAULT now()
       )`,
      // A key is stored as its SHA-256 only; its prefix (pos_live_ab12cd34) names it in lists and logs.
      `CREATE TABLE api_keys (
         key_id       text PRIMARY KEY,
         prefix       text NOT NULL UNIQUE,
         key_hash     bytea NOT NULL UNIQUE,
         merchant_id  text REFERENCES merchants (merchant_id),
         role         text NOT NULL CHECK (role IN ('till', 'back-office', 'operator')),
         created_at   timestamptz NOT NULL DEFAULT now(),
         created_by   text NOT NULL,
         last_used_at timestamptz,
         revoked_at   timestamptz,
         CHECK ((role = 'operator') = (merchant_id IS NULL))
       )`,
      `CREATE TABLE audit_events (
         id          bigserial PRIMARY KEY,
         at          timestamptz NOT NULL DEFAULT now(),
         key_prefix  text NOT NULL,
         role        text NOT NULL,
         merchant_id text,
         action      text NOT NULL,
         subject     text,
         request_id  text NOT NULL,
         outcome     integer NOT NULL
       )`,
      `CREATE INDEX audit_events_merchant_idx ON audit_events (merchant_id, id)`,
      // Appended, never changed: the service's own role loses UPDATE, DELETE and TRUNCATE on the table
      // (an owner would have to grant them back to itself), and a trigger refuses them for anyone, superusers too.
      `CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
       END
       $$`,
      `CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
         FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`,
      `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
         FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`,
      `REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC, CURRENT_USER`,
    ],
  },
  {
    version: 10,
    name: "merchants' webhook endpoints, the events outbox and every delivery attempt",
    statements: [
      // A merchant's receiver: events null means every type. The previous secret still signs until its expiry (rotation).
      `CREATE TABLE webhook_endpoints (
         id                         text PRIMARY KEY,
         merchant_id                text NOT NULL,
         url                        text NOT NULL,
         events                     text[],
         secret                     text NOT NULL,
         previous_secret            text,
         previous_secret_expires_at timestamptz,
         created_at                 timestamptz NOT NULL DEFAULT now(),
         disabled_at                timestamptz,
         disabled_reason            text
       )`,
      `CREATE INDEX webhook_endpoints_merchant_idx ON webhook_endpoints (merchant_id, created_at)`,
      // The outbox: written in the same statement (or database transaction) as the status it tells of.
      // The id is stable (a hash of subject, type and status), so a repeat of the write adds nothing.
      `CREATE TABLE merchant_events (
         id              text PRIMARY KEY,
         merchant_id     text NOT NULL,
         type            text NOT NULL,
         transaction_key text NOT NULL,
         sequence        integer NOT NULL,
         data            jsonb NOT NULL,
         request_id      text,
         created_at      timestamptz NOT NULL DEFAULT now(),
         dispatched_at   timestamptz,
         redeliveries    integer NOT NULL DEFAULT 0
       )`,
      `CREATE INDEX merchant_events_merchant_idx ON merchant_events (merchant_id, created_at DESC, id DESC)`,
      `CREATE INDEX merchant_events_undispatched_idx ON merchant_events (created_at) WHERE dispatched_at IS NULL`,
      `CREATE INDEX merchant_events_transaction_idx ON merchant_events (transaction_key, sequence)`,
      // Where each event stands at each endpoint, and every attempt (time, answer or error, duration).
      `CREATE TABLE webhook_deliveries (
         endpoint_id  text NOT NULL,
         event_id     text NOT NULL,
         status       text NOT NULL,
         updated_at   timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (endpoint_id, event_id)
       )`,
      `CREATE TABLE webhook_attempts (
         id           bigserial PRIMARY KEY,
         endpoint_id  text NOT NULL,
         event_id     text NOT NULL,
         attempted_at timestamptz NOT NULL DEFAULT now(),
         status_code  integer,
         error        text,
         duration_ms  integer NOT NULL
       )`,
      `CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id DESC)`,
    ],
  },
  {
    version: 11,
    name: "operators' resolutions of the reconciliation's findings",
    statements: [
      // A finding an operator settled by hand (with the reason): the runs neither repair nor report it again.
      `CREATE TABLE discrepancy_resolutions (
         transaction_id text NOT NULL,
         kind           text NOT NULL,
         subject        text NOT NULL DEFAULT '',
         resolved_at    timestamptz NOT NULL DEFAULT now(),
         resolved_by    text NOT NULL,
         reason         text NOT NULL,
         PRIMARY KEY (transaction_id, kind, subject)
       )`,
    ],
  },
  {
    version: 12,
    name: 'the request behind each transaction and refund; the reconciliation releasing a hold, asked and told',
    statements: [
      // The API request that started the transaction (or asked for the refund): its events carry it (docs/merchant-events.md).
      `ALTER TABLE transactions ADD COLUMN request_id text`,
      `ALTER TABLE refunds ADD COLUMN request_id text`,
      // A void the reconciliation asked of Zuz for a forgotten hold, noted before it is sent, and the void that
      // released the hold once Zuz shows it (written with its authorization.released event): a void whose answer
      // was lost, or that was pending, is told when a later look finds it through.
      `ALTER TABLE transactions ADD COLUMN reconciliation_void_asked_at timestamptz`,
      `ALTER TABLE transactions ADD COLUMN reconciliation_void_id text`,
    ],
  },
];
