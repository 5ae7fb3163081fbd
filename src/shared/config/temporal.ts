import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfigFromToml, loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { type PayloadEncryptionConfig } from '../payload-codec';
import { ConfigError, parse, nonEmpty, hostPort, type Env } from './env';
import { loadPayloadEncryption } from './payload-encryption';

/** The payments' task queue: one definition, read here and by the merchant events' worker (worker.ts). */
export const taskQueueVariable = nonEmpty.default('pos-transactions');

/**
 * The Temporal connection: what `@temporalio/envconfig` (the SDK's own loader) makes of a TOML
 * profile and the standard variables, so every name means what it means for the `temporal` CLI
 * and the other SDKs. The profile comes from TEMPORAL_CONFIG_FILE (default
 * ~/.config/temporalio/temporal.toml), profile TEMPORAL_PROFILE (default `default`); each of
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS,
 * TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA, TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA, TEMPORAL_TLS_SERVER_NAME and TEMPORAL_GRPC_META_*
 * overrides the profile's value. As everywhere in this file, an empty variable counts as unset.
 */
const temporalSchema = z.object({
  TEMPORAL_TASK_QUEUE: taskQueueVariable,
  // The loader reads these two; here only their form is checked (the SDK would take "yes" as false).
  TEMPORAL_TLS: z
    .string()
    .regex(/^(true|false|1|0)$/i, 'must be true or false')
    .optional(),
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: z
    .string()
    .regex(/^(false|0)$/i, 'is not supported by the TypeScript SDK: set TEMPORAL_TLS_SERVER_NAME to a name in the server certificate')
    .optional(),
  TEMPORAL_SEARCH_ATTRIBUTE_CHECK: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
});

/** Names the service once read, before the standard ones; refused (not ignored) so that a deployment notices. */
const RENAMED_TEMPORAL_VARIABLES: Record<string, string> = {
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CERT_DATA: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
  TEMPORAL_TLS_KEY_DATA: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  TEMPORAL_TLS_CA_DATA: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
};

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  /** TLS to the frontend, its files already read; undefined: plaintext. `{}`: TLS with the system's CAs. */
  tls?: TLSConfig;
  /** gRPC headers sent with every call (TEMPORAL_GRPC_META_*, the profile's `grpc_meta`). */
  grpcMetadata?: Record<string, string>;
  /** TEMPORAL_SEARCH_ATTRIBUTE_CHECK: whether the worker checks at start that the namespace has the flow's search attributes. */
  checkSearchAttributes: boolean;
  /** Where the connection settings came from, for logs: `environment`, or the profile and its file. */
  source: string;
  /** The payload keys every client and worker of this config encrypts and decrypts with; undefined: payloads in clear. */
  payloadEncryption?: PayloadEncryptionConfig;
}

/** [os.UserConfigDir]/temporalio/temporal.toml, as the Go SDK and the CLI (and @temporalio/envconfig) find it. */
export function defaultTemporalConfigFile(env: Env): string | undefined {
  let dir: string | undefined;
  if (process.platform === 'win32') dir = env.APPDATA;
  else if (process.platform === 'darwin') dir = env.HOME && path.join(env.HOME, 'Library', 'Application Support');
  else if (env.XDG_CONFIG_HOME) dir = path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  else dir = env.HOME && path.join(env.HOME, '.config');
  return dir ? path.join(dir, 'temporalio', 'temporal.toml') : undefined;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The TOML file's profiles (none without a file); the file is read here so that a failure names it. */
function temporalProfiles(env: Env, problems: string[]): { file?: string; text?: string; names: string[] } {
  const explicit = env.TEMPORAL_CONFIG_FILE;
  const file = explicit ?? defaultTemporalConfigFile(env);
  if (!file) return { names: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // As for the CLI, a missing default file is no file; a file named explicitly must be there.
    if (!explicit && errnoOf(err) === 'ENOENT') return { names: [] };
    problems.push(`${explicit ? 'TEMPORAL_CONFIG_FILE' : `the default config file`}: cannot read ${file}: ${errnoOf(err)}`);
    return { names: [] };
  }
  try {
    return { file, text, names: Object.keys(loadClientConfigFromToml(Buffer.from(text), { strict: false }).profiles) };
  } catch (err) {
    // The SDK fails with a TypeError on a file without any [profile.*] table (an empty file): that is no profile.
    if (err instanceof TypeError) return { file, names: [] };
    problems.push(
      `${explicit ? 'TEMPORAL_CONFIG_FILE' : 'the default config file'}: ${file} is not a valid config file: ${(err as Error).message}`,
    );
    return { names: [] };
  }
}

/** Every Temporal connection of the service reads the same keys: one config, so a client and a worker never disagree. */
export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const payloadEncryption = loadPayloadEncryption(env);
  const c = parse(temporalSchema, env);
  // Empty counts as unset (`VAR= cmd`), and TEMPORAL_TLS is given to the SDK as it reads it (lower case).
  const set: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  if (set.TEMPORAL_TLS) set.TEMPORAL_TLS = set.TEMPORAL_TLS.toLowerCase();
  const problems = Object.entries(RENAMED_TEMPORAL_VARIABLES)
    .filter(([old]) => set[old] !== undefined)
    .map(([old, name]) => `${old}: is no longer read: set ${name} (the name the Temporal CLI and SDKs use) instead`);

  const profiles = temporalProfiles(set, problems);
  const profileName = set.TEMPORAL_PROFILE ?? 'default';
  if (set.TEMPORAL_PROFILE && !profiles.names.includes(profileName) && profiles.file !== undefined) {
    const known = profiles.names.length ? `it has ${profiles.names.map((n) => `"${n}"`).join(', ')}` : 'it has none';
    problems.push(`TEMPORAL_PROFILE: no profile "${profileName}" in ${profiles.file} (${known})`);
  } else if (set.TEMPORAL_PROFILE && profiles.file === undefined && !problems.length) {
    problems.push(`TEMPORAL_PROFILE: no config file to take profile "${profileName}" from (set TEMPORAL_CONFIG_FILE)`);
  }
  const fromFile = profiles.names.includes(profileName);
  const inFile = (key: string) => `${key} (profile "${profileName}" of ${profiles.file})`;
  // Which name a failure is reported under: the variable when it is set (it overrides the profile), else the TOML key.
  const origin = (variable: string, key: string) => (set[variable] !== undefined || !fromFile ? variable : inFile(key));
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      profile: set.TEMPORAL_PROFILE,
      ...(fromFile && profiles.text !== undefined ? { configSource: { data: profiles.text } } : { disableFile: true }),
      overrideEnvVars: set,
    });
  } catch (err) {
    // e.g. "Cannot specify both client_cert_path and client_cert_data" (from the file, the variables, or one of each).
    throw new ConfigError(`Invalid configuration:\n  ${fromFile ? inFile('tls') : 'TEMPORAL_TLS_*'}: ${(err as Error).message}`);
  }

  const address = profile.address || 'localhost:7233';
  if (!hostPort.safeParse(address).success) {
    problems.push(`${origin('TEMPORAL_ADDRESS', 'address')}: must be host:port, e.g. localhost:7233 (got "${address}")`);
  }
  const apiKey = profile.apiKey || undefined;
  const tls = temporalTls(profile, apiKey, origin, problems);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    address,
    namespace: profile.namespace || 'default',
    taskQueue: c.TEMPORAL_TASK_QUEUE,
    apiKey,
    tls,
    grpcMetadata: profile.grpcMeta && Object.keys(profile.grpcMeta).length ? profile.grpcMeta : undefined,
    checkSearchAttributes: c.TEMPORAL_SEARCH_ATTRIBUTE_CHECK === 'on',
    source: fromFile ? `profile "${profileName}" of ${profiles.file}` : 'environment',
    payloadEncryption,
  };
}

