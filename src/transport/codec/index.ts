import type { Codec } from './Codec.js';
import { jsonCodec } from './jsonCodec.js';
import { msgpackCodec } from './msgpackCodec.js';

export { CodecError, type Codec } from './Codec.js';
export { jsonCodec, msgpackCodec };

/**
 * Picks the codec of one frame. A msgpack request is a map, so its first byte is a fixmap
 * (0x80–0x8f) or map16/map32 (0xde/0xdf); none of those can start valid UTF-8 text (a 0xde lead
 * byte is followed by a length byte < 0x80, never a continuation byte), so there is no overlap
 * with JSON. Everything else is treated as JSON text, so plain "ping" or bad UTF-8 gets the legacy
 * "Invalid JSON/UTF-8 request" answer.
 */
export function detectCodec(frame: Buffer): Codec {
  if (frame.length === 0) return jsonCodec;
  const b = frame[0]!;
  if ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf) {
    if (b === 0xde || b === 0xdf) {
      // A genuine map16/map32 header is followed by a length; a UTF-8 two-byte char by 0x80–0xbf.
      const next = frame[1];
      if (next !== undefined && next >= 0x80 && next <= 0xbf) return jsonCodec;
    }
    return msgpackCodec;
  }
  return jsonCodec;
}
