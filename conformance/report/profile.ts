/**
 * How big a conformance run is. `npm test` runs the small, fixed-seed profile; `npm run conformance`
 * runs the full profile (more generated cases, longer fault and fuzz runs) with a fresh seed unless one
 * is given, so a failure can be replayed with `npm run conformance -- --seed N`.
 */
export type ConformanceSize = 'small' | 'full';

export interface ConformanceProfile {
  size: ConformanceSize;
  /** fast-check seed for every property in the run; printed by each suite so failures replay. */
  seed: number;
  /** Pick the case count for this profile. */
  runs(small: number, full: number): number;
}

/** The seed `npm test` always uses, so CI failures reproduce exactly. */
export const FIXED_SEED = 20261127;

export function conformanceProfile(env: NodeJS.ProcessEnv = process.env): ConformanceProfile {
  const raw = env.FURROW_CONFORMANCE_SIZE ?? 'small';
  if (raw !== 'small' && raw !== 'full') throw new Error(`FURROW_CONFORMANCE_SIZE must be small or full, got '${raw}'`);
  const seedText = env.FURROW_CONFORMANCE_SEED;
  const seed = seedText === undefined || seedText === '' ? FIXED_SEED : Number(seedText);
  if (!Number.isSafeInteger(seed)) throw new Error(`FURROW_CONFORMANCE_SEED must be an integer, got '${seedText}'`);
  return { size: raw, seed, runs: (small, full) => (raw === 'full' ? full : small) };
}
