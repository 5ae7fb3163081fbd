/**
 * CPU time and memory of processes, from Linux /proc: utime + stime of /proc/<pid>/stat (clock
 * ticks), VmRSS and VmHWM (peak) of /proc/<pid>/status. A process that is gone reads as zero.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, utime 14 and stime 15 (comm may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return 0;
  }
}

export interface Memory {
  rssMiB: number;
  peakRssMiB: number;
}

export function memory(pid: number): Memory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
  } catch {
    return { rssMiB: 0, peakRssMiB: 0 };
  }
}

/** The CPU seconds each group of processes uses between `start()` and `stop()`. */
export class CpuMeter {
  private before: Record<string, number> = {};

  constructor(private readonly groups: Record<string, () => number[]>) {}

  private read(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.groups).map(([name, pids]) => [name, pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0)]),
    );
  }

  start(): void {
    this.before = this.read();
  }

  stop(): Record<string, number> {
    const after = this.read();
    return Object.fromEntries(Object.entries(after).map(([name, seconds]) => [name, seconds - (this.before[name] ?? 0)]));
  }
}

/** One reading of every process's parent and CPU ticks (its own and its reaped children's), from /proc. */
export type ProcessTable = Map<number, { parent: number; ticks: number }>;

export function readProcessTable(): ProcessTable {
  const table: ProcessTable = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ": ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { parent: Number(fields[1]), ticks: fields.slice(11, 15).reduce((sum, t) => sum + Number(t), 0) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/**
 * CPU seconds of `pid` and every process below it, the exited ones included: each process's own
 * utime + stime plus cutime + cstime (its children that exited and were reaped), so a PostgreSQL
 * postmaster's tree counts the backends that came and went as well as the live ones.
 */
export function treeCpuSeconds(pid: number | undefined, table: ProcessTable = readProcessTable()): number {
  if (pid === undefined || !table.has(pid)) return 0;
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, { parent }] of table) if (parent === tree[i]) tree.push(child);
  return tree.reduce((sum, member) => sum + (table.get(member)?.ticks ?? 0), 0) / clockTicks();
}
