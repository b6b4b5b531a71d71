import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AwsError } from '../errors';
import type { EdgeRequest } from '../types';
import { DynamoDbService } from './index';

/**
 * Invariant: whatever JSON a client sends to any operation, the service answers or throws an AwsError
 * with a 4xx status — it never crashes with a TypeError (the edge would turn that into a 500).
 */

const OPERATIONS = [
  'CreateTable',
  'DescribeTable',
  'DeleteTable',
  'ListTables',
  'UpdateTable',
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchWriteItem',
  'BatchGetItem',
  'UpdateTimeToLive',
  'TagResource',
  'TransactWriteItems',
  'TransactGetItems',
];

const tokens = fc.constantFrom(
  'a', 'b.c', 'l[0]', '#n', '#missing', ':v', ':w', ':missing', 'pk', 'sk', '=', '<>', '<', '>=', '(', ')', ',', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN',
  'SET', 'REMOVE', 'ADD', 'DELETE', '+', '-', 'size', 'attribute_exists', 'attribute_type', 'begins_with', 'contains', 'if_not_exists', 'list_append', 'status', '!', '[', ']', '.',
);
const expression = fc.oneof(
  fc.array(tokens, { maxLength: 10 }).map((t) => t.join(' ')),
  fc.constantFrom('pk = :v', 'pk = :v AND sk > :w', 'SET a = :v', 'SET a = a + :w', 'ADD a :v', 'attribute_not_exists(pk)', 'a, b.c'),
  fc.string({ maxLength: 12 }),
);

const scalar = fc.oneof(
  { arbitrary: fc.string({ maxLength: 4 }).map((S) => ({ S })), weight: 4 },
  { arbitrary: fc.constantFrom('1', '2', '-2.5', '1e200', 'x', '').map((N) => ({ N })), weight: 3 },
  { arbitrary: fc.constant({ B: 'AAE=' }), weight: 1 },
);
const attributeValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    { arbitrary: scalar, weight: 8 },
    { arbitrary: fc.constant({ NULL: true }), weight: 1 },
    { arbitrary: fc.boolean().map((BOOL) => ({ BOOL })), weight: 1 },
    { arbitrary: fc.array(fc.string({ maxLength: 2 }), { maxLength: 3 }).map((SS) => ({ SS })), weight: 2 },
    { arbitrary: fc.array(fc.constantFrom('1', '2', 'z'), { maxLength: 3 }).map((NS) => ({ NS })), weight: 2 },
    { arbitrary: fc.array(tie('value'), { maxLength: 2 }).map((L) => ({ L })), weight: 2 },
    { arbitrary: fc.dictionary(fc.constantFrom('x', 'y'), tie('value'), { maxKeys: 2 }).map((M) => ({ M })), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  ),
})).value;
/** Mostly well-typed values (to reach deep code paths), sometimes arbitrary JSON (to hit the type checks). */
const mostly = <T>(valid: fc.Arbitrary<T>, maxDepth = 2) =>
  fc.oneof({ arbitrary: valid as fc.Arbitrary<unknown>, weight: 15 }, { arbitrary: fc.jsonValue({ maxDepth }), weight: 1 });
const validKey = fc.oneof(
  fc.record({ pk: scalar }),
  fc.record({ pk: fc.constant({ S: 'p' }), sk: fc.constantFrom({ N: '1' }, { N: '2' }) }),
  fc.record({ pk: fc.constantFrom({ S: 'p' }, { S: 'q' }) }),
);
const itemLike = mostly(
  fc.oneof(
    fc.tuple(validKey, fc.dictionary(fc.constantFrom('a', 'id', 'l'), attributeValue, { maxKeys: 3 })).map(([k, rest]) => ({ ...rest, ...k })),
    fc.dictionary(fc.constantFrom('pk', 'sk', 'a', 'id'), attributeValue, { maxKeys: 4 }),
  ),
);
const tableName = mostly(fc.constantFrom('fuzz', 'fuzz', 'flat', 'flat', 'nope', 'ab', 'bad name!'), 1);

