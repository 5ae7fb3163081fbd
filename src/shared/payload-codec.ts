/**
 * Encryption of every payload Temporal stores (workflow inputs and results, activity inputs and
 * results, signals, updates, queries, memo, summaries, failure details and — with the failure
 * converter below — failure messages and stacks): AES-256-GCM with Node's crypto, between the
 * SDK's payload converter and the wire. Temporal's history and visibility then hold ciphertext;
 * the worker, the API's client, the tools and the codec server (for the Web UI) decrypt.
 *
 * Each encrypted payload names its key (`encryption-key-id` metadata), so keys rotate without a
 * migration: new payloads use the newest key, and every configured key still decrypts what it
 * wrote. Payloads that are not encrypted (written before encryption was on) pass through
 * decoding unchanged, so histories of either kind replay on the same worker.
 *
 * Search attributes are indexed by the server and cannot be encrypted: see `customerPseudonym`.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import './failure-converter'; // loaded by path (dataConverterFor); imported so that every build compiles it beside this module

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** 32 bytes: AES-256. */
export const PAYLOAD_KEY_BYTES = 32;
/** GCM's recommended nonce size; random per payload (2^32 payloads per key keep the collision risk negligible). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload could not be decrypted: the message says why (unknown key id, altered data), never anything of the data. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';

  constructor(
    message: string,
    /** Why, without any key id: what the codec server may tell its callers. */
    readonly reason: 'no key id' | 'key not configured' | 'truncated' | 'failed authentication',
  ) {
    super(message);
  }
}

/**
 * The configured keys by id; the last one encrypts. Key material stays in private fields, so a
 * keyring logged or serialized by accident shows only the key ids.
 */
export class PayloadKeyring {
  readonly #keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  constructor(entries: ReadonlyArray<{ id: string; key: Buffer }>) {
    if (entries.length === 0) throw new Error('A payload keyring needs at least one key');
    for (const { id, key } of entries) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`Payload key id "${id}" must match ${KEY_ID_PATTERN.source}`);
      if (key.length !== PAYLOAD_KEY_BYTES) throw new Error(`Payload key "${id}" must be ${PAYLOAD_KEY_BYTES} bytes`);
      if (this.#keys.has(id)) throw new Error(`Payload key id "${id}" is listed twice`);
      this.#keys.set(id, Buffer.from(key));
    }
    this.activeKeyId = entries[entries.length - 1].id;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { keyIds: string[]; activeKeyId: string } {
    return { keyIds: this.keyIds, activeKeyId: this.activeKeyId };
  }
}

/** What the service needs to encrypt payloads (from PAYLOAD_ENCRYPTION_KEYS); undefined anywhere means "off". */
export interface PayloadEncryptionConfig {
  keyring: PayloadKeyring;
}

/** AES-256-GCM over the whole serialized payload (its metadata too), with the key id as additional authenticated data. */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  // Synchronous work behind the SDK's async interface: a failure is a rejection, as a caller awaiting it expects.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.encrypt(payload))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload))));
  }

  encrypt(payload: Payload): Payload {
    const keyId = this.keyring.activeKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.key(keyId)!, iv);
    cipher.setAAD(utf8.encode(keyId));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(keyId) }, data };
  }

  decrypt(payload: Payload): Payload {
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!keyIdBytes) throw new PayloadDecryptionError(`An encrypted payload has no "${KEY_ID_METADATA}" metadata`, 'no key id');
    const keyId = fromUtf8.decode(keyIdBytes);
    const key = this.keyring.key(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `A payload is encrypted with key id "${keyId}", which is not configured (PAYLOAD_ENCRYPTION_KEYS lists ${this.keyring.keyIds.map((id) => `"${id}"`).join(', ')}): add that key back`,
        'key not configured',
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`A payload encrypted with key "${keyId}" is truncated`, 'truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(keyIdBytes);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      const decoded = temporal.api.common.v1.Payload.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    } catch {
      // GCM's authentication failed: the data, the IV, the tag or the key id was altered, or the key under this id changed.
      throw new PayloadDecryptionError(
        `A payload encrypted with key "${keyId}" failed authentication: it was altered, or the key is not the one that encrypted it`,
        'failed authentication',
      );
    }
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return !!encoding && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
}

/**
 * The data converter of every client and worker of the service: the encryption codec, and a
 * failure converter (`DefaultFailureConverter({ encodeCommonAttributes: true })`, ./failure-converter)
 * that moves failure messages and stack traces into an encrypted payload. It applies to what
 * activities throw (Zuz's and PMS's messages) and what clients send; failures raised by the
 * workflow code itself go through the workflow bundle's default converter and name states only
 * ("A cancel is not possible while the transaction is capturing"); a rethrown activity failure
 * keeps its encoded form. Undefined config (encryption off): the SDK's defaults.
 */
export function dataConverterFor(config: PayloadEncryptionConfig | undefined): DataConverter {
  if (!config) return {};
  return { payloadCodecs: [new EncryptionCodec(config.keyring)], failureConverterPath: require.resolve('./failure-converter') };
}

/** The codec of a data converter built by `dataConverterFor`, if any (the codec server, tests and tools decode with it). */
export function payloadCodecOf(dataConverter: DataConverter): PayloadCodec | undefined {
  return dataConverter.payloadCodecs?.[0];
}

/**
 * What the `CustomerId` search attribute holds: the server indexes search attributes in clear,
 * so with encryption on it holds a keyed pseudonym of the customer (HMAC-SHA256 under
 * CUSTOMER_PSEUDONYM_KEY, a key of its own so that rotating the payload keys does not change it),
 * scoped to the merchant. Equal customers of a merchant share a value, so filters still work
 * (the list route computes the same value); the value reveals nothing without the key.
 */
export function customerPseudonym(key: Buffer, merchantId: string, customerId: string): string {
  return `c1_${createHmac('sha256', key).update(merchantId).update('\n').update(customerId).digest('hex').slice(0, 32)}`;
}
