// ColumnIndex's helper thread: sleeps until a scan is posted, claims blocks until none are left,
// sleeps again. See columnScanThreads.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads';
import { columnScanKernel } from './columnScanKernel.js';
import { Ctl, scanClaimedBlocks } from './columnScanThreads.js';

interface Input { module: WebAssembly.Module; memory: WebAssembly.Memory; shared: SharedArrayBuffer }
const { module, memory, shared } = workerData as Input;
const kernel = columnScanKernel(module, memory);
const ctl = new Int32Array(shared);
const claim = new BigInt64Array(shared, 0, 1);
let job = 0n;
parentPort!.postMessage('ready');

while (!Atomics.load(ctl, Ctl.Stop)) {
  const word = Atomics.load(claim, 0);
  // Still the job this thread last took part in: sleep until the caller posts another.
  if (word >> 32n === job) Atomics.wait(claim, 0, word);
  else {
    const done = scanClaimedBlocks(ctl, claim, kernel);
    job = done.job;
    Atomics.add(ctl, Ctl.HelperBlocks, done.scanned);
  }
}
