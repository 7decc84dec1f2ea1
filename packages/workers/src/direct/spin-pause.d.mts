export function watchRun(
  i32: Int32Array,
  abort: number,
  violations: number,
  ipiWord?: number,
  ackWaitWord?: number,
  spinsBeforeWait?: number,
  waitWords?: { kind: number; arg: number } | null,
): void;
export function waitTime(): { waitMs: number; sleepMs: number; on: [number, number][] };
export function spinPause(): void;
export function noPreempt(): never;
export function resetSpins(): void;
