/**
 * The lint fences that keep the layout honest (eslint.config.mjs): workflow code takes only other
 * workflow code and the pure models as values (activities, records, Zuz and plumbing as types; routes
 * never), and routes reach workflows only through their messages. Each fence is shown catching a
 * planted import and letting the legitimate form through, so a loosened pattern fails here.
 */
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.join(__dirname, '..');
// Only the import fences: type-aware rules would build the whole program for each text.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [{ languageOptions: { parserOptions: { project: false, projectService: false, program: null } } }],
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

async function fenceErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test.each([
  ['a process workflow folder', 'src/transaction/workflow/capture.ts', "import { createActivities } from '../../activities';"],
  ['a process workflow folder', 'src/transaction/workflow/capture.ts', "import { TransactionRecords } from '../record';"],
  ['a one-file workflow', 'src/refund/workflow.ts', "import { RefundRecords } from './record';"],
  ['a one-file workflow', 'src/refund/workflow.ts', "import { ZuzClient } from '../zuz';"],
  ['the shared workflow machinery', 'src/workflows/options.ts', "import { openDatabase } from '../shared/database';"],
  ['a one-file workflow', 'src/reconciliation/workflow.ts', "import type { router } from './routes';"],
  ['a workflow, a Node built-in', 'src/merchant-events/workflow.ts', "import { readFileSync } from 'node:fs';"],
])('%s may not import %#: %s', async (_where, file, code) => {
  expect(await fenceErrors(file, code)).toHaveLength(1);
});

test.each([
  ['src/transaction/workflow/capture.ts', "import { awaitZuzResult } from '../../workflows/await-zuz-result';"],
  ['src/transaction/workflow/capture.ts', "import { formatMoney } from '../model';"],
  ['src/transaction/workflow/capture.ts', "import { releaseAuthorization } from './release';"],
  ['src/transaction/workflow/capture.ts', "import type { TransactionRecords } from '../record';"],
  ['src/refund/workflow.ts', "import { refundKey } from './model';"],
  ['src/refund/workflow.ts', "import { REFUND_REFUSED } from '../shared/failure-codes';"],
  ['src/refund/workflow.ts', "import { zuzEventSignal } from '../transaction/workflow/messages';"],
  ['src/refund/workflow.ts', "import type { ZuzPaymentState } from '../zuz';"],
])('workflow code may import %s: %s (control)', async (file, code) => {
  expect(await fenceErrors(file, code)).toEqual([]);
});

test('routes reach a workflow by its messages and types only', async () => {
  expect(await fenceErrors('src/refund/routes.ts', "import { processRefund } from './workflow';")).toHaveLength(1);
  expect(await fenceErrors('src/transaction/routes.ts', "import { authorize } from './workflow/authorize';")).toHaveLength(1);
  expect(await fenceErrors('src/api/app.ts', "import { stepActivities } from '../workflows/activities';")).toHaveLength(1);
  expect(await fenceErrors('src/transaction/routes.ts', "import { captureUpdate } from './workflow/messages';")).toEqual([]);
  expect(await fenceErrors('src/refund/routes.ts', "import type { processRefund } from './workflow';")).toEqual([]);
});
