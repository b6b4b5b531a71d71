import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeSync, fsyncSync } from 'node:fs';
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
    const out: R[] = [];
    this.forEach((r) => out.push(r));
    return out;
  }

  /**
   * Visit every record in order, reading the file in 4 MiB chunks so a journal larger than the biggest
   * string V8 can hold (~512 MB) still replays.
   */
  forEach(visit: (record: R) => void): void {
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, 'r');
    const chunk = Buffer.allocUnsafe(4 * 1024 * 1024);
    let carry: Buffer = Buffer.alloc(0);
    const parse = (line: Buffer) => {
      if (line.length === 0) return;
      try {
        visit(JSON.parse(line.toString('utf8')) as R);
      } catch {
        // Only the last line can be torn; anything unparsable is skipped rather than failing start-up.
      }
    };
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, null);
        if (n === 0) break;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
          parse(data.subarray(start, nl));
          start = nl + 1;
        }
        // Keep the unfinished line (copied: the chunk buffer is reused).
        carry = Buffer.from(data.subarray(start));
      }
      parse(carry);
    } finally {
      closeSync(fd);
    }
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
