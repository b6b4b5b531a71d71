/**
 * A new PGlite database without running initdb every time. initdb (a WASM program of its own) costs about
 * 2 CPU-seconds, a third of the laptop pipeline's start-up when two databases start; loading a freshly
 * initialised cluster from a tar costs about 0.5. So the first start on a machine runs initdb once, in a
 * throwaway in-memory PGlite, and keeps that pristine cluster as a tar (~40 MB) in
 * `node_modules/.cache/furrow/` (per PGlite version); every database after that, in this process or a later
 * one, loads it. A missing, unwritable or broken cache only costs the time it would have saved.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { PROJECT_ROOT } from '../../pipeline/runtime/project';

const CACHE_DIR = resolve(PROJECT_ROOT, 'node_modules/.cache/furrow');

let pristine: Promise<Blob | null> | null = null;

/**
 * A Blob over bytes already in memory. PGlite only calls `arrayBuffer()` on it; Node's own Blob copies its
 * 40 MB through a stream in small chunks for that, a fifth of a second per database.
 */
function inMemoryBlob(bytes: Uint8Array): Blob {
  // readFileSync gives a file this large an ArrayBuffer of its own: hand it over rather than copy 40 MB.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const ab = (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer;
  return { size: bytes.length, type: '', arrayBuffer: async () => ab } as Blob;
}

function pgliteVersion(): string {
  try {
    return (JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const cacheFile = () => join(CACHE_DIR, `pglite-${pgliteVersion()}-pristine-cluster.tar`);

/** The pristine cluster: from memory, else the disk cache, else made now (initdb) and cached. Null if it cannot be made. */
function pristineCluster(): Promise<Blob | null> {
  pristine ??= (async () => {
    const file = cacheFile();
    try {
      const buf = readFileSync(file);
      if (buf.length > 0) return inMemoryBlob(buf);
    } catch {
      /* not cached yet */
    }
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = await PGlite.create();
      const tar = await db.dumpDataDir('none');
      await db.close();
      try {
        mkdirSync(CACHE_DIR, { recursive: true });
        // Whole or not at all: several processes may make it at once.
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, Buffer.from(await tar.arrayBuffer()));
        renameSync(tmp, file);
      } catch {
        /* read-only checkout: keep it in memory only */
      }
      return inMemoryBlob(new Uint8Array(await tar.arrayBuffer()));
    } catch {
      return null;
    }
  })();
  return pristine;
}

/**
 * `PGlite.create(options)`, loading a pristine cluster instead of running initdb when the database is new
 * (in memory, or a `dataDir` without a cluster yet). An existing `dataDir` or an explicit `loadDataDir` is
 * opened as given.
 */
export async function createPglite(options: PGliteOptions = {}): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (options.loadDataDir || (options.dataDir && existsSync(join(options.dataDir, 'PG_VERSION')))) return PGlite.create(options);
  const tar = await pristineCluster();
  if (tar) {
    try {
      return await PGlite.create({ ...options, loadDataDir: tar });
    } catch {
      // A broken cache: forget it and fall back to initdb.
      rmSync(cacheFile(), { force: true });
      pristine = null;
    }
  }
  return PGlite.create(options);
}
