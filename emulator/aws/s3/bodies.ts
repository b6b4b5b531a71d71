import { randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where object and part bytes live, by opaque id. Metadata (in the store and its journal) refers to
 * bodies by id; a body is written before any record refers to it and removed only after the record
 * that stops referring to it.
 */
export interface BodyStore {
  /** Store `data`, return its new id. */
  put(data: Buffer): string;
  /** A new body with the same bytes as `id`. */
  copy(id: string): string;
  /** A new body with the bytes of `ids` in order (completing a multipart upload). */
  concat(ids: string[]): string;
  /** Bytes [start, end) of `id`; the whole body when no range is given. */
  read(id: string, start?: number, end?: number): Buffer;
  /** Feed the body to `fn` in bounded chunks (checksums of assembled objects). */
  forEachChunk(id: string, fn: (chunk: Buffer) => void): void;
  remove(id: string): void;
  /** Drop every body not in `live` (leftovers of a crash between writing a body and journaling it). */
  retainOnly(live: Set<string>): void;
}

export class MemoryBodies implements BodyStore {
  private readonly bodies = new Map<string, Buffer>();

  put(data: Buffer): string {
    const id = randomUUID();
    this.bodies.set(id, data);
    return id;
  }
  copy(id: string): string {
    return this.put(this.get(id)); // buffers are never mutated, so sharing is safe
  }
  concat(ids: string[]): string {
    return this.put(Buffer.concat(ids.map((id) => this.get(id))));
  }
  read(id: string, start?: number, end?: number): Buffer {
    const data = this.get(id);
    return start === undefined ? data : data.subarray(start, end);
  }
  forEachChunk(id: string, fn: (chunk: Buffer) => void): void {
    fn(this.get(id));
  }
  remove(id: string): void {
    this.bodies.delete(id);
  }
  retainOnly(live: Set<string>): void {
    for (const id of this.bodies.keys()) if (!live.has(id)) this.bodies.delete(id);
  }
  private get(id: string): Buffer {
    const data = this.bodies.get(id);
    if (!data) throw new Error(`S3 body ${id} is missing`);
    return data;
  }
}

const COPY_CHUNK = 1 << 20;

/** Bodies as files in one directory, so objects survive restarts and do not sit in memory. */
export class FileBodies implements BodyStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  put(data: Buffer): string {
    const id = randomUUID();
    const fd = openSync(this.path(id), 'w');
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    } finally {
      closeSync(fd);
    }
    return id;
  }
  copy(id: string): string {
    const next = randomUUID();
    copyFileSync(this.path(id), this.path(next));
    return next;
  }
  concat(ids: string[]): string {
    const next = randomUUID();
    const out = openSync(this.path(next), 'w');
    try {
      for (const id of ids) this.forEachChunk(id, (chunk) => {
        let off = 0;
        while (off < chunk.length) off += writeSync(out, chunk, off, chunk.length - off);
      });
    } finally {
      closeSync(out);
    }
    return next;
  }
  read(id: string, start = 0, end?: number): Buffer {
    const fd = openSync(this.path(id), 'r');
    try {
      const stop = end ?? statSync(this.path(id)).size;
      const buf = Buffer.allocUnsafe(Math.max(0, stop - start));
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, start + got);
        if (n === 0) break;
        got += n;
      }
      return got === buf.length ? buf : buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }
  forEachChunk(id: string, fn: (chunk: Buffer) => void): void {
    const fd = openSync(this.path(id), 'r');
    try {
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      let pos = 0;
      while (true) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        fn(buf.subarray(0, n));
        pos += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  remove(id: string): void {
    rmSync(this.path(id), { force: true });
  }
  retainOnly(live: Set<string>): void {
    for (const name of readdirSync(this.dir)) if (!live.has(name)) rmSync(join(this.dir, name), { force: true });
  }
  private path(id: string): string {
    return join(this.dir, id);
  }
}
