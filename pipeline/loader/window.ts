/**
 * A window to load: the validated `shredding_complete` message plus what every target derives from it
 * (the self-describing columns, the S3 location of `output=good/`). A window this loader can never load
 * (shredded or Parquet output, a column name that is not a safe identifier, a base that is not an S3
 * folder) is a `WindowRejected`: it goes to the dead-letter queue instead of being retried.
 */
import { IgluParseError } from '../core/schema-key';
import type { ShreddingComplete } from '../core/shredding-complete';
import { entityColumnsOf, InvalidIdentifierError, type EntityColumn } from '../core/wide-row';

export class WindowRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowRejected';
  }
}

export interface LoadWindow {
  message: ShreddingComplete;
  /** Run folder URI with trailing slash (the manifest key). */
  base: string;
  /** `run=…` folder name, for logs. */
  runId: string;
  /** Self-describing columns the window needs (validated identifiers). */
  columns: EntityColumn[];
  /** Where the wide-row files are: `s3://<bucket>/<prefix>` with prefix ending in `output=good/`. */
  good: { bucket: string; prefix: string } | null;
}

/** Characters a run folder path may contain: keeps the stage reference `@stage/<path>` free of SQL syntax. */
export const SAFE_PATH = /^[A-Za-z0-9=._\-/]*$/;

export function prepareWindow(message: ShreddingComplete): LoadWindow {
  if (message.typesInfo.transformation !== 'WIDEROW') throw new WindowRejected('shredded output is not supported: the loader loads WIDEROW JSON windows only');
  if (message.typesInfo.fileFormat !== 'JSON') throw new WindowRejected(`${message.typesInfo.fileFormat} wide rows are not supported: the loader loads WIDEROW JSON windows only`);
  let columns: EntityColumn[];
  try {
    columns = entityColumnsOf(message.typesInfo.types);
  } catch (err) {
    if (err instanceof InvalidIdentifierError || err instanceof IgluParseError) throw new WindowRejected(`cannot derive a column name: ${err.message}`);
    throw err;
  }
  const m = /^s3a?:\/\/([^/]+)\/(.*)$/.exec(message.base);
  const good = m ? { bucket: m[1]!, prefix: `${m[2]!}output=good/` } : null;
  const runId = /([^/]+)\/$/.exec(message.base)?.[1] ?? message.base;
  return { message, base: message.base, runId, columns, good };
}
