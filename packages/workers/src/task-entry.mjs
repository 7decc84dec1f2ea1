// A one-off task on its own worker thread, with the model loaded in the given form ('steps' or
// 'direct'): benchmarks use it to measure the direct compilation beside the generators.
import { parentPort, workerData } from 'node:worker_threads';
import { registerWorkerHooks } from './direct/register.mjs';

registerWorkerHooks(workerData.mode);
const mod = await import(workerData.module);
parentPort.postMessage(await mod[workerData.fn](workerData.arg));
