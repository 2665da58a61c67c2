import { resolve } from 'node:path';

/** Environment every command reads the same way (README "Configuration"). */
export interface RuntimeEnv {
  dataRoot: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  errorBusEndpoint?: string;
}

export function runtimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const redis = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  return {
    dataRoot: resolve(env.DATA_DIR ?? 'data'),
    // REDIS_URL=none (or empty) runs without Redis: SQLite only, health "degraded" is not reported.
    redisUrl: redis === '' || redis === 'none' ? undefined : redis,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? '',
    errorBusEndpoint: env.ERROR_BUS_ENDPOINT || undefined,
  };
}
