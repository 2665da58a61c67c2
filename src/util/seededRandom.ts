/**
 * mulberry32: a small, fast PRNG that gives the same sequence on every platform for a seed. Used
 * wherever output must be reproducible: the tiny model's weights, fuzz frames, benchmark texts.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
