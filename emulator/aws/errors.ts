/**
 * AWS error values raised by the emulator's service handlers. The edge renders them in each service's
 * wire shape (JSON `__type` for Kinesis/SQS/DynamoDB, `<Error><Code>` XML for S3) so the real SDK clients
 * raise their typed exceptions (ResourceNotFoundException, NoSuchKey, ...).
 */
export class AwsError extends Error {
  constructor(
    /** Error code exactly as AWS sends it, e.g. `ResourceNotFoundException`, `NoSuchKey`. */
    readonly code: string,
    message: string,
    /** HTTP status. */
    readonly status = 400,
    /** Extra fields for the XML (S3) body, e.g. `{ Key: 'a/b' }`. */
    readonly extra: Record<string, string> = {},
    /** Extra response headers, e.g. SQS's `x-amzn-query-error`. */
    readonly headers: Record<string, string> = {},
    /** Extra members of a JSON error body, e.g. DynamoDB's `Item` on ConditionalCheckFailedException. */
    readonly jsonFields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** Shortcuts for the errors every JSON service shares. */
export const validation = (message: string) => new AwsError('ValidationException', message, 400);
export const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 400);
export const inUse = (message: string) => new AwsError('ResourceInUseException', message, 400);
export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', message, 400);
