/**
 * The standalone Temporal Web UI server (github.com/temporalio/ui-server, the version the CLI
 * embeds), as production deploys it next to the Temporal frontend: its own process and config file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Child, httpOk, waitFor } from './child-process';

export interface UiServerOptions {
  binary: string;
  temporalAddress: string;
  port: number;
  namespace: string;
  /** The codec server's endpoint the UI decodes payloads with (the browser calls it), if payloads are encrypted. */
  codecEndpoint?: string;
  /** Where its config file is written (<dir>/ui-server.yaml). */
  configDir: string;
  logFile: string;
}

export async function startUiServer(options: UiServerOptions): Promise<{ child: Child; url: string }> {
  mkdirSync(options.configDir, { recursive: true });
  // Written each start: the addresses may change; the rest is the UI server's defaults.
  writeFileSync(
    path.join(options.configDir, 'ui-server.yaml'),
    [
      '# Written by sandbox/cluster/ui-server.ts at each start.',
      `temporalGrpcAddress: ${options.temporalAddress}`,
      'host: 127.0.0.1',
      `port: ${options.port}`,
      'enableUi: true',
      `defaultNamespace: ${options.namespace}`,
      'refreshInterval: 1m',
      'notifyOnNewVersion: false', // no internet here
      'cors:',
      '  cookieInsecure: true', // plain http on loopback
      ...(options.codecEndpoint ? ['codec:', `  endpoint: ${options.codecEndpoint}`] : []),
      '',
    ].join('\n'),
  );
  const child = new Child({
    name: 'Temporal UI server',
    command: options.binary,
    args: ['--root', '/', '--config', options.configDir, '--env', 'ui-server', 'start'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitFor('Temporal UI server', () => httpOk(`${url}/healthz`), 60_000, child);
  } catch (err) {
    child.killNow();
    throw err;
  }
  return { child, url };
}
