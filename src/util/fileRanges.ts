import { readSync, writeSync } from 'node:fs';

/** Largest single read or write: readSync/writeSync refuse lengths past 2 GiB. */
const CHUNK = 1 << 30;

/**
 * Fills `into` from `fd` starting at byte `position`, looping over short reads. Returns the bytes
 * read: fewer than `into.length` only where the file ends first (the caller says what that means).
 */
export function readFullyAt(fd: number, into: Uint8Array, position: number): number {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, Math.min(CHUNK, into.length - got), position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Writes all of `bytes` at `fd`'s current position, looping over short writes. */
export function writeFully(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
}
