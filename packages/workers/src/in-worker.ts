/** Run one exported function of a module on a fresh worker thread with the model in `mode`. */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const ENTRY = fileURLToPath(new URL('./task-entry.mjs', import.meta.url));

export function runInWorker<T>(mode: 'steps' | 'direct', moduleUrl: string, fn: string, arg?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(ENTRY, { workerData: { mode, module: moduleUrl, fn, arg } });
    let settled = false;
    w.once('message', (m: T) => {
      settled = true;
      resolve(m);
      void w.terminate();
    });
    w.once('error', (e) => {
      settled = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`worker exited with code ${code} before answering`));
    });
  });
}
