/** The machine and the software the figures belong to. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** /proc/loadavg when the run started: the machine is shared. */
  loadAverageAtStart: string;
  node: string;
  temporalSdk: string;
  temporalCli: string;
  postgres: string;
  gitCommit: string;
  gitDirty: boolean;
}

export function machineInfo(temporalCli: string, postgresVersion: string): MachineInfo {
  const root = path.resolve(__dirname, '..', '..', '..');
  const sdk = JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as { version: string };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').trim(),
    node: process.version,
    temporalSdk: sdk.version,
    temporalCli: run(temporalCli, ['--version']),
    postgres: postgresVersion,
    gitCommit: run('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
    gitDirty: run('git', ['-C', root, 'status', '--porcelain']).length > 0,
  };
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
