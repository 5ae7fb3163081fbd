/**
 * The flow's version label: the folder under test/histories/ where `npm run histories:capture`
 * files the histories of this version. Bump it with every released change to the flow (see
 * docs/versioning.md); the workflow's behaviour never reads it.
 */
export const FLOW_VERSION = 'v10';
