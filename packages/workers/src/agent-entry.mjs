// Worker entry of the real executor. `workerData.mode` is 'steps' (the model's generators, driven
// back to back) or 'direct' (the same source with its interleaving points compiled out).
import { workerData } from 'node:worker_threads';
import { registerWorkerHooks } from './direct/register.mjs';

registerWorkerHooks(workerData?.mode ?? 'steps');
const { default: runAgent } = await import('./agent.ts');
export default runAgent;
