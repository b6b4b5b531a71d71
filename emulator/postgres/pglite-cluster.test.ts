import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPglite } from './pglite-cluster';

describe('createPglite (a pristine cluster instead of initdb)', () => {
  it('gives independent in-memory databases', async () => {
    const [a, b] = await Promise.all([createPglite(), createPglite()]);
    try {
      await a.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
      expect((await a.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(1);
      await expect(b.query('SELECT * FROM t')).rejects.toThrow(/does not exist/);
      expect((await b.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v).toMatch(/^\d+/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('lays a new cluster into an empty data directory and resumes it on the next open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'furrow-pglite-'));
    try {
      const db = await createPglite({ dataDir: dir });
      await db.exec('CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
      await db.close();
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
      const again = await createPglite({ dataDir: dir });
      expect((await again.query<{ x: number }>('SELECT x FROM kept')).rows).toEqual([{ x: 42 }]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