const comparisonOperator = fc.constantFrom('EQ', 'NE', 'LT', 'GE', 'BETWEEN', 'IN', 'NULL', 'NOT_NULL', 'CONTAINS', 'NOT_CONTAINS', 'BEGINS_WITH', 'X');
const legacyConditions = fc.dictionary(
  fc.constantFrom('pk', 'sk', 'a'),
  fc.record({ ComparisonOperator: fc.option(comparisonOperator, { nil: undefined }), AttributeValueList: fc.option(fc.array(attributeValue, { maxLength: 3 }), { nil: undefined }) }, { requiredKeys: [] }),
);
const member = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { nil: undefined, freq });
/** Members most operations need are present nine times in ten. */
const usual = <T>(arb: fc.Arbitrary<T>) => member(arb, 10);
const typed = <T>(arb: fc.Arbitrary<T>) => member(mostly(arb, 1));
const input = fc.record(
  {
    TableName: usual(tableName),
    IndexName: member(fc.constantFrom('idx', 'x')),
    ScanIndexForward: typed(fc.boolean()),
    ConsistentRead: typed(fc.boolean()),
    ReturnConsumedCapacity: typed(fc.constantFrom('TOTAL', 'INDEXES', 'NONE', 'X')),
    ReturnValuesOnConditionCheckFailure: typed(fc.constantFrom('ALL_OLD', 'NONE')),
    Key: usual(itemLike),
    Item: usual(itemLike),
    ExclusiveStartKey: usual(itemLike),
    ConditionExpression: typed(expression),
    UpdateExpression: typed(expression),
    ProjectionExpression: typed(expression),
    FilterExpression: typed(expression),
    KeyConditionExpression: typed(expression),
    ExpressionAttributeNames: typed(fc.dictionary(fc.constantFrom('#n', '#m', 'bad'), mostly(fc.constantFrom('a', 'pk', ''), 0))),
    ExpressionAttributeValues: typed(fc.dictionary(fc.constantFrom(':v', ':w', 'bad'), attributeValue)),
    ReturnValues: member(fc.constantFrom('NONE', 'ALL_OLD', 'ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW', 'BOGUS')),
    Select: member(fc.constantFrom('COUNT', 'ALL_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'X')),
    Limit: typed(fc.integer({ min: -1, max: 5 })),
    Segment: member(fc.integer({ min: -1, max: 3 })),
    TotalSegments: member(fc.integer({ min: 0, max: 3 })),
    AttributesToGet: typed(fc.array(fc.constantFrom('a', 'pk', 'a'))),
    KeySchema: typed(fc.constantFrom([{ AttributeName: 'id', KeyType: 'HASH' }], [{ AttributeName: 'id', KeyType: 'HASH' }, { AttributeName: 'r', KeyType: 'RANGE' }], [{ AttributeName: 'id', KeyType: 'RANGE' }])),
    AttributeDefinitions: typed(fc.constantFrom([{ AttributeName: 'id', AttributeType: 'S' }], [{ AttributeName: 'id', AttributeType: 'B' }, { AttributeName: 'r', AttributeType: 'N' }], [{ AttributeName: 'id', AttributeType: 'X' }])),
    BillingMode: member(fc.constantFrom('PAY_PER_REQUEST', 'PROVISIONED', 'X')),
    ProvisionedThroughput: typed(fc.record({ ReadCapacityUnits: fc.integer({ min: 0, max: 3 }), WriteCapacityUnits: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] })),
    RequestItems: usual(mostly(
      fc.dictionary(
        fc.constantFrom('fuzz', 'flat', 'nope'),
        mostly(
          fc.oneof(
            fc.array(fc.oneof(fc.record({ PutRequest: fc.record({ Item: itemLike }) }), fc.record({ DeleteRequest: fc.record({ Key: itemLike }) })), { maxLength: 4 }),
            fc.record({ Keys: fc.array(itemLike, { maxLength: 4 }), ProjectionExpression: member(expression), ConsistentRead: member(fc.boolean()) }, { requiredKeys: ['Keys'] }),
          ),
        ),
      ),
      1,
    )),
    Tags: typed(fc.array(fc.record({ Key: fc.string(), Value: fc.string() }), { maxLength: 2 })),
    TimeToLiveSpecification: typed(fc.record({ AttributeName: fc.constantFrom('ttl', ''), Enabled: fc.boolean() })),
    Expected: typed(
      fc.dictionary(
        fc.constantFrom('a', 'pk'),
        fc.record({ Value: member(attributeValue), Exists: member(fc.boolean()), ComparisonOperator: member(comparisonOperator), AttributeValueList: member(fc.array(attributeValue, { maxLength: 3 })) }, { requiredKeys: [] }),
      ),
    ),
    AttributeUpdates: typed(fc.dictionary(fc.constantFrom('a', 'pk', 'l'), fc.record({ Action: member(fc.constantFrom('PUT', 'ADD', 'DELETE', 'X')), Value: member(attributeValue) }, { requiredKeys: [] }))),
    KeyConditions: typed(legacyConditions),
    QueryFilter: typed(legacyConditions),
    ScanFilter: typed(legacyConditions),
    TransactItems: typed(
      fc.array(
        fc.oneof(
          ...(['Put', 'Update', 'Delete', 'ConditionCheck', 'Get'] as const).map((kind) =>
            fc.record({
              [kind]: fc.record(
                {
                  TableName: tableName,
                  Key: member(itemLike),
                  Item: member(itemLike),
                  UpdateExpression: member(expression),
                  ConditionExpression: member(expression),
                  ProjectionExpression: member(expression),
                  ExpressionAttributeValues: member(fc.dictionary(fc.constantFrom(':v', ':w'), attributeValue)),
                },
                { requiredKeys: ['TableName'] },
              ),
            }),
          ),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        { maxLength: 3 },
      ),
    ),
    ConditionalOperator: typed(fc.constantFrom('AND', 'OR', 'X')),
    ResourceArn: member(fc.constantFrom('arn:aws:dynamodb:us-east-1:000000000000:table/fuzz', 'arn:x', '')),
  },
  { requiredKeys: [] },
);

describe('DynamoDB service robustness', () => {
  it('property: any JSON input yields a result or a 4xx AwsError, never a crash', () => {
    const service = new DynamoDbService({ region: 'us-east-1', accountId: '000000000000', endpoint: () => '', journal: () => null, now: () => Date.now() });
    const req = {} as EdgeRequest;
    const seed = () => {
      for (const [name, keys] of [
        ['fuzz', [['pk', 'S', 'HASH'], ['sk', 'N', 'RANGE']]],
        ['flat', [['pk', 'S', 'HASH']]],
      ] as const) {
        try {
          service.handle(
            'CreateTable',
            {
              TableName: name,
              KeySchema: keys.map(([n, , k]) => ({ AttributeName: n, KeyType: k })),
              AttributeDefinitions: keys.map(([n, t]) => ({ AttributeName: n, AttributeType: t })),
              BillingMode: 'PAY_PER_REQUEST',
            },
            req,
          );
          service.handle('PutItem', { TableName: name, Item: { pk: { S: 'p' }, sk: { N: '1' }, a: { L: [{ N: '1' }] } } }, req);
        } catch {
          /* already there */
        }
      }
    };
    fc.assert(
      fc.property(fc.constantFrom(...OPERATIONS), input, (operation, body) => {
        seed();
        try {
          service.handle(operation, JSON.parse(JSON.stringify(body)), req);
        } catch (err) {
          if (!(err instanceof AwsError)) throw err;
          expect(err.status).toBeLessThan(500);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
