/** Wire encoding of one frame. The server detects it per request and answers in kind. */
export interface Codec {
  readonly name: 'json' | 'msgpack';
  encode(value: unknown): Buffer;
  /** Throws CodecError with a client-facing message when the frame cannot be decoded. */
  decode(frame: Buffer): unknown;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}
