// A one-off task on its own worker thread (in-worker.ts): `workerData.module` is a prebuilt bundle
// with the model in the given form ('steps' or 'direct'); call its export `fn` and post the answer.
import { parentPort, workerData } from 'node:worker_threads';

const mod = await import(workerData.module);
parentPort.postMessage(await mod[workerData.fn](workerData.arg));
