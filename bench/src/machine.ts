/** Names the machine the figures come from: they mean nothing without it. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  /** `os.cpus()[0].model` (the `model name` of /proc/cpuinfo where Node lists no CPU). */
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly memoryBytes: number;
  readonly chromium: string;
  readonly node: string;
  /** When the run started (ISO 8601, UTC). */
  readonly date: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverageAtStart: number;
}

function cpuModel(): string {
  const model = cpus()[0]?.model.trim();
  if (model) return model;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    /* not Linux */
  }
  return 'unknown';
}

export function describeMachine(chromiumVersion: string): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    memoryBytes: totalmem(),
    chromium: chromiumVersion,
    node: process.version,
    date: new Date().toISOString(),
    loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)),
  };
}