/**
 * The SDK's rule (`toClientOptions`): TLS when the profile says anything about it (unless
 * `disabled`, TEMPORAL_TLS=false), or when an API key is set; here with the files read and
 * checked, each failure named by the variable or TOML key it came from.
 */
function temporalTls(
  profile: ClientConfigProfile,
  apiKey: string | undefined,
  origin: (variable: string, key: string) => string,
  problems: string[],
): TLSConfig | undefined {
  if (profile.tls?.disabled) return undefined;
  if (!profile.tls) return apiKey ? {} : undefined;
  const read = (source: ConfigDataSource | undefined, what: string): Buffer | undefined => {
    if (!source) return undefined;
    if ('data' in source) return Buffer.from(source.data);
    try {
      return readFileSync(source.path);
    } catch (err) {
      problems.push(
        `${origin(`TEMPORAL_TLS_${what}_PATH`, `tls.${what.toLowerCase()}_path`)}: cannot read ${source.path}: ${errnoOf(err)}`,
      );
      return undefined;
    }
  };
  const name = (what: string, source: ConfigDataSource | undefined) => {
    const form = source && 'data' in source ? 'DATA' : 'PATH';
    return origin(`TEMPORAL_TLS_${what}_${form}`, `tls.${what.toLowerCase()}_${form.toLowerCase()}`);
  };
  const { clientCert, clientKey, serverCACert } = profile.tls;
  const ca = read(serverCACert, 'SERVER_CA_CERT');
  const crt = read(clientCert, 'CLIENT_CERT');
  const key = read(clientKey, 'CLIENT_KEY');
  if (!!clientCert !== !!clientKey) {
    problems.push(
      `${clientCert ? name('CLIENT_CERT', clientCert) : name('CLIENT_KEY', clientKey)}: the client certificate and key go together: set both or neither`,
    );
  }
  let certificate: X509Certificate | undefined;
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch {
      problems.push(`${name('SERVER_CA_CERT', serverCACert)}: is not a PEM certificate`);
    }
  }
  if (crt) {
    try {
      certificate = new X509Certificate(crt);
    } catch {
      problems.push(`${name('CLIENT_CERT', clientCert)}: is not a PEM certificate`);
    }
  }
  if (key) {
    try {
      const privateKey = createPrivateKey(key);
      if (certificate && !certificate.checkPrivateKey(privateKey)) {
        problems.push(`${name('CLIENT_KEY', clientKey)}: is not the private key of the client certificate`);
      }
    } catch {
      problems.push(`${name('CLIENT_KEY', clientKey)}: is not an unencrypted PEM private key`);
    }
  }
  return {
    serverNameOverride: profile.tls.serverName || undefined,
    serverRootCACertificate: ca,
    clientCertPair: crt && key ? { crt, key } : undefined,
  };
}
