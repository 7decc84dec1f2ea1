export function watchRun(
  i32: Int32Array,
  abort: number,
  violations: number,
  ipiWord?: number,
  ackWaitWord?: number,
): void;
export function spinPause(): void;
export function noPreempt(): never;
export function resetSpins(): void;
