/**
 * Run one exported function of a module on a fresh worker thread with the model in `mode`.
 * `module`: a source file, as a path relative to the workspace root (or absolute); it is loaded
 * prebuilt (build/bundle.mjs).
 */
import { Worker } from 'node:worker_threads';
import { bundle, bundleUrl, REPO_ROOT } from './build/bundle.mjs';

const ENTRY = `${REPO_ROOT}/packages/workers/src/task-entry.mjs`;

export async function runInWorker<T>(mode: 'steps' | 'direct', module: string, fn: string, arg?: unknown): Promise<T> {
  const built = bundleUrl(await bundle(module, { mode }));
  return new Promise((resolve, reject) => {
    const w = new Worker(ENTRY, { workerData: { mode, module: built, fn, arg } });
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
