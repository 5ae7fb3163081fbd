/**
 * Where the cluster's programs are: the Temporal server, its SQL schema tool with the PostgreSQL
 * schema files and the Web UI server, built by `scripts/provision-temporal.sh cluster` into the
 * binary cache (each overridable by an environment variable), and Debian's PostgreSQL binaries.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { binaryCacheDir } from '../config';

type Env = Record<string, string | undefined>;

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** Holds postgresql/v12/{temporal,visibility}/versioned. */
  schemaDir: string;
}

export function clusterBinaries(env: Env = process.env): ClusterBinaries {
  const bin = path.join(binaryCacheDir(env), 'bin');
  return {
    server: env.TEMPORAL_SERVER || path.join(bin, 'temporal-server'),
    sqlTool: env.TEMPORAL_SQL_TOOL || path.join(bin, 'temporal-sql-tool'),
    uiServer: env.TEMPORAL_UI_SERVER || path.join(bin, 'temporal-ui-server'),
    schemaDir: env.TEMPORAL_SCHEMA_DIR || path.join(bin, 'temporal-schema'),
  };
}

/** What is missing, as a sentence that says how to get it; undefined when everything is there. */
export function missingClusterBinaries(binaries: ClusterBinaries = clusterBinaries()): string | undefined {
  const missing = [
    ...Object.entries({ server: binaries.server, sqlTool: binaries.sqlTool, uiServer: binaries.uiServer })
      .filter(([, file]) => !existsSync(file))
      .map(([, file]) => file),
    ...(existsSync(path.join(binaries.schemaDir, 'postgresql', 'v12', 'temporal', 'versioned')) ? [] : [binaries.schemaDir]),
  ];
  return missing.length === 0
    ? undefined
    : `missing ${missing.join(', ')}: run "bash scripts/provision-temporal.sh cluster" (builds them with Go, a few minutes once per machine)`;
}

/** Debian's PostgreSQL binaries (the newest installed major version), or undefined. */
export function postgresBinDir(env: Env = process.env): string | undefined {
  if (env.POSTGRES_BIN_DIR) return env.POSTGRES_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length > 0 ? path.join(root, versions[versions.length - 1], 'bin') : undefined;
}
