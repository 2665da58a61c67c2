/**
 * Outcomes of model operations that agents translate into their legacy reply shapes. Agents branch
 * on `code`, never on the message text (STYLE.md "Errors").
 */
export type ModelErrorCode =
  | 'UNKNOWN_MODEL'
  | 'MODEL_FILE_MISSING'
  | 'CORRUPT_MODEL'
  | 'INSUFFICIENT_MEMORY'
  | 'GPU_BUSY'
  | 'RESOURCE_DENIED'
  | 'NOT_LOADED'
  | 'BAD_PARAMS'
  | 'LOAD_FAILED'
  | 'GENERATION_FAILED'
  | 'CLOSED'
  | 'MODEL_EXISTS'
  | 'BAD_ADAPTER'
  | 'MODEL_IN_USE'
  | 'NOT_REGISTERED'
  | 'PATH_NOT_ALLOWED';

export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export function isModelError(err: unknown, code?: ModelErrorCode): err is ModelError {
  return err instanceof ModelError && (code === undefined || err.code === code);
}

/** Text of any thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
