import { CreateTableCommand, type AttributeDefinition, type DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../index';
import { dynamoDbClient, emulatorSettings } from '../../../pipeline/streams/aws-clients';

/** Test support for the DynamoDB wire tests: a real emulator on port 0 and real SDK clients. */
export interface DynamoHarness {
  emu: RunningEmulator;
  client: DynamoDBClient;
  /** Emulator bugs (handler crashes) seen so far; every wire test file asserts this stays empty. */
  internalErrors: unknown[];
  newClient(): DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynamo(options: EmulatorOptions = {}): Promise<DynamoHarness> {
  const internalErrors: unknown[] = [];
  const emu = await startEmulator({ port: 0, ...options, onInternalError: (err) => internalErrors.push(err) });
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = dynamoDbClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    clients.push(c);
    return c;
  };
  return {
    emu,
    client: newClient(),
    internalErrors,
    newClient,
    async stop() {
      for (const c of clients) c.destroy();
      await emu.stop();
    },
  };
}

/** Awaits `p` and checks it failed with the SDK exception `name` (and message, when given). */
export async function expectAwsError(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<Record<string, any>> {
  const err = (await p.then(
    () => {
      throw new Error(`expected ${name}, but the call succeeded`);
    },
    (e: unknown) => e,
  )) as Record<string, any>;
  expect(err.name).toBe(name);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else if (message) expect(err.message).toMatch(message);
  return err;
}

export async function createTable(
  client: DynamoDBClient,
  name: string,
  hash: [string, 'S' | 'N' | 'B'],
  range?: [string, 'S' | 'N' | 'B'],
): Promise<void> {
  const KeySchema: KeySchemaElement[] = [{ AttributeName: hash[0], KeyType: 'HASH' }];
  const AttributeDefinitions: AttributeDefinition[] = [{ AttributeName: hash[0], AttributeType: hash[1] }];
  if (range) {
    KeySchema.push({ AttributeName: range[0], KeyType: 'RANGE' });
    AttributeDefinitions.push({ AttributeName: range[0], AttributeType: range[1] });
  }
  await client.send(new CreateTableCommand({ TableName: name, KeySchema, AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' }));
}
