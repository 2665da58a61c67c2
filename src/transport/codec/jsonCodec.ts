import { CodecError, type Codec } from './Codec.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Python's json module may emit NaN / Infinity (infrastructure.md §1.2); JSON.parse rejects them.
const NON_FINITE = /(?<=[:\[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;

export const jsonCodec: Codec = {
  name: 'json',
  encode(value) {
    return Buffer.from(JSON.stringify(value ?? null), 'utf8');
  },
  decode(frame) {
    let text: string;
    try {
      text = utf8.decode(frame);
    } catch {
      throw new CodecError('Invalid UTF-8 request');
    }
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
