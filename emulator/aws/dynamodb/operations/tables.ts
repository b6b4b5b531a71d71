import { randomUUID } from 'node:crypto';
import { AwsError, inUse, notFound, validation } from '../../errors';
import type { ServiceContext } from '../../types';
import type { Database, Table, TableMeta } from '../database';
import { constraint, optionalEnum, requireTableName } from '../requests';

/** Control plane: CreateTable, DescribeTable, DeleteTable, ListTables, UpdateTable, TTL and tags. */

const tableNotFound = (name: string) => notFound(`Requested resource not found: Table: ${name} not found`);

function throughputDescription(t: Table): Record<string, unknown> {
  const m = t.meta;
  return {
    NumberOfDecreasesToday: m.decreasesToday,
    ReadCapacityUnits: m.billingMode === 'PROVISIONED' ? m.readCapacityUnits : 0,
    WriteCapacityUnits: m.billingMode === 'PROVISIONED' ? m.writeCapacityUnits : 0,
    ...(m.lastIncreaseAt ? { LastIncreaseDateTime: m.lastIncreaseAt / 1000 } : {}),
    ...(m.lastDecreaseAt ? { LastDecreaseDateTime: m.lastDecreaseAt / 1000 } : {}),
  };
}

/** The TableDescription AWS returns from CreateTable, DescribeTable, UpdateTable and DeleteTable. */
export function describe(t: Table, status: 'ACTIVE' | 'DELETING' = 'ACTIVE'): Record<string, unknown> {
  const m = t.meta;
  return {
    AttributeDefinitions: m.attributeDefinitions,
    TableName: m.name,
    KeySchema: m.keySchema,
    TableStatus: status,
    CreationDateTime: m.createdAt / 1000,
    ProvisionedThroughput: throughputDescription(t),
    TableSizeBytes: t.store.sizeBytes,
    ItemCount: t.store.itemCount,
    TableArn: m.arn,
    TableId: m.id,
    BillingModeSummary: {
      BillingMode: m.billingMode,
      ...(m.payPerRequestSince ? { LastUpdateToPayPerRequestDateTime: m.payPerRequestSince / 1000 } : {}),
    },
    DeletionProtectionEnabled: m.deletionProtection,
    ...(m.tableClass ? { TableClassSummary: { TableClass: m.tableClass } } : {}),
  };
}

function capacityUnits(raw: unknown, member: string): number {
  if (raw === undefined || raw === null) throw constraint(raw, member, 'Member must not be null');
  if (typeof raw !== 'number' || !Number.isInteger(raw)) throw new AwsError('SerializationException', `Unexpected value type for ${member}`);
  if (raw < 1) throw constraint(raw, member, 'Member must have value greater than or equal to 1');
  return raw;
}

function throughput(raw: unknown): { read: number; write: number } | undefined {
  if (raw === undefined || raw === null) return undefined;
  const pt = raw as { ReadCapacityUnits?: unknown; WriteCapacityUnits?: unknown };
  return {
    read: capacityUnits(pt.ReadCapacityUnits, 'provisionedThroughput.readCapacityUnits'),
    write: capacityUnits(pt.WriteCapacityUnits, 'provisionedThroughput.writeCapacityUnits'),
  };
}

