import type { Bench } from './types';

/** Emulator benchmark (Kinesis through the real SDK vs kinesis-local); being written. */
export const bench: Bench = async () => ({ stage: 'emulator', metrics: [], notes: ['not implemented yet'] });
