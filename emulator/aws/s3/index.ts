import { AwsError } from '../errors';
import type { EdgeRequest, EdgeResponse, RestService, ServiceContext } from '../types';

/** Placeholder until the service lands. */
export class S3Service implements RestService {
  readonly name = 's3' as const;
  constructor(_ctx: ServiceContext) {}
  operation(_req: EdgeRequest): string {
    return 'Unknown';
  }
  handle(_operation: string, _req: EdgeRequest): EdgeResponse {
    throw new AwsError('NotImplemented', 'S3 is not implemented yet', 501);
  }
}