function rejectUnsupportedFeatures(input: Record<string, unknown>): void {
  for (const member of ['GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'GlobalSecondaryIndexUpdates', 'ReplicaUpdates']) {
    const v = input[member];
    if (Array.isArray(v) && v.length > 0)
      throw validation(`The Furrow emulator does not support secondary indexes or replicas (${member}); query the base table instead`);
  }
  const stream = input.StreamSpecification as { StreamEnabled?: boolean } | undefined;
  if (stream?.StreamEnabled) throw validation('The Furrow emulator does not support DynamoDB Streams (StreamSpecification.StreamEnabled)');
}

function parseKeySchema(raw: unknown, definitions: TableMeta['attributeDefinitions']): TableMeta['keySchema'] {
  if (!Array.isArray(raw) || raw.length === 0) throw constraint(raw === undefined ? null : raw, 'keySchema', 'Member must have length greater than or equal to 1');
  if (raw.length > 2) {
    const shown = raw.map((k: { AttributeName?: string; KeyType?: string } | null) => `KeySchemaElement(attributeName=${k?.AttributeName}, keyType=${k?.KeyType})`);
    throw validation(`1 validation error detected: Value '[${shown.join(', ')}]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2`);
  }
  const schema = raw.map((k: { AttributeName?: unknown; KeyType?: unknown }, i: number) => {
    if (typeof k?.AttributeName !== 'string' || k.AttributeName.length === 0)
      throw constraint(k?.AttributeName, `keySchema.${i + 1}.member.attributeName`, 'Member must not be null');
    const keyType = optionalEnum(k.KeyType, `keySchema.${i + 1}.member.keyType`, ['HASH', 'RANGE'] as const);
    if (!keyType) throw constraint(null, `keySchema.${i + 1}.member.keyType`, 'Member must not be null');
    return { AttributeName: k.AttributeName, KeyType: keyType };
  });
  if (schema[0]!.KeyType !== 'HASH') throw validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (schema[1] && schema[1].KeyType !== 'RANGE') throw validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  if (schema[1] && schema[1].AttributeName === schema[0]!.AttributeName) throw validation('Invalid KeySchema: Some index key attribute have no definition');
  const defined = new Set(definitions.map((d) => d.AttributeName));
  const missing = schema.filter((k) => !defined.has(k.AttributeName));
  if (missing.length)
    throw validation(
      `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.map((k) => k.AttributeName).join(', ')}], AttributeDefinitions: [${[...defined].join(', ')}]`,
    );
  if (definitions.length !== schema.length)
    throw validation(
      'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
    );
  return schema;
}

function parseAttributeDefinitions(raw: unknown): TableMeta['attributeDefinitions'] {
  if (!Array.isArray(raw)) throw constraint(null, 'attributeDefinitions', 'Member must not be null');
  const seen = new Set<string>();
  return raw.map((d: { AttributeName?: unknown; AttributeType?: unknown }, i: number) => {
    if (typeof d?.AttributeName !== 'string' || d.AttributeName.length === 0)
      throw constraint(d?.AttributeName, `attributeDefinitions.${i + 1}.member.attributeName`, 'Member must not be null');
    const type = optionalEnum(d.AttributeType, `attributeDefinitions.${i + 1}.member.attributeType`, ['B', 'N', 'S'] as const);
    if (!type) throw constraint(null, `attributeDefinitions.${i + 1}.member.attributeType`, 'Member must not be null');
    if (seen.has(d.AttributeName)) throw validation(`Cannot have two attributes with the same name. Attribute name: ${d.AttributeName}`);
    seen.add(d.AttributeName);
    return { AttributeName: d.AttributeName, AttributeType: type };
  });
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class TableOperations {
  constructor(
    private readonly db: Database,
    private readonly ctx: ServiceContext,
  ) {}

  createTable(input: Record<string, unknown>): unknown {
    if (input.TableName === undefined || input.TableName === null)
      throw validation("The parameter 'TableName' is required but was not present in the request");
    const name = requireTableName(input.TableName, 'tableName', 3, false);
    const definitions = parseAttributeDefinitions(input.AttributeDefinitions);
    rejectUnsupportedFeatures(input);
    const keySchema = parseKeySchema(input.KeySchema, definitions);
    const billingMode = optionalEnum(input.BillingMode, 'billingMode', ['PROVISIONED', 'PAY_PER_REQUEST'] as const) ?? 'PROVISIONED';
    const pt = input.ProvisionedThroughput as Record<string, unknown> | undefined;
    let units = { read: 0, write: 0 };
    if (billingMode === 'PROVISIONED') {
      if (!pt || pt.ReadCapacityUnits == null || pt.WriteCapacityUnits == null)
        throw validation('One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
      units = throughput(pt)!;
    } else if (pt && (pt.ReadCapacityUnits != null || pt.WriteCapacityUnits != null))
      throw validation('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    const tableClass = optionalEnum(input.TableClass, 'tableClass', ['STANDARD', 'STANDARD_INFREQUENT_ACCESS'] as const);
    const tags = Array.isArray(input.Tags) ? (input.Tags as ({ Key?: unknown; Value?: unknown } | null)[]).map((t) => ({ Key: String(t?.Key), Value: String(t?.Value ?? '') })) : [];
    if (this.db.has(name)) throw inUse(`Table already exists: ${name}`);
    const now = this.ctx.now();
    const meta: TableMeta = {
      name,
      id: randomUUID(),
      arn: `arn:aws:dynamodb:${this.ctx.region}:${this.ctx.accountId}:table/${name}`,
      createdAt: now,
      keySchema,
      attributeDefinitions: definitions,
      billingMode,
      readCapacityUnits: units.read,
      writeCapacityUnits: units.write,
      decreasesToday: 0,
      ...(billingMode === 'PAY_PER_REQUEST' ? { payPerRequestSince: now } : {}),
      deletionProtection: input.DeletionProtectionEnabled === true,
      ...(tableClass ? { tableClass } : {}),
      tags,
    };
    this.db.commit({ op: 'createTable', table: meta });
    return { TableDescription: describe(this.db.table(name)) };
  }

  private existing(raw: unknown): Table {
    const name = requireTableName(raw);
    const t = this.db.find(name);
    if (!t) throw tableNotFound(name);
    return t;
  }

  describeTable(input: Record<string, unknown>): unknown {
    return { Table: describe(this.existing(input.TableName)) };
  }

  deleteTable(input: Record<string, unknown>): unknown {
    const t = this.existing(input.TableName);
    if (t.meta.deletionProtection)
      throw validation('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
    const description = describe(t, 'DELETING');
    this.db.commit({ op: 'deleteTable', name: t.meta.name });
    return { TableDescription: description };
  }

  listTables(input: Record<string, unknown>): unknown {
    const limit = input.Limit == null ? 100 : (input.Limit as number);
    if (typeof limit !== 'number' || !Number.isInteger(limit)) throw new AwsError('SerializationException', 'Unexpected value type for limit');
    if (limit < 1) throw constraint(limit, 'limit', 'Member must have value greater than or equal to 1');
    if (limit > 100) throw constraint(limit, 'limit', 'Member must have value less than or equal to 100');
    const start = input.ExclusiveStartTableName == null ? undefined : requireTableName(input.ExclusiveStartTableName, 'exclusiveStartTableName', 3);
    // Table names are ASCII, so code-unit order is AWS's order.
    const names = this.db.names().sort();
    const from = start === undefined ? 0 : names.findIndex((n) => n > start);
    const page = from < 0 ? [] : names.slice(from, from + limit);
    const more = from >= 0 && from + limit < names.length;
    return { TableNames: page, ...(more ? { LastEvaluatedTableName: page[page.length - 1] } : {}) };
  }

  updateTable(input: Record<string, unknown>): unknown {
    const t = this.existing(input.TableName);
    rejectUnsupportedFeatures(input);
    const meta: TableMeta = { ...t.meta, tags: [...t.meta.tags] };
    const billingMode = optionalEnum(input.BillingMode, 'billingMode', ['PROVISIONED', 'PAY_PER_REQUEST'] as const);
    const pt = throughput(input.ProvisionedThroughput);
    const tableClass = optionalEnum(input.TableClass, 'tableClass', ['STANDARD', 'STANDARD_INFREQUENT_ACCESS'] as const);
    const protection = typeof input.DeletionProtectionEnabled === 'boolean' ? input.DeletionProtectionEnabled : undefined;
    if (!billingMode && !pt && !tableClass && protection === undefined && !input.SSESpecification && !input.StreamSpecification)
      throw validation(
        'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required',
      );
    const now = this.ctx.now();
    const mode = billingMode ?? meta.billingMode;
    if (mode === 'PAY_PER_REQUEST') {
      if (pt) throw validation('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
      if (meta.billingMode !== 'PAY_PER_REQUEST') meta.payPerRequestSince = now;
    } else if (pt) {
      if (meta.billingMode === 'PROVISIONED' && pt.read === meta.readCapacityUnits && pt.write === meta.writeCapacityUnits)
        throw validation(
          `The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provided: ${pt.read}, Current WriteCapacityUnits provided: ${pt.write}, Current ReadCapacityUnits: ${meta.readCapacityUnits}, Current WriteCapacityUnits: ${meta.writeCapacityUnits}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
        );
      if (meta.billingMode === 'PROVISIONED') {
        if (pt.read > meta.readCapacityUnits || pt.write > meta.writeCapacityUnits) meta.lastIncreaseAt = now;
        if (pt.read < meta.readCapacityUnits || pt.write < meta.writeCapacityUnits) {
          const today = utcDay(now);
          meta.decreasesToday = meta.decreasesDay === today ? meta.decreasesToday + 1 : 1;
          meta.decreasesDay = today;
          meta.lastDecreaseAt = now;
        }
      }
      meta.readCapacityUnits = pt.read;
      meta.writeCapacityUnits = pt.write;
    } else if (meta.billingMode === 'PAY_PER_REQUEST')
      throw validation('One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
    meta.billingMode = mode;
    if (mode === 'PAY_PER_REQUEST') {
      meta.readCapacityUnits = 0;
      meta.writeCapacityUnits = 0;
    }
    if (tableClass) meta.tableClass = tableClass;
    if (protection !== undefined) meta.deletionProtection = protection;
    this.db.commit({ op: 'updateTable', table: meta });
    return { TableDescription: describe(t) };
  }

  describeTimeToLive(input: Record<string, unknown>): unknown {
    const t = this.existing(input.TableName);
    const ttl = t.meta.ttl;
    return {
      TimeToLiveDescription: ttl?.Enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: ttl.AttributeName } : { TimeToLiveStatus: 'DISABLED' },
    };
  }

  /** Stored and reported; the emulator does not expire items (AWS takes up to days anyway). */
  updateTimeToLive(input: Record<string, unknown>): unknown {
    const t = this.existing(input.TableName);
    const spec = input.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
    if (!spec || typeof spec.AttributeName !== 'string' || typeof spec.Enabled !== 'boolean')
      throw constraint(null, 'timeToLiveSpecification', 'Member must not be null');
    if (Boolean(t.meta.ttl?.Enabled) === spec.Enabled)
      throw validation(spec.Enabled ? 'TimeToLive is already enabled' : 'TimeToLive is already disabled');
    this.db.commit({ op: 'updateTable', table: { ...t.meta, ttl: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } } });
    return { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } };
  }

  private byArn(raw: unknown): Table {
    if (typeof raw !== 'string') throw constraint(raw, 'resourceArn', 'Member must not be null');
    const name = raw.slice(raw.indexOf(':table/') + ':table/'.length);
    const t = raw.includes(':table/') ? this.db.find(name) : undefined;
    if (!t || t.meta.arn !== raw) throw notFound(`Requested resource not found: ResourcArn: ${raw} not found`);
    return t;
  }

  tagResource(input: Record<string, unknown>): unknown {
    const t = this.byArn(input.ResourceArn);
    const tags = Array.isArray(input.Tags) ? (input.Tags as ({ Key?: unknown; Value?: unknown } | null)[]) : [];
    if (tags.length === 0) throw constraint(null, 'tags', 'Member must not be null');
    const merged = new Map(t.meta.tags.map((x) => [x.Key, x.Value]));
    for (const tag of tags) merged.set(String(tag?.Key), String(tag?.Value ?? ''));
    this.db.commit({ op: 'updateTable', table: { ...t.meta, tags: [...merged].map(([Key, Value]) => ({ Key, Value })) } });
    return {};
  }

  untagResource(input: Record<string, unknown>): unknown {
    const t = this.byArn(input.ResourceArn);
    const keys = new Set(Array.isArray(input.TagKeys) ? (input.TagKeys as unknown[]).map(String) : []);
    this.db.commit({ op: 'updateTable', table: { ...t.meta, tags: t.meta.tags.filter((x) => !keys.has(x.Key)) } });
    return {};
  }

  listTagsOfResource(input: Record<string, unknown>): unknown {
    return { Tags: this.byArn(input.ResourceArn).meta.tags };
  }
}
