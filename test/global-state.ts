/** What test/global-setup.ts started, for test/global-teardown.ts (both run in Jest's main process). */
interface Started {
  postgres?: { env: NodeJS.ProcessEnv; dataDir: string };
}
const holder = globalThis as { __posGlobalSetup?: Started };
export const started: Started = (holder.__posGlobalSetup ??= {});
