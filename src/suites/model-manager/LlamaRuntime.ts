import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
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
 * The single node-llama-cpp `Llama` instance of the suite. `gpu: 'auto'` lets node-llama-cpp
 * pick CUDA/Vulkan/Metal when its prebuilt binary finds one; `gpu: false` forces CPU (tests).
 * llama.cpp's own log lines go to the suite logger at debug level.
 */
export class LlamaRuntime {
  private instance?: Promise<Llama>;

  constructor(
    private readonly gpu: 'auto' | false | 'cuda' | 'vulkan' | 'metal',
    private readonly log: Logger,
  ) {}

  llama(): Promise<Llama> {
    this.instance ??= getLlama({
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
    this.instance.catch(() => {
      this.instance = undefined;
    });
    return this.instance;
  }

  /** Measured memory of the budgeted device, from node-llama-cpp. */
  async memoryState(): Promise<MemoryState> {
    const llama = await this.llama();
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

  async dispose(): Promise<void> {
    const inst = this.instance;
    this.instance = undefined;
    if (inst) await inst.then((l) => l.dispose()).catch(() => undefined);
  }
}

function mb(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}
