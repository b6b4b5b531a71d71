/** The `input` block every stream-consuming app shares (s3-loader, transformer): stream, lease table, start, batch size. */
export interface ConsumerInput {
  stream: string;
  /** KCL application name = DynamoDB lease table. */
  applicationName: string;
  /** Where a brand-new application starts reading. */
  initialPosition: 'TRIM_HORIZON' | 'LATEST';
  /** GetRecords limit. */
  maxRecords: number;
}

/** JSON schema of the `input` block; `stream` defaults per app, so it is optional here. */
export function consumerInputSchema(defaultApplicationName?: string): object {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      stream: { type: 'string', minLength: 1 },
      applicationName: { type: 'string', minLength: 3, ...(defaultApplicationName ? { default: defaultApplicationName } : {}) },
      initialPosition: { enum: ['TRIM_HORIZON', 'LATEST'], default: 'TRIM_HORIZON' },
      maxRecords: { type: 'integer', minimum: 1, maximum: 10_000, default: 1_000 },
    },
  };
}
