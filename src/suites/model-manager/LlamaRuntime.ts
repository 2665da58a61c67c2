import type { Llama } from 'node-llama-cpp';
import { nodeLlamaCpp } from './nodeLlamaCpp.js';
import type { Logger } from '../../runtime/logger.js';

export interface MemoryState {
  /** 'gpu' when a GPU backend is active (the budget then measures VRAM), else 'cpu' (RAM). */
  device: 'gpu' | 'cpu';
  backend: string;
  totalMb: number;
  usedMb: number;
  freeMb: number;
  /** What this process's llama.cpp allocations take on the budgeted device. */
  llamaUsedMb: number;
}

const MiB = 1024 * 1024;

/**
 * The single node-llama-cpp `Llama` instance of the suite, created on first use (importing and
 * initialising llama.cpp is most of the suite's start-up cost). `gpu: 'auto'` lets node-llama-cpp
 * pick CUDA/Vulkan/Metal when its prebuilt binary finds one; `gpu: false` forces CPU (tests).
 * llama.cpp's own log lines go to the suite logger at debug level. `onReady` runs once on the new
 * instance before anyone else gets it (ModelManagerSuite records the device capacity there);
 * `onError` hears of each failed initialisation.
 */
export class LlamaRuntime {
  private instance?: Promise<Llama>;
  private ready = false;

  constructor(
    private readonly gpu: 'auto' | false | 'cuda' | 'vulkan' | 'metal',
    private readonly log: Logger,
    private readonly hooks: { onReady?: (llama: Llama) => Promise<void>; onError?: (err: unknown) => void } = {},
  ) {}

  /** Whether llama.cpp is initialised (health reports device figures only then, never loads it). */
  get loaded(): boolean {
    return this.ready;
  }

  llama(): Promise<Llama> {
    this.instance ??= (async () => {
      const { getLlama, LlamaLogLevel } = await nodeLlamaCpp();
      const llama = await getLlama({
        gpu: this.gpu,
        build: 'never',
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => {
          const text = message.trim();
          if (!text) return;
          if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) this.log.warn({ llama: true }, text);
          else this.log.debug({ llama: true }, text);
        },
      });
      await this.hooks.onReady?.(llama).catch((err: Error) => this.log.warn({ err: err.message }, 'llama ready hook failed'));
      this.ready = true;
      return llama;
    })();
    this.instance.catch((err: unknown) => {
      this.instance = undefined;
      this.hooks.onError?.(err);
    });
    return this.instance;
  }

  /** Measured memory of the budgeted device, from node-llama-cpp. */
  async memoryState(): Promise<MemoryState> {
    return memoryStateOf(await this.llama());
  }

  async dispose(): Promise<void> {
    const inst = this.instance;
    this.instance = undefined;
    this.ready = false;
    if (inst) await inst.then((l) => l.dispose()).catch(() => undefined);
  }
}

/** Memory of the device a Llama instance budgets (VRAM on a GPU backend, else RAM). */
export async function memoryStateOf(llama: Llama): Promise<MemoryState> {
  const usage = await llama.getLlamaMemoryUsage();
  if (llama.gpu !== false) {
    const v = await llama.getVramState();
    return {
      device: 'gpu',
      backend: String(llama.gpu),
      totalMb: mb(v.total),
      usedMb: mb(v.used),
      freeMb: mb(v.free),
      llamaUsedMb: mb(usage.gpuVram),
    };
  }
  const r = await llama.getRamState();
  return {
    device: 'cpu',
    backend: 'cpu',
    totalMb: mb(r.total),
    usedMb: mb(r.total - r.free),
    freeMb: mb(r.free),
    llamaUsedMb: mb(usage.cpuRam),
  };
}

function mb(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}
