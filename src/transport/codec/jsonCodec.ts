import { isUtf8 } from 'node:buffer';
import { CodecError, type Codec } from './Codec.js';

// Python's json module may emit NaN / Infinity (infrastructure.md §1.2); JSON.parse rejects them.
const NON_FINITE = /(?<=[:\[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;

export const jsonCodec: Codec = {
  name: 'json',
  encode(value) {
    return Buffer.from(JSON.stringify(value ?? null), 'utf8');
  },
  decode(frame) {
    // isUtf8 + toString is several times cheaper than a fatal TextDecoder on small frames.
    if (!isUtf8(frame)) throw new CodecError('Invalid UTF-8 request');
    let text = frame.toString('utf8');
    // A leading byte-order mark is not JSON; TextDecoder used to drop it, so keep doing that.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      return JSON.parse(text);
    } catch {
      if (/NaN|Infinity/.test(text)) {
        try {
          return JSON.parse(text.replace(NON_FINITE, 'null'));
        } catch {
          /* fall through */
        }
      }
      throw new CodecError('Invalid JSON request');
    }
  },
};
