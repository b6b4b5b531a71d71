/**
 * `COPY … FROM STDIN` over a `pg` client without pg-copy-streams: a "submittable" query (pg calls its
 * `submit` and then the protocol handlers) that writes CopyData chunks from an async source, respects
 * socket back-pressure, and resolves with the copied row count. Never use it against PGlite's socket
 * server (it cannot take COPY FROM STDIN; see architecture.md).
 */
import type { PoolClient } from 'pg';

interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
}

class CopyFromStdin {
  private error: Error | null = null;
  private rows = 0;
  private failed = false;
  readonly done: Promise<number>;
  private resolve!: (n: number) => void;
  private reject!: (e: Error) => void;

  constructor(
    private readonly text: string,
    private readonly source: AsyncIterable<string | Buffer>,
  ) {
    this.done = new Promise<number>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    void this.pump(connection);
  }

  private async pump(connection: Connection): Promise<void> {
    try {
      for await (const chunk of this.source) {
        if (this.error) return; // the server refused: stop writing, it answers with ReadyForQuery
        connection.sendCopyFromChunk(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
        if (connection.stream.writableNeedDrain) await new Promise((r) => connection.stream.once('drain', r));
      }
      if (!this.error) connection.endCopyFrom();
    } catch (err) {
      // the source failed (e.g. an unreadable file): abort the COPY, the server rolls the statement back
      this.failed = true;
      this.error = err as Error;
      connection.sendCopyFail(`furrow loader: ${(err as Error).message}`.slice(0, 1000));
    }
  }

  handleCommandComplete(msg: { text?: string; command?: string; rowCount?: number }): void {
    const m = /COPY (\d+)/.exec(msg.text ?? '');
    this.rows = m ? Number(m[1]) : (msg.rowCount ?? 0);
  }

  /** Terminal: pg stops routing messages to a query once the server reported an error (its ReadyForQuery included). */
  handleError(err: Error): void {
    if (!this.failed) this.error = err;
    this.reject(this.error ?? err);
  }

  handleReadyForQuery(): void {
    if (this.error) this.reject(this.error);
    else this.resolve(this.rows);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Run `COPY <table> (<cols>) FROM STDIN` with data from `source`; resolves with the rows copied. */
export function copyFromStdin(client: PoolClient, text: string, source: AsyncIterable<string | Buffer>): Promise<number> {
  const q = new CopyFromStdin(text, source);
  (client as unknown as { query(q: unknown): void }).query(q);
  return q.done;
}
