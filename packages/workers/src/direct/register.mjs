// Load hooks for a worker thread: tsx (TypeScript), then — in direct mode — the compilation that
// removes the model's interleaving points (strip.mjs). Node 20 does not apply the parent's hooks
// to a worker's entry, so each worker registers them itself (DESIGN.md §8).
import { register as registerHooks } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

export function registerWorkerHooks(mode) {
  registerTsx();
  if (mode === 'direct') registerHooks('./hooks.mjs', import.meta.url);
}
