import { z } from 'zod';

/**
 * MemoryClient (legacy 5713), memory_hub.md §2.1 "intended process_request contract". In the hub
 * its circuit breaker guards the memory store (3 consecutive storage failures open it for 60 s).
 */
export const healthCheck = z.looseObject({});
export const resetCircuitBreaker = z.looseObject({});
