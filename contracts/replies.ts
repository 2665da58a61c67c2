import { z } from 'zod';

/**
 * Building blocks of the published reply shapes (ActionDefinition.reply → `<action>.reply` in
 * contracts/schema). Replies may carry more fields than listed (request_id, later additions).
 */
export const success = <T extends z.ZodRawShape>(shape: T) => z.looseObject({ status: z.literal('success'), ...shape });
export const epoch = z.number().describe('epoch seconds');
