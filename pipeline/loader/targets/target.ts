/** What the loader needs from a warehouse. */
import type { LoadWindow } from '../window';

export type LoadResult =
  /** `duplicates`: the window's events skipped because the table already had them (same event_id and fingerprint). */
  | { outcome: 'loaded'; rows: number; duplicates?: number; columnsAdded: string[] }
  /** The manifest already has this base: nothing was loaded (the message can be acked). */
  | { outcome: 'already-loaded'; columnsAdded: string[] };

export interface LoadTarget {
  readonly kind: 'snowflake' | 'postgres';
  /** Connect, create the schema, `events` and `manifest` tables, add `load_tstamp` if missing. Idempotent. */
  init(): Promise<void>;
  /** `SELECT 1` (the health check). */
  healthCheck(): Promise<void>;
  /**
   * Load one window exactly once: add missing self-describing columns (each in its own transaction),
   * then in one transaction check the manifest, copy the rows and insert the manifest row.
   */
  load(window: LoadWindow): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Test seams. */
export interface LoaderHooks {
  /** Called after the message was received and parsed, before the load (a slow load). */
  beforeLoad?(window: LoadWindow): Promise<void> | void;
  /** Called between the load's COMMIT and the SQS delete (crash simulation). */
  afterLoad?(window: LoadWindow, result: LoadResult): Promise<void> | void;
}
