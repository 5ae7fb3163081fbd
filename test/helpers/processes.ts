/**
 * The tools the tests drive as separate processes (the chaos run, the benchmark, the fuzzer):
 * started with their output captured, and stopped (SIGTERM lets each stop what it started) if a
 * test ends while one still runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

export function runTool(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // NODE_OPTIONS: jest's --experimental-vm-modules is not for the tools.
    const child = spawn(command, args, { env: { ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      running.delete(child);
      resolve({ code, output });
    });
  });
}

/** For afterAll: stops any tool still running. */
export function stopRunningTools(): void {
  for (const child of running) child.kill('SIGTERM');
}
