import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Append-only JSON-lines journal of a service's state mutations. Mutations are appended synchronously
 * before the HTTP answer is sent, so anything the emulator acknowledged survives a restart (the OS page
 * cache holds it even if the process is killed with -9). On start the service replays the journal;
 * `compact` rewrites it from a snapshot so it does not grow forever.
 */
export class Journal<R = unknown> {
  private fd: number;
  private readonly path: string;

  constructor(dir: string, readonly name: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${name}.jsonl`);
    this.fd = openSync(this.path, 'a');
  }

  /** Every record written so far, in order. A torn last line (crash mid-write) is ignored. */
  read(): R[] {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    const out: R[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as R);
      } catch {
        // Only the last line can be torn; anything unparsable is skipped rather than failing start-up.
      }
    }
    return out;
  }

  append(record: R): void {
    writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  appendMany(records: R[]): void {
    if (records.length === 0) return;
    let s = '';
    for (const r of records) s += JSON.stringify(r) + '\n';
    writeSync(this.fd, s);
  }

  /** Replace the journal with `records` (a snapshot of the current state), atomically. */
  compact(records: Iterable<R>): void {
    const tmp = this.path + '.tmp';
    const fd = openSync(tmp, 'w');
    let buf = '';
    for (const r of records) {
      buf += JSON.stringify(r) + '\n';
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf) writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, 'a');
  }

  close(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      /* already closed */
    }
    closeSync(this.fd);
  }
}
