import { AwsError } from '../errors';

/**
 * SQS errors. The JSON body names the error shape (`com.amazonaws.sqs#QueueDoesNotExist`); because the
 * client is awsQueryCompatible it first reads the legacy query code from `x-amzn-query-error`
 * (`AWS.SimpleQueueService.NonExistentQueue;Sender`) and maps it back to the typed exception, so both
 * must agree. Codes and statuses come from the SDK's error schemas (`awsQueryError` traits).
 */
const QUERY_CODES: Record<string, readonly [queryCode: string, status: number]> = {
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  OverLimit: ['OverLimit', 403],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  QueueDeletedRecently: ['AWS.SimpleQueueService.QueueDeletedRecently', 400],
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  ResourceNotFoundException: ['ResourceNotFoundException', 404],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
};

export function sqsError(code: string, message: string): AwsError {
  const [queryCode, status] = QUERY_CODES[code] ?? [code, 400];
  return new AwsError(code, message, status, {}, { 'x-amzn-query-error': `${queryCode};Sender` });
}

export const queueDoesNotExist = () => sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
export const invalidParameterValue = (message: string) => sqsError('InvalidParameterValue', message);
export const invalidValue = (name: string, value: unknown, reason: string) =>
  invalidParameterValue(`Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`);
export const missingParameter = (name: string) => sqsError('MissingParameter', `The request must contain the parameter ${name}.`);
export const invalidAttributeName = (name: string) => sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
export const invalidAttributeValue = (name: string, reason?: string) =>
  sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`);
export const receiptHandleIsInvalid = (handle: string) =>
  sqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);

/** A batch entry's failure, as `Failed[]` carries it. */
export interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export function batchFailure(id: string, err: unknown): BatchFailure {
  if (err instanceof AwsError) return { Id: id, SenderFault: err.status < 500, Code: err.code, Message: err.message };
  throw err;
}
