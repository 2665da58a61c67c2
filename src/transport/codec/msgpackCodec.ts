import { Packr } from 'msgpackr';
import { CodecError, type Codec } from './Codec.js';

// Plain JS objects both ways (no Map, no records extension) so replies look like JSON replies.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode(value) {
    return packr.pack(value ?? null);
  },
  decode(frame) {
    try {
      return packr.unpack(frame);
    } catch {
      throw new CodecError('Invalid msgpack request');
    }
  },
};
