import { AwsError } from '../errors';
import type { EdgeRequest, JsonService, ServiceContext } from '../types';

/** Placeholder until the service lands: every operation is unknown. */
export class DynamoDbService implements JsonService {
  readonly name = 'dynamodb' as const;
  constructor(_ctx: ServiceContext) {}
  handle(operation: string, _input: any, _req: EdgeRequest): unknown {
    throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported`, 400);
  }
}
