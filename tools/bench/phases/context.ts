/** What every phase of the run works with. */
import type { BenchArgs } from '../args';
import type { BenchStack } from '../bench-stack';
import type { Sizes } from '../sizes';
import type { Workload } from '../workload';

export interface BenchContext {
  args: BenchArgs;
  sizes: Sizes;
  stack: BenchStack;
  workload: Workload;
  /** Progress lines on stdout. */
  say: (message: string) => void;
}
