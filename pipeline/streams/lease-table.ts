import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** One KCL lease (item shape of KCL 2.x: hash key `leaseKey`, fencing `leaseCounter`). */
export interface Lease {
  leaseKey: string;
  leaseOwner?: string;
  leaseCounter: bigint;
  /** Sequence number, or a sentinel: TRIM_HORIZON, LATEST, AT_TIMESTAMP, SHARD_END. */
  checkpoint: string;
  checkpointSubSequenceNumber: bigint;
  ownerSwitchesSinceCheckpoint: bigint;
  parentShardIds: string[];
  childShardIds: string[];
  startingHashKey?: string;
  endingHashKey?: string;
}

/** Thrown when a conditional lease write fails: another worker changed the lease since we last saw it. */
export class LeaseLostError extends Error {
  constructor(readonly leaseKey: string) {
    super(`lease ${leaseKey} was changed by another worker`);
    this.name = 'LeaseLostError';
  }
}

function toItem(l: Lease): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    leaseKey: { S: l.leaseKey },
    leaseCounter: { N: l.leaseCounter.toString() },
    checkpoint: { S: l.checkpoint },
    checkpointSubSequenceNumber: { N: l.checkpointSubSequenceNumber.toString() },
    ownerSwitchesSinceCheckpoint: { N: l.ownerSwitchesSinceCheckpoint.toString() },
  };
  if (l.leaseOwner) item.leaseOwner = { S: l.leaseOwner };
  if (l.parentShardIds.length) item.parentShardId = { SS: l.parentShardIds };
  if (l.childShardIds.length) item.childShardIds = { SS: l.childShardIds };
  if (l.startingHashKey) item.startingHashKey = { S: l.startingHashKey };
  if (l.endingHashKey) item.endingHashKey = { S: l.endingHashKey };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): Lease {
  return {
    leaseKey: item.leaseKey!.S!,
    leaseOwner: item.leaseOwner?.S,
    leaseCounter: BigInt(item.leaseCounter?.N ?? '0'),
    checkpoint: item.checkpoint?.S ?? 'TRIM_HORIZON',
    checkpointSubSequenceNumber: BigInt(item.checkpointSubSequenceNumber?.N ?? '0'),
    ownerSwitchesSinceCheckpoint: BigInt(item.ownerSwitchesSinceCheckpoint?.N ?? '0'),
    parentShardIds: item.parentShardId?.SS ?? [],
    childShardIds: item.childShardIds?.SS ?? [],
    startingHashKey: item.startingHashKey?.S,
    endingHashKey: item.endingHashKey?.S,
  };
}

/**
 * The lease table of one application. Every write is conditional on `leaseCounter` (KCL's fencing token),
 * so a worker that lost a lease can never overwrite the new owner's checkpoint.
 */
export class LeaseTable {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Create the table if missing (KCL does the same at start-up), and wait until it is ACTIVE. */
  async ensure(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.tableName,
          KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    for (let i = 0; i < 120; i++) {
      const d = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`lease table ${this.tableName} did not become ACTIVE`);
  }

  async list(): Promise<Lease[]> {
    const out: Lease[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) out.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Create a lease unless one exists. Returns false if it already existed. */
  async create(lease: Lease): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: toItem(lease), ConditionExpression: 'attribute_not_exists(leaseKey)' }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** A conditional UpdateItem on the observed counter; increments the counter. Returns the new lease. */
  private async update(lease: Lease, set: Record<string, AttributeValue>, remove: string[] = []): Promise<Lease> {
    const names: Record<string, string> = { '#c': 'leaseCounter' };
    const values: Record<string, AttributeValue> = { ':expected': { N: lease.leaseCounter.toString() }, ':one': { N: '1' } };
    const sets = ['#c = #c + :one'];
    let i = 0;
    for (const [k, v] of Object.entries(set)) {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      sets.push(`#s${i} = :s${i}`);
      i++;
    }
    const removes = remove.map((k, j) => {
      names[`#r${j}`] = k;
      return `#r${j}`;
    });
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { leaseKey: { S: lease.leaseKey } },
          UpdateExpression: `SET ${sets.join(', ')}` + (removes.length ? ` REMOVE ${removes.join(', ')}` : ''),
          ConditionExpression: '#c = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes!);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || err instanceof ResourceNotFoundException) throw new LeaseLostError(lease.leaseKey);
      throw err;
    }
  }

  renew(lease: Lease): Promise<Lease> {
    return this.update(lease, {});
  }

  take(lease: Lease, owner: string): Promise<Lease> {
    const switches = lease.leaseOwner === owner ? lease.ownerSwitchesSinceCheckpoint : lease.ownerSwitchesSinceCheckpoint + 1n;
    return this.update(lease, { leaseOwner: { S: owner }, ownerSwitchesSinceCheckpoint: { N: switches.toString() } });
  }

  checkpoint(lease: Lease, checkpoint: string, childShardIds?: string[]): Promise<Lease> {
    const set: Record<string, AttributeValue> = {
      checkpoint: { S: checkpoint },
      checkpointSubSequenceNumber: { N: '0' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
    };
    if (childShardIds?.length) set.childShardIds = { SS: childShardIds };
    return this.update(lease, set);
  }

  /** Give a lease up (graceful shutdown): no owner, so another worker takes it at once. */
  release(lease: Lease): Promise<Lease> {
    return this.update(lease, {}, ['leaseOwner']);
  }

  async delete(leaseKey: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { leaseKey: { S: leaseKey } } }));
  }
}
