// Worker-thread entry: runs one training job so the caller's event loop stays free.
// Protocol (parent ⇄ worker) in index.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { LoraTrainError } from './LoraTrainError.js';
import { runTraining, type TrainJob } from './trainLoop.js';

interface WorkerInput { job: TrainJob; abortFlag: SharedArrayBuffer }

const { job, abortFlag } = workerData as WorkerInput;
const flag = new Int32Array(abortFlag);
const port = parentPort!;

runTraining(job, {
  onProgress: (p) => port.postMessage({ type: 'progress', progress: p }),
  isAborted: () => Atomics.load(flag, 0) !== 0,
}).then(
  (result) => port.postMessage({ type: 'done', result }),
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({
      type: 'error',
      code: e instanceof LoraTrainError ? e.code : 'WORKER_FAILED',
      message: e.message,
      details: e instanceof LoraTrainError ? e.details : { stack: e.stack },
    });
  },
);
