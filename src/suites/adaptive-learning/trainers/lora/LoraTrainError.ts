// Errors the LoRA trainer reports before or during a run. Callers branch on `code`.

export type LoraErrorCode =
  | 'INVALID_OPTION'     // an option is out of range or malformed
  | 'FILE_NOT_FOUND'     // model or data file missing
  | 'PATH_NOT_ALLOWED'   // a path outside the caller's allowed roots
  | 'MODEL_UNSUPPORTED'  // not llama, unreadable quantisation, unsupported rope scaling...
  | 'DATA_INVALID'       // malformed data lines (message lists line numbers)
  | 'DATA_EMPTY'         // no trainable tokens
  | 'CHECKPOINT_MISMATCH'// resume checkpoint belongs to a different run
  | 'ABORTED'            // cancelled through the AbortSignal
  | 'WORKER_FAILED';     // the training thread died unexpectedly

export class LoraTrainError extends Error {
  override name = 'LoraTrainError';
  constructor(readonly code: LoraErrorCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}
