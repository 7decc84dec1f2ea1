/** `pnpm ptesim ...` as a user or a CI job runs it, for the end-to-end tests. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface Outcome {
  /**
   * The exit status as a shell reports it: pnpm, after its child exits 130 on SIGINT, re-raises the
   * signal on itself, and a shell shows that as 128 + the signal number — the same 130.
   */
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
  /** From the signal (if any) to exit. */
  afterSignalMs: number;
}

/** `pnpm ptesim ARGS` in its own process group; `signalAfterMs`: send `signal` to the group then. */
export function pnpmPtesim(
  args: string[],
  signalAfterMs?: number,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let signalledAt = Number.NaN;
    const child = spawn('pnpm', ['-s', 'ptesim', ...args], { cwd: ROOT, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer =
      signalAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            signalledAt = performance.now();
            process.kill(-child.pid!, signal);
          }, signalAfterMs);
    const guard = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(guard);
      const now = performance.now();
      const status = code ?? (sig ? 128 + constants.signals[sig] : null);
      resolve({ code: status, stdout, stderr, ms: now - t0, afterSignalMs: now - signalledAt });
    });
  });
}
