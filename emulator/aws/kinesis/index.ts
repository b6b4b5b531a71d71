import { AwsError } from '../errors';
import type { EdgeRequest, JsonService, ServiceContext } from '../types';

/** Placeholder until the service lands: every operation is unknown. */
export interface KinesisOptions {
  /** Enforce AWS per-shard limits with the real throttling errors. */
  strict?: boolean;
}

export class KinesisService implements JsonService {
  readonly name = 'kinesis' as const;
  constructor(_ctx: ServiceContext, _options: KinesisOptions = {}) {}
  handle(operation: string, _input: any, _req: EdgeRequest): unknown {
    throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported`, 400);
  }
}
