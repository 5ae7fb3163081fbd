/**
 * Exhaustive switches over the flow's outcome types: a `default` that calls `unreachable` stops
 * compiling as soon as an outcome gains a kind that no case handles.
 */
export function unreachable(value: never): never {
  throw new Error(`Unhandled outcome: ${JSON.stringify(value)}`);
}
