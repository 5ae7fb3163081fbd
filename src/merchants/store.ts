/**
 * Merchants and their API keys, managed at run time by operators (src/merchants/routes.ts). A key is
 * stored as its SHA-256 only and shown once, when issued; its prefix (`pos_live_ab12cd34`) names
 * it in lists, logs and the audit trail. A revoked key stops working at once on every API process:
 * each request looks its key up here (by hash, one indexed read).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../shared/database';

/** What a key may do: a till sells, a back office also refunds and reads reports, an operator runs the service. */
export type Role = 'till' | 'back-office' | 'operator';
export type MerchantRole = Exclude<Role, 'operator'>;

export interface Merchant {
  merchantId: string;
  name: string;
  timeZone: string;
  createdAt: string;
}

export interface KeyListing {
  keyId: string;
  prefix: string;
  role: Role;
  merchantId?: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** A key that authenticated: who it speaks for. */
export interface StoredKey {
  keyId: string;
  prefix: string;
  role: Role;
  merchantId?: string;
}

/** How often one process writes a key's `last_used_at` (a write per request would double the API's statements). */
const LAST_USED_EVERY_MS = 60_000;

export class MerchantStore {
  private readonly touched = new Map<string, number>();

  /** `newKeyId`: the 8 hex digits of a new key's id and prefix (tests hand in their own to force a collision). */
  constructor(
    private readonly db: Database,
    private readonly newKeyId: () => string = () => randomBytes(4).toString('hex'),
  ) {}

  /** Creates the merchant; `exists` when the id is taken (nothing is changed). */
  async createMerchant(merchant: Omit<Merchant, 'createdAt'>): Promise<{ created: boolean; merchant: Merchant }> {
    const inserted = await this.db.query<MerchantRow>(
      `INSERT INTO merchants (merchant_id, name, time_zone) VALUES ($1, $2, $3) ON CONFLICT (merchant_id) DO NOTHING RETURNING *`,
      [merchant.merchantId, merchant.name, merchant.timeZone],
    );
    if (inserted.rows[0]) return { created: true, merchant: toMerchant(inserted.rows[0]) };
    return { created: false, merchant: (await this.merchant(merchant.merchantId))! };
  }

  async merchant(merchantId: string): Promise<Merchant | undefined> {
    const { rows } = await this.db.query<MerchantRow>(`SELECT * FROM merchants WHERE merchant_id = $1`, [merchantId]);
    return rows[0] && toMerchant(rows[0]);
  }

  async merchants(): Promise<Merchant[]> {
    const { rows } = await this.db.query<MerchantRow>(`SELECT * FROM merchants ORDER BY merchant_id`);
    return rows.map(toMerchant);
  }

  /** A new key for the merchant (or an operator key without one): the key itself is returned here only. */
  async issueKey(input: { merchantId?: string; role: Role; createdBy: string; live: boolean }): Promise<StoredKey & { key: string }> {
    // Ids are 32 random bits, short enough to read in a log: past some ten thousand keys one can
    // repeat, so a taken id is drawn again rather than answered with an error.
    for (let attempt = 1; ; attempt++) {
      const id = this.newKeyId();
      const prefix = `pos_${input.live ? 'live' : 'test'}_${id}`;
      const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
      const keyId = `key_${id}`;
      const { rows } = await this.db.query(
        `INSERT INTO api_keys (key_id, prefix, key_hash, merchant_id, role, created_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING key_id`,
        [keyId, prefix, keyHash(key), input.merchantId ?? null, input.role, input.createdBy],
      );
      if (rows.length > 0) return { keyId, prefix, role: input.role, ...(input.merchantId && { merchantId: input.merchantId }), key };
      if (attempt === 5) throw new Error('five key ids in a row were taken: the id space is nearly full');
    }
  }

  async keys(merchantId: string): Promise<KeyListing[]> {
    const { rows } = await this.db.query<KeyRow>(`SELECT * FROM api_keys WHERE merchant_id = $1 ORDER BY created_at, key_id`, [merchantId]);
    return rows.map((row) => ({
      keyId: row.key_id,
      prefix: row.prefix,
      role: row.role,
      ...(row.merchant_id && { merchantId: row.merchant_id }),
      createdAt: iso(row.created_at),
      ...(row.last_used_at && { lastUsedAt: iso(row.last_used_at) }),
      ...(row.revoked_at && { revokedAt: iso(row.revoked_at) }),
    }));
  }

  /** Revokes the merchant's key (a second revocation keeps the first time); undefined for a key the merchant does not have. */
  async revokeKey(merchantId: string, keyId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ revoked_at: Date }>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE merchant_id = $1 AND key_id = $2 RETURNING revoked_at`,
      [merchantId, keyId],
    );
    return rows[0] && iso(rows[0].revoked_at);
  }

  /** The live key with this SHA-256, if any (revoked keys authenticate nothing). */
  async findByHash(hash: Buffer): Promise<StoredKey | undefined> {
    const { rows } = await this.db.query<KeyRow>(`SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [hash]);
    const row = rows[0];
    if (!row) return undefined;
    this.noteUse(row.key_id);
    return { keyId: row.key_id, prefix: row.prefix, role: row.role, ...(row.merchant_id && { merchantId: row.merchant_id }) };
  }

  /** `last_used_at`, at most once a minute per key and process; a failed write only loses that figure. */
  private noteUse(keyId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(keyId) ?? 0) < LAST_USED_EVERY_MS) return;
    this.touched.set(keyId, now);
    this.db.query(`UPDATE api_keys SET last_used_at = now() WHERE key_id = $1`, [keyId]).catch(() => this.touched.delete(keyId));
  }
}

export function keyHash(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

interface MerchantRow {
  merchant_id: string;
  name: string;
  time_zone: string;
  created_at: Date;
}

interface KeyRow {
  key_id: string;
  prefix: string;
  merchant_id: string | null;
  role: Role;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toMerchant(row: MerchantRow): Merchant {
  return { merchantId: row.merchant_id, name: row.name, timeZone: row.time_zone, createdAt: iso(row.created_at) };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
