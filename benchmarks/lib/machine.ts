/**
 * What a benchmark ran on, recorded next to its numbers.
 */
import { cpus, release, totalmem } from 'node:os';

/** The machine and runtime a benchmark ran on. */
export interface MachineInfo {
  /** Logical CPUs visible to Node. */
  readonly cpus: number;
  /** CPU model of the first CPU (`unknown` if not reported). */
  readonly model: string;
  /** Total memory in GiB, one decimal. */
  readonly memoryGiB: number;
  /** Node version, e.g. `v20.19.0`. */
  readonly node: string;
  /** `platform arch`, e.g. `linux x64`. */
  readonly platform: string;
  /** Kernel release, e.g. `6.1.0-18-amd64`. */
  readonly kernel: string;
  /** When the benchmark ran, ISO 8601. */
  readonly date: string;
}

/** Describes this machine and runtime, now. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    date: new Date().toISOString(),
  };
}
