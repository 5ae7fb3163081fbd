/**
 * Issue 38, finding 4: the codec server decrypts for its token holders only, always (the sandbox
 * too); the token may travel in the endpoint's path, which is how the Web UI's codec settings
 * carry it (the UI has no other way to send one); its errors name no key id; /codec/encode is off
 * unless CODEC_SERVER_ENCODE=on; a payload stored in clear is never shown as if it had been
 * encrypted: it is marked; every call is logged (who, how many payloads, never their content).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Payload } from '@temporalio/common';
import { startCodecServer, type CodecServer } from '../src/api/codec-server';
import { loadApiConfig, loadPayloadEncryption, ConfigError } from '../src/shared/config';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../src/shared/payload-codec';
import { newPayloadKeyEntry } from '../sandbox/payload-keys';

const TOKEN = 'codec-token-0123456789abcdef';
const keyring = loadPayloadEncryption({ PAYLOAD_ENCRYPTION_KEYS: `${newPayloadKeyEntry('secret-key-id')}` })!.keyring;
const codec = new EncryptionCodec(keyring);
const utf8 = new TextEncoder();
const lines: Array<Record<string, unknown>> = [];
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

const wire = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const clear = (value: unknown): Payload => ({
  metadata: { encoding: utf8.encode('json/plain') },
  data: utf8.encode(JSON.stringify(value)),
});

let server: CodecServer;
let withEncode: CodecServer;
beforeAll(async () => {
  server = await startCodecServer({ host: '127.0.0.1', port: 0, token: TOKEN, allowedOrigins: [], codec, log });
  withEncode = await startCodecServer({ host: '127.0.0.1', port: 0, token: TOKEN, allowedOrigins: [], codec, log, encode: true });
});
afterAll(async () => {
  await server.close();
  await withEncode.close();
});

const call = (url: string, body: unknown, authorization?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });

test('a token is required to start it, sandbox or not', () => {
  const base = {
    API_KEYS: 'dev-api-key-0123456789',
    ZUZ_PRIVATE_KEY: 'k',
    POS_SANDBOX: 'true',
    PAYLOAD_ENCRYPTION_KEYS: newPayloadKeyEntry('k1'),
    CUSTOMER_PSEUDONYM_KEY: Buffer.alloc(32, 1).toString('base64'),
    CODEC_SERVER_ADDRESS: '127.0.0.1:0',
  };
  expect(() => loadApiConfig(base)).toThrow(ConfigError);
  expect(() => loadApiConfig(base)).toThrow(/CODEC_SERVER_TOKEN: is required when CODEC_SERVER_ADDRESS starts the codec server/);
  expect(loadApiConfig({ ...base, CODEC_SERVER_TOKEN: TOKEN }).codecServer).toMatchObject({ token: TOKEN, encode: false });
  expect(loadApiConfig({ ...base, CODEC_SERVER_TOKEN: TOKEN, CODEC_SERVER_ENCODE: 'on' }).codecServer).toMatchObject({ encode: true });
});

test('the token as Bearer, or as the path segment of the endpoint the Web UI is given; anything else is 401', async () => {
  const [encrypted] = await codec.encode([clear({ secret: 'cus_secret' })]);
  const body = { payloads: [wire(encrypted)] };
  expect((await call(`${server.endpoint}/decode`, body)).status).toBe(401);
  expect((await call(`${server.endpoint}/decode`, body, `Bearer ${TOKEN}x`)).status).toBe(401);
  expect((await call(`${server.endpoint}/x${TOKEN}/decode`, body)).status).toBe(401);
  const viaHeader = await call(`${server.endpoint}/decode`, body, `bearer ${TOKEN}`);
  expect(viaHeader.status).toBe(200);
  const viaPath = await call(`${server.endpoint}/${TOKEN}/decode`, body);
  expect(viaPath.status).toBe(200);
  const [plain] = ((await viaPath.json()) as { payloads: Array<{ data: string }> }).payloads;
  expect(Buffer.from(plain.data, 'base64').toString()).toContain('cus_secret');
  expect(server.uiEndpoint(TOKEN)).toBe(`${server.endpoint}/${TOKEN}`);
});

test('errors name no key id', async () => {
  const [encrypted] = await codec.encode([clear({ a: 1 })]);
  const unknownKey = {
    ...wire(encrypted),
    metadata: { ...wire(encrypted).metadata, [KEY_ID_METADATA]: Buffer.from('other-key').toString('base64') },
  };
  const tampered = { ...wire(encrypted), data: Buffer.from('x'.repeat(64)).toString('base64') };
  for (const payload of [unknownKey, tampered]) {
    const answer = await call(`${server.endpoint}/decode`, { payloads: [payload] }, `Bearer ${TOKEN}`);
    expect(answer.status).toBe(400);
    const text = await answer.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_payload', details: [{ field: 'payloads.0' }] } });
    expect(text).not.toContain('secret-key-id');
    expect(text).not.toContain('other-key');
  }
});

test('/codec/encode is off unless configured', async () => {
  const body = { payloads: [wire(clear({ a: 1 }))] };
  const off = await call(`${server.endpoint}/encode`, body, `Bearer ${TOKEN}`);
  expect(off.status).toBe(404);
  expect(((await off.json()) as { error: { code: string } }).error.code).toBe('not_found');
  const on = await call(`${withEncode.endpoint}/encode`, body, `Bearer ${TOKEN}`);
  expect(on.status).toBe(200);
  const [encoded] = ((await on.json()) as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
  expect(Buffer.from(encoded.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
});

test('a payload stored in clear is marked as such, never shown as a decrypted one', async () => {
  const answer = await call(`${server.endpoint}/decode`, { payloads: [wire(clear({ status: 'succeeded' }))] }, `Bearer ${TOKEN}`);
  expect(answer.status).toBe(200);
  const [shown] = ((await answer.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
  expect(JSON.parse(Buffer.from(shown.data, 'base64').toString())).toEqual({
    unencryptedPayload: 'stored in clear: not written by this service’s codec, nothing vouches for it',
    value: { status: 'succeeded' },
  });
  expect(Buffer.from(shown.metadata.encoding, 'base64').toString()).toBe('json/plain');
});

test('every call is logged: address, route, payload count, outcome; never a payload or the token', async () => {
  lines.length = 0;
  const [encrypted] = await codec.encode([clear({ secret: 'cus_logged' })]);
  await call(`${server.endpoint}/${TOKEN}/decode`, { payloads: [wire(encrypted)] });
  await call(`${server.endpoint}/decode`, { payloads: [] }, 'Bearer wrong-token-0123456789');
  const calls = lines.filter((line) => line.msg === 'codec call');
  expect(calls).toEqual([
    expect.objectContaining({ route: 'decode', payloads: 1, status: 200 }),
    expect.objectContaining({ route: 'decode', status: 401 }),
  ]);
  expect(JSON.stringify(lines)).not.toContain(TOKEN);
  expect(JSON.stringify(lines)).not.toContain('cus_logged');
});
