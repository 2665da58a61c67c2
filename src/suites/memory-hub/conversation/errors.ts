/** A named session, fact, twin or memory does not exist. Agents word the reply in their own convention. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly what: string,
    readonly id: string,
    message = `${what} not found: ${id}`,
  ) {
    super(message);
  }
}

/** The request is well-formed but the target cannot take it (e.g. an expired session). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** Input the services refuse (bad pattern, empty text after trimming...). */
export class InputError extends Error {
  override readonly name = 'InputError';
}
