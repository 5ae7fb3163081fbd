/**
 * Property-based fuzzing of the live API: schemathesis (from PyPI) drives the embedded stack
 * with ~2,000 requests generated from the API's own OpenAPI document; no answer may be a 5xx or
 * differ from the document. (`npm test` builds dist/ first; scripts/fuzz-api.sh does the rest.)
 */
import path from 'node:path';
import { runTool, stopRunningTools } from './helpers/processes';

const SCRIPT = path.join(__dirname, '..', 'scripts', 'fuzz-api.sh');
const EXAMPLES_PER_OPERATION = '100';

afterAll(stopRunningTools);

test('schemathesis finds no 5xx and no answer that breaks the OpenAPI document', async () => {
  const { code, output } = await runTool('bash', [SCRIPT, EXAMPLES_PER_OPERATION]);
  if (code !== 0) console.error(output);
  expect(code).toBe(0);
  expect(output).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
}, 600_000);
