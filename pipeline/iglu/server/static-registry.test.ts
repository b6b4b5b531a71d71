import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../emulator/aws/index';
import { emulatorSettings, s3Client } from '../../streams/aws-clients';
import { connect } from 'node:net';
import { parseSchemaKey } from '../../core/schema-key';
import { EmbeddedRepository, HttpRepository } from '../repositories';
import { Resolver } from '../resolver';
import { selfDescribingSchema } from '../testing';
import { DirectorySource, S3Source, parseS3Url, startStaticRegistry, type RunningStaticRegistry } from './static-registry';

const URI = 'iglu:com.acme/static/jsonschema/1-0-0';

describe('static registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'furrow-static-'));
  let fromDir: RunningStaticRegistry;
  let fromS3: RunningStaticRegistry;
  let aws: RunningEmulator;

  beforeAll(async () => {
    mkdirSync(join(dir, 'schemas/com.acme/static/jsonschema'), { recursive: true });
    writeFileSync(join(dir, 'schemas/com.acme/static/jsonschema/1-0-0'), JSON.stringify(selfDescribingSchema(URI, { description: 'from dir' })));
    // schema-shaped, but beside schemas/, not in it: reachable only as vendor `..`
    mkdirSync(join(dir, 'outside/jsonschema'), { recursive: true });
    writeFileSync(join(dir, 'outside/jsonschema/1-0-0'), JSON.stringify(selfDescribingSchema('iglu:com.secret/outside/jsonschema/1-0-0')));
    fromDir = await startStaticRegistry(new DirectorySource(dir));
    aws = await startEmulator({ port: 0 });
    const s3 = s3Client(emulatorSettings(aws.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'registry' }));
    await s3.send(new PutObjectCommand({ Bucket: 'registry', Key: 'iglu/schemas/com.acme/static/jsonschema/1-0-0', Body: JSON.stringify(selfDescribingSchema(URI, { description: 'from s3' })) }));
    const { bucket, prefix } = parseS3Url('s3://registry/iglu');
    fromS3 = await startStaticRegistry(new S3Source(s3, bucket, prefix));
  });
  afterAll(async () => {
    await fromDir?.stop();
    await fromS3?.stop();
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the Iglu static layout from a folder and from an S3 prefix, which the resolver reads', async () => {
    for (const [reg, description] of [
      [fromDir, 'from dir'],
      [fromS3, 'from s3'],
    ] as const) {
      const r = await new Resolver([new HttpRepository({ name: 'static', priority: 0, vendorPrefixes: [] }, { uri: reg.url })]).lookupSchema(URI);
      expect(r.ok && r.schema.description).toBe(description);
      expect((await fetch(`${reg.url}/schemas/com.acme/static/jsonschema/1-0-1`)).status).toBe(404);
    }
  });

  it('is read-only and rejects paths that are not schema keys', async () => {
    expect((await fetch(`${fromDir.url}/schemas/com.acme/static/jsonschema/1-0-0`, { method: 'PUT', body: '{}' })).status).toBe(405);
    const traversal = await fetch(`${fromDir.url}/schemas/..%2F..%2Fetc/passwd/jsonschema/1-0-0`);
    expect(traversal.status).toBe(400);
    expect(((await traversal.json()) as { message: string }).message).toMatch(/invalid vendor/);
    expect((await fetch(`${fromDir.url}/schemas/com.acme/static`)).status).toBe(404);
    expect(() => parseS3Url('https://x')).toThrow(/s3:\/\//);
  });

  it('never reads outside schemas/ for vendor `..` (valid in the SchemaKey grammar): static server, embedded and HTTP repositories', async () => {
    // raw request: fetch() would normalise the dot segment away before sending
    const raw = await new Promise<string>((resolve) => {
      let got = '';
      const s = connect(fromDir.port, '127.0.0.1', () => s.write('GET /schemas/../outside/jsonschema/1-0-0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('close', () => resolve(got));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 404 /);
    const key = parseSchemaKey('iglu:../outside/jsonschema/1-0-0');
    const ref = { name: 'r', priority: 0, vendorPrefixes: [] };
    expect((await new EmbeddedRepository(ref, dir).lookup(key)).ok).toBe(false);
    expect((await new EmbeddedRepository(ref, dir).list('..', 'outside', 1)).ok).toBe(false);
    expect((await new HttpRepository(ref, { uri: fromDir.url }).lookup(key)).ok).toBe(false);
  });
});
