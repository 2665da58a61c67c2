// A matrix-kernel thread: waits on the control block, takes work items until none are left,
// reports done, waits for the next task (polling briefly first, see SPIN_MS). See MatmulEngine.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads';
import { Ctl, MemoryViews, instantiateKernels, runItem, spinWhileEqual, type KernelModules } from './matmulTasks.js';

interface Input { memory: WebAssembly.Memory; modules: KernelModules; ctlPtr: number; tid: number; generation: number }
const { memory, modules, ctlPtr, tid, generation } = workerData as Input;
const kernels = instantiateKernels(modules, memory);
const ctl = new Int32Array(memory.buffer, ctlPtr, Ctl.Size);
const views = new MemoryViews(memory);
// The generation when this thread was started, not now: a task posted while the thread was still
// starting must not be missed.
let seen = generation;
parentPort!.postMessage('ready');

for (;;) {
  spinWhileEqual(ctl, Ctl.Generation, seen);
  // Counted as asleep before checking the generation, so a task posted in between is either
  // seen here or woken by the caller (which notifies only when Sleepers > 0).
  Atomics.add(ctl, Ctl.Sleepers, 1);
  Atomics.wait(ctl, Ctl.Generation, seen);
  Atomics.sub(ctl, Ctl.Sleepers, 1);
  seen = Atomics.load(ctl, Ctl.Generation);
  if (Atomics.load(ctl, Ctl.Stop)) break;
  views.refresh();
  const items = ctl[Ctl.Items]!;
  try {
    for (let item = Atomics.add(ctl, Ctl.NextItem, 1); item < items; item = Atomics.add(ctl, Ctl.NextItem, 1)) {
      runItem(ctl, item, tid, views, kernels);
    }
  } catch (err) {
    Atomics.store(ctl, Ctl.Failed, 1);
    console.error(`matrix kernel thread ${tid} failed: ${(err as Error).stack ?? err}`);
  }
  if (Atomics.sub(ctl, Ctl.Pending, 1) === 1) Atomics.notify(ctl, Ctl.Pending);
}
