import type { EdgeRequest, EdgeResponse, RestService, ServiceContext } from '../types';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets';
import { notImplemented, type S3Call } from './call';
import { listObjectsV1, listObjectsV2 } from './listing';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './objects';
import { header } from './payload';
import { operationOf, parseTarget, type S3Target } from './routing';
import { S3Store } from './store';

type Handler = (call: S3Call) => EdgeResponse;

const HANDLERS: Record<string, Handler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjectsV2: listObjectsV2,
  ListObjects: listObjectsV1,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: (call) => getObject(call, true),
  HeadObject: (call) => getObject(call, false),
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
};

/**
 * S3 over REST/XML as the current `@aws-sdk/client-s3` and `@aws-sdk/lib-storage` speak it: buckets,
 * objects (aws-chunked uploads with trailing checksums, ranges, conditionals, copies), listings and
 * multipart uploads. Path style and `<bucket>.localhost` virtual hosts; any credentials are accepted.
 */
export class S3Service implements RestService {
  readonly name = 's3' as const;
  private readonly store: S3Store;
  /** `operation()` parses the target once; `handle()` reuses it. */
  private readonly targets = new WeakMap<EdgeRequest, S3Target>();

  constructor(private readonly ctx: ServiceContext) {
    this.store = new S3Store(ctx);
  }

  operation(req: EdgeRequest): string {
    const target = parseTarget(req);
    this.targets.set(req, target);
    return operationOf(req.method, target, req.query, header(req, 'x-amz-copy-source') !== undefined);
  }

  handle(operation: string, req: EdgeRequest): EdgeResponse {
    const target = this.targets.get(req) ?? parseTarget(req);
    const handler = HANDLERS[operation];
    if (!handler) throw notImplemented(operation);
    return handler({ req, bucket: target.bucket ?? '', key: target.key ?? '', store: this.store, ctx: this.ctx });
  }

  close(): void {
    this.store.close();
  }
}
