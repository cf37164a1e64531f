/** mulberry32: small, seeded and good enough to make fuzz failures reproduce exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PULLMEDIC_FUZZ_SEED overrides the default, to explore; the seed is printed with any failure. */
export function fuzzSeed(defaultSeed: number): number {
  const env = process.env["PULLMEDIC_FUZZ_SEED"];
  return env === undefined ? defaultSeed : Number(env) >>> 0;
}
