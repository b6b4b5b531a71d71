import { join } from 'node:path';
import { AwsError } from '../errors';
import type { Journal } from '../journal';
import type { ServiceContext } from '../types';
import { FileBodies, MemoryBodies, type BodyStore } from './bodies';
import type { ChecksumAlgorithm } from './checksums';
import { SortedKeys } from './keys';

/** The HTTP-level properties S3 keeps with an object and returns on GET/HEAD. */
export interface ObjectProps {
  contentType: string;
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  expires?: string;
  /** `x-amz-meta-*` user metadata, names lower-cased without the prefix. */
  metadata: Record<string, string>;
  storageClass: string;
}

export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64; COMPOSITE values end in `-<parts>`. */
  value: string;
  type: ChecksumType;
}

export interface S3Object extends ObjectProps {
  key: string;
  /** Body id in the BodyStore. */
  body: string;
  size: number;
  /** Quoted, as on the wire: `"<md5 hex>"` or `"<md5 of part md5s>-<n>"`. */
  etag: string;
  /** Milliseconds since the epoch. */
  lastModified: number;
  checksum?: StoredChecksum;
  partsCount?: number;
}

export interface Bucket {
  name: string;
  created: number;
  region: string;
  objects: Map<string, S3Object>;
  keys: SortedKeys;
}

export interface UploadPart {
  partNumber: number;
  body: string;
  size: number;
  etag: string;
  lastModified: number;
  /** Base64 checksum in the upload's algorithm, when it has one. */
  checksum?: string;
}

export interface MultipartUploadInfo {
  id: string;
  bucket: string;
  key: string;
  initiated: number;
  props: ObjectProps;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
}

export interface MultipartUpload extends MultipartUploadInfo {
  parts: Map<number, UploadPart>;
}

/** One journaled mutation. Bodies are written before the record that refers to them. */
export type S3Record =
  | { op: 'createBucket'; name: string; created: number; region: string }
  | { op: 'deleteBucket'; name: string }
  | { op: 'putObject'; bucket: string; object: S3Object }
  | { op: 'deleteObject'; bucket: string; key: string }
  | { op: 'createUpload'; upload: MultipartUploadInfo }
  | { op: 'putPart'; uploadId: string; part: UploadPart }
  | { op: 'endUpload'; uploadId: string };

export const noSuchBucket = (name: string) =>
  new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: name });
export const noSuchUpload = (id: string) =>
  new AwsError(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    { UploadId: id },
  );

/**
 * S3's state: buckets, objects and in-progress multipart uploads, in memory, with every mutation
 * journaled (when the emulator persists) before it is applied and answered.
 */
export class S3Store {
  readonly bodies: BodyStore;
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, MultipartUpload>();
  private readonly journal: Journal<S3Record> | null;

  constructor(ctx: ServiceContext) {
    this.journal = ctx.journal<S3Record>('s3');
    if (this.journal) {
      const dataDir = ctx.dataDir?.();
      if (!dataDir) throw new Error('S3 persistence needs ServiceContext.dataDir() next to its journal');
      this.bodies = new FileBodies(join(dataDir, 's3-bodies'));
      const records = this.journal.read();
      for (const record of records) this.apply(record);
      this.bodies.retainOnly(this.liveBodies());
      // A process that is always killed never compacts in close(); keep the journal from growing without bound.
      const snapshot = [...this.snapshot()];
      if (records.length > snapshot.length) this.journal.compact(snapshot);
    } else {
      this.bodies = new MemoryBodies();
    }
  }

  // ---- buckets ----

  findBucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw noSuchBucket(name);
    return b;
  }

  /** Buckets in name order. */
  listBuckets(): Bucket[] {
    return [...this.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  createBucket(name: string, region: string, created: number): Bucket {
    if (this.buckets.has(name))
      throw new AwsError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, {
        BucketName: name,
      });
    this.commit([{ op: 'createBucket', name, created, region }]);
    return this.bucket(name);
  }

  deleteBucket(name: string): void {
    const b = this.bucket(name);
    if (b.objects.size > 0)
      throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: name });
    this.commit([{ op: 'deleteBucket', name }]);
  }

  // ---- objects ----

  putObject(bucket: string, object: S3Object): void {
    this.bucket(bucket);
    this.commit([{ op: 'putObject', bucket, object }]);
  }

  /** Idempotent: deleting a missing key is not an error (and writes nothing). */
  deleteObject(bucket: string, key: string): void {
    if (!this.bucket(bucket).objects.has(key)) return;
    this.commit([{ op: 'deleteObject', bucket, key }]);
  }

  // ---- multipart uploads ----

  createUpload(info: MultipartUploadInfo): void {
    this.bucket(info.bucket);
    this.commit([{ op: 'createUpload', upload: info }]);
  }

  /** The upload `id` for `bucket`/`key`, or NoSuchUpload. */
  upload(id: string, bucket: string, key: string): MultipartUpload {
    this.bucket(bucket);
    const u = this.uploads.get(id);
    if (!u || u.bucket !== bucket || u.key !== key) throw noSuchUpload(id);
    return u;
  }

  listUploads(bucket: string): MultipartUpload[] {
    return [...this.uploads.values()].filter((u) => u.bucket === bucket);
  }

  putPart(uploadId: string, part: UploadPart): void {
    this.commit([{ op: 'putPart', uploadId, part }]);
  }

  /** Publish the assembled object and forget the upload (its part bodies are released). */
  completeUpload(upload: MultipartUpload, object: S3Object): void {
    this.commit([
      { op: 'putObject', bucket: upload.bucket, object },
      { op: 'endUpload', uploadId: upload.id },
    ]);
  }

  abortUpload(uploadId: string): void {
    this.commit([{ op: 'endUpload', uploadId }]);
  }

  /** Rewrite the journal from the current state so it does not grow forever. */
  close(): void {
    this.journal?.compact(this.snapshot());
  }

  // ---- internals ----

  /** Journal first, then apply, then delete bodies nothing refers to any more. */
  private commit(records: S3Record[]): void {
    this.journal?.appendMany(records);
    const released: string[] = [];
    for (const r of records) released.push(...this.apply(r));
    for (const id of released) this.bodies.remove(id);
  }

  /** Apply one record to memory; returns the body ids it stopped referring to. */
  private apply(r: S3Record): string[] {
    switch (r.op) {
      case 'createBucket':
        if (!this.buckets.has(r.name))
          this.buckets.set(r.name, { name: r.name, created: r.created, region: r.region, objects: new Map(), keys: new SortedKeys() });
        return [];
      case 'deleteBucket': {
        const released: string[] = [];
        for (const u of this.uploads.values()) if (u.bucket === r.name) released.push(...this.dropUpload(u.id));
        const b = this.buckets.get(r.name);
        if (b) for (const o of b.objects.values()) released.push(o.body);
        this.buckets.delete(r.name);
        return released;
      }
      case 'putObject': {
        const b = this.buckets.get(r.bucket);
        if (!b) return [r.object.body];
        const old = b.objects.get(r.object.key);
        b.objects.set(r.object.key, r.object);
        b.keys.add(r.object.key);
        return old && old.body !== r.object.body ? [old.body] : [];
      }
      case 'deleteObject': {
        const b = this.buckets.get(r.bucket);
        const old = b?.objects.get(r.key);
        if (!b || !old) return [];
        b.objects.delete(r.key);
        b.keys.delete(r.key);
        return [old.body];
      }
      case 'createUpload':
        this.uploads.set(r.upload.id, { ...r.upload, parts: new Map() });
        return [];
      case 'putPart': {
        const u = this.uploads.get(r.uploadId);
        if (!u) return [r.part.body];
        const old = u.parts.get(r.part.partNumber);
        u.parts.set(r.part.partNumber, r.part);
        return old ? [old.body] : [];
      }
      case 'endUpload':
        return this.dropUpload(r.uploadId);
    }
  }

  private dropUpload(id: string): string[] {
    const u = this.uploads.get(id);
    if (!u) return [];
    this.uploads.delete(id);
    return [...u.parts.values()].map((p) => p.body);
  }

  private liveBodies(): Set<string> {
    const live = new Set<string>();
    for (const b of this.buckets.values()) for (const o of b.objects.values()) live.add(o.body);
    for (const u of this.uploads.values()) for (const p of u.parts.values()) live.add(p.body);
    return live;
  }

  private *snapshot(): Iterable<S3Record> {
    for (const b of this.buckets.values()) {
      yield { op: 'createBucket', name: b.name, created: b.created, region: b.region };
      for (const o of b.objects.values()) yield { op: 'putObject', bucket: b.name, object: o };
    }
    for (const u of this.uploads.values()) {
      const { parts, ...info } = u;
      yield { op: 'createUpload', upload: info };
      for (const p of parts.values()) yield { op: 'putPart', uploadId: u.id, part: p };
    }
  }
}
