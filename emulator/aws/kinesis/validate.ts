import { AwsError } from '../errors';

/**
 * AWS-style request validation. Type mismatches are `SerializationException` (the JSON could not be bound to
 * the operation's shape); constraint violations are collected into one `ValidationException` whose message reads
 * like AWS's: `1 validation error detected: Value 'x' at 'streamName' failed to satisfy constraint: ...`.
 */
export class Checks {
  private readonly errors: string[] = [];

  constructor(private readonly input: Record<string, unknown>) {}

  add(value: unknown, member: string, constraint: string): void {
    const shown = value === undefined || value === null ? 'null' : `'${String(value).slice(0, 256)}'`;
    this.errors.push(`Value ${shown} at '${camel(member)}' failed to satisfy constraint: Member must ${constraint}`);
  }

  str(
    member: string,
    opts: { required?: boolean; min?: number; max?: number; pattern?: RegExp; patternText?: string } = {},
  ): string | undefined {
    const v = this.input[member];
    if (v === undefined || v === null) {
      if (opts.required) this.add(v, member, 'not be null');
      return undefined;
    }
    if (typeof v !== 'string') throw typeError(member, 'a string', v);
    if (opts.min !== undefined && v.length < opts.min) this.add(v, member, `have length greater than or equal to ${opts.min}`);
    else if (opts.max !== undefined && v.length > opts.max) this.add(v, member, `have length less than or equal to ${opts.max}`);
    else if (opts.pattern && !opts.pattern.test(v)) this.add(v, member, `satisfy regular expression pattern: ${opts.patternText ?? opts.pattern.source}`);
    return v;
  }

  int(member: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = this.input[member];
    if (v === undefined || v === null) {
      if (opts.required) this.add(v, member, 'not be null');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(member, 'an integer', v);
    if (opts.min !== undefined && v < opts.min) this.add(v, member, `have value greater than or equal to ${opts.min}`);
    else if (opts.max !== undefined && v > opts.max) this.add(v, member, `have value less than or equal to ${opts.max}`);
    return v;
  }

  bool(member: string): boolean | undefined {
    const v = this.input[member];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw typeError(member, 'a boolean', v);
    return v;
  }

  /** Epoch seconds (the JSON 1.1 timestamp format); also accepts an ISO-8601 string. Returns epoch seconds. */
  timestamp(member: string, value: unknown = this.input[member]): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string') {
      const n = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value) / 1000;
      if (Number.isFinite(n)) return n;
    }
    throw typeError(member, 'a timestamp', value);
  }

  obj(member: string, opts: { required?: boolean } = {}): Record<string, unknown> | undefined {
    const v = this.input[member];
    if (v === undefined || v === null) {
      if (opts.required) this.add(v, member, 'not be null');
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw typeError(member, 'a structure', v);
    return v as Record<string, unknown>;
  }

  enumOf<T extends string>(member: string, values: readonly T[], opts: { required?: boolean } = {}): T | undefined {
    const v = this.str(member, opts);
    if (v !== undefined && !values.includes(v as T)) this.add(v, member, `satisfy enum value set: [${values.join(', ')}]`);
    return v as T | undefined;
  }

  /** Throw the collected ValidationException, if any. */
  done(): void {
    const n = this.errors.length;
    if (n === 0) return;
    throw new AwsError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${this.errors.join('; ')}`, 400);
  }
}

export function typeError(member: string, expected: string, got: unknown): AwsError {
  const kind = Array.isArray(got) ? 'array' : typeof got;
  return new AwsError('SerializationException', `Value of '${member}' must be ${expected}, got ${kind}`, 400);
}

function camel(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

export const STREAM_NAME = { min: 1, max: 128, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' };
export const STREAM_ARN = { min: 1, max: 2048, pattern: /^arn:aws.*:kinesis:.*:\d{12}:stream\/\S+$/, patternText: 'arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+' };
export const SHARD_ID = { min: 1, max: 128, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' };
export const HASH_KEY = { pattern: /^(0|[1-9]\d{0,38})$/, patternText: '0|([1-9]\\d{0,38})' };
export const SEQUENCE_NUMBER = { pattern: /^(0|[1-9]\d{0,128})$/, patternText: '0|([1-9]\\d{0,128})' };
