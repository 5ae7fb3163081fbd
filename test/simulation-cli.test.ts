/**
 * `npm run simulate` refuses a bad argument with a message naming the flag and its bound, and
 * starts nothing (it exits before any test server or worker process).
 */
import path from 'node:path';
import { runTool, stopRunningTools } from './helpers/processes';

const SIMULATE = path.join(__dirname, '..', 'build', 'tools', 'simulation', 'main.js');

afterAll(stopRunningTools);

test.each([
  [['--processes', '65'], '--processes must be <= 64'],
  [['--processes', '0'], '--processes must be >= 1'],
  [['--concurrency', '201'], '--concurrency must be <= 200'],
  [['--seeds', 'many'], '--seeds must be a number'],
])('%j is refused: %s', async (args, message) => {
  const { code, output } = await runTool(process.execPath, [SIMULATE, ...args]);
  expect(code).toBe(2);
  expect(output).toContain(message);
  expect(output).not.toMatch(/\n\s+at /); // no stack trace
});
