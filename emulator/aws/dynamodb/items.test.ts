import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { createTable, expectAwsError, startDynamo, type DynamoHarness } from './testing';

describe('DynamoDB items over the SDK', () => {
  let h: DynamoHarness;
  beforeAll(async () => {
    h = await startDynamo();
    await createTable(h.client, 'leases', ['leaseKey', 'S']);
    await createTable(h.client, 'things', ['pk', 'S'], ['sk', 'N']);
    await createTable(h.client, 'blobs', ['id', 'B']);
  });
  afterAll(async () => {
    expect(h.internalErrors).toEqual([]);
    await h.stop();
  });

  const get = async (table: string, key: Record<string, AttributeValue>) =>
    (await h.client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  it('round-trips every attribute type and normalizes numbers', async () => {
    const item: Record<string, AttributeValue> = {
      pk: { S: 'types' },
      sk: { N: '1' },
      s: { S: 'héllo 🌍' },
      empty: { S: '' },
      n: { N: '00042.500' },
      b: { B: new Uint8Array([0, 255, 7]) },
      yes: { BOOL: true },
      nothing: { NULL: true },
      m: { M: { nested: { L: [{ N: '1' }, { S: 'two' }, { M: {} }] } } },
      l: { L: [] },
      ss: { SS: ['b', 'a'] },
      ns: { NS: ['1', '1e2'] },
      bs: { BS: [new Uint8Array([1]), new Uint8Array([2])] },
    };
    await h.client.send(new PutItemCommand({ TableName: 'things', Item: item }));
    const got = await get('things', { pk: { S: 'types' }, sk: { N: '1.0' } });
    expect(got).toEqual({ ...item, n: { N: '42.5' }, ns: { NS: ['1', '100'] } });
  });

  it('GetItem projects with ProjectionExpression and names; a missing item has no Item', async () => {
    const out = await h.client.send(
      new GetItemCommand({
        TableName: 'things',
        Key: { pk: { S: 'types' }, sk: { N: '1' } },
        ProjectionExpression: '#s, m.nested[1], ss',
        ExpressionAttributeNames: { '#s': 's' },
      }),
    );
    expect(out.Item).toEqual({ s: { S: 'héllo 🌍' }, m: { M: { nested: { L: [{ S: 'two' }] } } }, ss: { SS: ['b', 'a'] } });
    const none = await h.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'nope' }, sk: { N: '1' } } }));
    expect(none.Item).toBeUndefined();
    const legacy = await h.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'types' }, sk: { N: '1' } }, AttributesToGet: ['yes'] }));
    expect(legacy.Item).toEqual({ yes: { BOOL: true } });
  });

  it('supports binary hash keys', async () => {
    await h.client.send(new PutItemCommand({ TableName: 'blobs', Item: { id: { B: new Uint8Array([9, 9]) }, v: { N: '1' } } }));
    expect((await get('blobs', { id: { B: new Uint8Array([9, 9]) } }))?.v).toEqual({ N: '1' });
  });

  it('accepts a table ARN as TableName on data-plane operations', async () => {
    const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/blobs';
    await h.client.send(new PutItemCommand({ TableName: arn, Item: { id: { B: new Uint8Array([4]) }, v: { S: 'by-arn' } } }));
    expect((await get('blobs', { id: { B: new Uint8Array([4]) } }))?.v).toEqual({ S: 'by-arn' });
    const batch = await h.client.send(new BatchGetItemCommand({ RequestItems: { [arn]: { Keys: [{ id: { B: new Uint8Array([4]) } }] } } }));
    expect(batch.Responses?.[arn]).toHaveLength(1);
  });

  it('PutItem returns ALL_OLD and honours conditions', async () => {
    const key = { pk: { S: 'put' }, sk: { N: '1' } };
    const first = await h.client.send(new PutItemCommand({ TableName: 'things', Item: { ...key, v: { S: 'one' } }, ReturnValues: 'ALL_OLD' }));
    expect(first.Attributes).toBeUndefined();
    const second = await h.client.send(
      new PutItemCommand({
        TableName: 'things',
        Item: { ...key, v: { S: 'two' } },
        ReturnValues: 'ALL_OLD',
        ConditionExpression: 'v = :one',
        ExpressionAttributeValues: { ':one': { S: 'one' } },
      }),
    );
    expect(second.Attributes).toEqual({ ...key, v: { S: 'one' } });
    const failed = await expectAwsError(
      h.client.send(
        new PutItemCommand({
          TableName: 'things',
          Item: { ...key, v: { S: 'three' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    expect(failed).toBeInstanceOf(ConditionalCheckFailedException);
    expect(failed.Item).toEqual({ ...key, v: { S: 'two' } });
    const withoutItem = await expectAwsError(
      h.client.send(new PutItemCommand({ TableName: 'things', Item: { ...key }, ConditionExpression: 'attribute_not_exists(pk)' })),
      'ConditionalCheckFailedException',
    );
    expect(withoutItem.Item).toBeUndefined();
    expect((await get('things', key))?.v).toEqual({ S: 'two' });
  });

  it('UpdateItem creates missing items and returns each ReturnValues flavour', async () => {
    const key = { pk: { S: 'upd' }, sk: { N: '7' } };
    const created = await h.client.send(
      new UpdateItemCommand({
        TableName: 'things',
        Key: key,
        UpdateExpression: 'SET a = :a, c = :zero',
        ExpressionAttributeValues: { ':a': { S: 'x' }, ':zero': { N: '0' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(created.Attributes).toEqual({ ...key, a: { S: 'x' }, c: { N: '0' } });
    const send = (ReturnValues: 'ALL_OLD' | 'UPDATED_OLD' | 'UPDATED_NEW' | 'NONE') =>
      h.client.send(
        new UpdateItemCommand({
          TableName: 'things',
          Key: key,
          UpdateExpression: 'SET c = c + :one ADD tags :t',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':t': { SS: ['x'] } },
          ReturnValues,
        }),
      );
    expect((await send('UPDATED_OLD')).Attributes).toEqual({ c: { N: '0' } });
    expect((await send('UPDATED_NEW')).Attributes).toEqual({ c: { N: '2' }, tags: { SS: ['x'] } });
    expect((await send('ALL_OLD')).Attributes).toEqual({ ...key, a: { S: 'x' }, c: { N: '2' }, tags: { SS: ['x'] } });
    expect((await send('NONE')).Attributes).toBeUndefined();
    expect((await get('things', key))?.c).toEqual({ N: '4' });
  });

  it('DeleteItem honours conditions and returns ALL_OLD', async () => {
    const key = { pk: { S: 'del' }, sk: { N: '1' } };
    await h.client.send(new PutItemCommand({ TableName: 'things', Item: { ...key, state: { S: 'keep' } } }));
    await expectAwsError(
      h.client.send(
        new DeleteItemCommand({ TableName: 'things', Key: key, ConditionExpression: '#s = :v', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':v': { S: 'drop' } } }),
      ),
      'ConditionalCheckFailedException',
    );
    const out = await h.client.send(new DeleteItemCommand({ TableName: 'things', Key: key, ReturnValues: 'ALL_OLD' }));
    expect(out.Attributes).toEqual({ ...key, state: { S: 'keep' } });
    expect(await get('things', key)).toBeUndefined();
    const again = await h.client.send(new DeleteItemCommand({ TableName: 'things', Key: key, ReturnValues: 'ALL_OLD' }));
    expect(again.Attributes).toBeUndefined();
  });

  it('lease table scenario: take, renew with the counter as fencing token, stale steal fails', async () => {
    const key = { leaseKey: { S: 'shardId-000000000001' } };
    const lease = {
      ...key,
      leaseCounter: { N: '0' },
      checkpoint: { S: 'TRIM_HORIZON' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      parentShardId: { SS: ['shardId-000000000000'] },
    };
    const create = () => h.client.send(new PutItemCommand({ TableName: 'leases', Item: lease, ConditionExpression: 'attribute_not_exists(leaseKey)' }));
    await create();
    await expectAwsError(create(), 'ConditionalCheckFailedException');

    const takeOrRenew = (expected: string, owner: string) =>
      h.client.send(
        new UpdateItemCommand({
          TableName: 'leases',
          Key: key,
          UpdateExpression: 'SET leaseCounter = leaseCounter + :one, leaseOwner = :owner',
          ConditionExpression: 'leaseCounter = :expected',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: expected }, ':owner': { S: owner } },
          ReturnValues: 'ALL_NEW',
        }),
      );
    expect((await takeOrRenew('0', 'worker-a')).Attributes?.leaseCounter).toEqual({ N: '1' });
    expect((await takeOrRenew('1', 'worker-a')).Attributes?.leaseCounter).toEqual({ N: '2' });
    // worker-b last saw counter 1: its steal must fail because worker-a renewed since.
    await expectAwsError(takeOrRenew('1', 'worker-b'), 'ConditionalCheckFailedException', 'The conditional request failed');
    const checkpoint = await h.client.send(
      new UpdateItemCommand({
        TableName: 'leases',
        Key: key,
        UpdateExpression: 'SET #c = #c + :one, checkpoint = :seq, ownerSwitchesSinceCheckpoint = :zero',
        ConditionExpression: '#c = :expected AND leaseOwner = :me',
        ExpressionAttributeNames: { '#c': 'leaseCounter' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: '2' }, ':me': { S: 'worker-a' }, ':seq': { S: '4959' }, ':zero': { N: '0' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(checkpoint.Attributes).toMatchObject({ leaseCounter: { N: '3' }, checkpoint: { S: '4959' }, leaseOwner: { S: 'worker-a' } });
    expect(checkpoint.Attributes?.parentShardId).toEqual({ SS: ['shardId-000000000000'] });
  });

  it('increments counters beyond 2^53 exactly', async () => {
    const key = { leaseKey: { S: 'big' } };
    await h.client.send(new PutItemCommand({ TableName: 'leases', Item: { ...key, leaseCounter: { N: '9007199254740993' } } }));
    const out = await h.client.send(
      new UpdateItemCommand({ TableName: 'leases', Key: key, UpdateExpression: 'ADD leaseCounter :one', ExpressionAttributeValues: { ':one': { N: '1' } }, ReturnValues: 'UPDATED_NEW' }),
    );
    expect(out.Attributes).toEqual({ leaseCounter: { N: '9007199254740994' } });
  });

  it('two concurrent conditional updates through two clients: exactly one wins, every round', async () => {
    const key = { leaseKey: { S: 'contended' } };
    await h.client.send(new PutItemCommand({ TableName: 'leases', Item: { ...key, leaseCounter: { N: '0' } } }));
    const [a, b] = [h.newClient(), h.newClient()];
    const take = (client: typeof a, counter: number, owner: string) =>
      client
        .send(
          new UpdateItemCommand({
            TableName: 'leases',
            Key: key,
            UpdateExpression: 'SET leaseCounter = leaseCounter + :one, leaseOwner = :owner',
            ConditionExpression: 'leaseCounter = :expected',
            ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: String(counter) }, ':owner': { S: owner } },
          }),
        )
        .then(
          () => 'won' as const,
          (e: Error) => {
            if (e.name !== 'ConditionalCheckFailedException') throw e;
            return 'lost' as const;
          },
        );
    const rounds = 25;
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.all([take(a, round, 'a'), take(b, round, 'b')]);
      expect(results.filter((r) => r === 'won')).toHaveLength(1);
    }
    expect((await get('leases', key))?.leaseCounter).toEqual({ N: String(rounds) });
  });

  describe('bad requests get AWS errors', () => {
    it('item validation', async () => {
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseCounter: { N: '1' } } })),
        'ValidationException',
        'One or more parameter values were invalid: Missing the key leaseKey in the item',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { N: '1' } } })),
        'ValidationException',
        'One or more parameter values were invalid: Type mismatch for key leaseKey expected: S actual: N',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: '' } } })),
        'ValidationException',
        'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: leaseKey',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'x' }, s: { SS: [] } } })),
        'ValidationException',
        'One or more parameter values were invalid: An string set  may not be empty',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'x' }, s: { SS: ['a', 'a'] } } })),
        'ValidationException',
        /Input collection \[a, a\] contains duplicates/,
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'x' }, n: { N: 'twelve' } } })),
        'ValidationException',
        'The parameter cannot be converted to a numeric value: twelve',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'big-item' }, data: { S: 'x'.repeat(410_000) } } })),
        'ValidationException',
        'Item size has exceeded the maximum allowed size',
      );
      await h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'fits' }, data: { S: 'x'.repeat(409_600 - 'leaseKey'.length - 'fits'.length - 'data'.length) } } }));
      await expectAwsError(
        h.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'x' } } })),
        'ValidationException',
        'The provided key element does not match the schema',
      );
      await expectAwsError(
        h.client.send(new GetItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'x' }, extra: { S: 'y' } } })),
        'ValidationException',
        'The provided key element does not match the schema',
      );
      await expectAwsError(h.client.send(new GetItemCommand({ TableName: 'absent-table', Key: { id: { S: 'x' } } })), 'ResourceNotFoundException', 'Requested resource not found');
    });

    it('expression validation', async () => {
      const update = (input: Partial<ConstructorParameters<typeof UpdateItemCommand>[0]>) =>
        h.client.send(new UpdateItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'exprs' } }, ...input }));
      await expectAwsError(
        update({ UpdateExpression: 'SET owner = :o', ExpressionAttributeValues: { ':o': { S: 'w' } } }),
        'ValidationException',
        'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: owner',
      );
      await expectAwsError(
        update({ UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { S: 'w' }, ':x': { S: 'unused' } } }),
        'ValidationException',
        'Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}',
      );
      await expectAwsError(update({ UpdateExpression: 'SET a = :v' }), 'ValidationException', 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v');
      await expectAwsError(
        update({ UpdateExpression: 'SET a = :v,', ExpressionAttributeValues: { ':v': { S: 'w' } } }),
        'ValidationException',
        'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","',
      );
      await expectAwsError(
        update({ UpdateExpression: 'SET leaseKey = :v', ExpressionAttributeValues: { ':v': { S: 'w' } } }),
        'ValidationException',
        'One or more parameter values were invalid: Cannot update attribute leaseKey. This attribute is part of the key',
      );
      await expectAwsError(
        update({ UpdateExpression: 'SET a = :v', AttributeUpdates: { a: { Action: 'PUT', Value: { S: 'x' } } }, ExpressionAttributeValues: { ':v': { S: 'w' } } }),
        'ValidationException',
        'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}',
      );
      await expectAwsError(
        update({ UpdateExpression: 'SET a = nothing_here + :one', ExpressionAttributeValues: { ':one': { N: '1' } } }),
        'ValidationException',
        'The provided expression refers to an attribute that does not exist in the item',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'x' } }, ReturnValues: 'ALL_NEW' })),
        'ValidationException',
        'ReturnValues can only be ALL_OLD or NONE',
      );
      await expectAwsError(
        h.client.send(new PutItemCommand({ TableName: 'leases', Item: { leaseKey: { S: 'x' } }, ExpressionAttributeValues: { ':v': { S: 'x' } } })),
        'ValidationException',
        'ExpressionAttributeValues can only be specified when using expressions',
      );
      // A failed validation writes nothing.
      expect(await get('leases', { leaseKey: { S: 'exprs' } })).toBeUndefined();
    });

    it('malformed wire requests are answered, never crash the emulator', async () => {
      const post = (target: string, body: string) =>
        fetch(h.emu.endpoint, { method: 'POST', headers: { 'x-amz-target': `DynamoDB_20120810.${target}`, 'content-type': 'application/x-amz-json-1.0' }, body });
      const garbage = await post('GetItem', '{not json');
      expect(garbage.status).toBe(400);
      expect(((await garbage.json()) as { __type: string }).__type).toBe('com.amazonaws.dynamodb.v20120810#SerializationException');
      const unknown = await post('FlyToMoon', '{}');
      expect(((await unknown.json()) as { __type: string }).__type).toMatch(/UnknownOperationException$/);
      for (const body of [
        '{"TableName": 5}',
        '{"TableName": "leases", "Key": []}',
        '{"TableName": "leases", "Key": {"leaseKey": {"S": 5}}}',
        '{"TableName": "leases", "Key": {"leaseKey": "plain"}}',
        '{"TableName": "leases", "Key": {"leaseKey": {"S": "a", "N": "1"}}}',
        '{"TableName": "leases", "Key": {"leaseKey": {"B": "%%%"}}}',
        '{"TableName": "leases", "Key": {"leaseKey": {"S": "a"}}, "ProjectionExpression": 7}',
      ]) {
        const res = await post('GetItem', body);
        expect(res.status, body).toBe(400);
        expect(((await res.json()) as { __type: string }).__type, body).toMatch(/#(ValidationException|SerializationException)$/);
      }
      for (const [target, body] of [
        ['PutItem', '{"TableName": "leases", "Item": {"leaseKey": {"S": "a"}}, "ConditionExpression": ["x"]}'],
        ['UpdateItem', '{"TableName": "leases", "Key": {"leaseKey": {"S": "a"}}, "UpdateExpression": {}}'],
        ['Query', '{"TableName": "leases", "KeyConditionExpression": "leaseKey = :k", "ExpressionAttributeValues": {":k": {"S": "a"}}, "Limit": "ten"}'],
        ['Scan', '{"TableName": "leases", "ExclusiveStartKey": "x"}'],
        ['BatchWriteItem', '{"RequestItems": {"leases": [{}]}}'],
        ['BatchGetItem', '{"RequestItems": {"leases": {"Keys": [5]}}}'],
        ['CreateTable', '{"TableName": "abc", "KeySchema": "x", "AttributeDefinitions": [null]}'],
      ]) {
        const res = await post(target!, body!);
        expect(res.status, `${target} ${body}`).toBe(400);
      }
    });
  });
});
