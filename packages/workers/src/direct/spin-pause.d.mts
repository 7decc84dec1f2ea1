export function watchStop(i32: Int32Array, index: number): void;
export function spinPause(): void;
export function noPreempt(): never;
export function resetSpins(): void;
