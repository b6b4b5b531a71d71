import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from './index';
import { emulatorSettings, kinesisClient } from '../../pipeline/streams/aws-clients';

describe('edge', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('answers the admin health route with per-service counters', async () => {
    const res = await fetch(`${emu.endpoint}/_furrow/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; requests: Record<string, number> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.requests).sort()).toEqual(['dynamodb', 'kinesis', 's3', 'sqs']);
  });

  it('rejects an invalid fault rule with a 400 that says why', async () => {
    const res = await fetch(`${emu.endpoint}/_furrow/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ service: 'ec2' }] }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/service must be one of/);
  });

  it('injects the service throttling error through the SDK, then recovers when cleared', async () => {
    const client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    await fetch(`${emu.endpoint}/_furrow/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ service: 'kinesis', operation: 'ListStreams', error: 'throttle' }] }),
    });
    await expect(client.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    await fetch(`${emu.endpoint}/_furrow/faults`, { method: 'DELETE' });
    const out = await client.send(new ListStreamsCommand({})).catch((e: Error) => e);
    // With no fault the request reaches the service (which answers or raises its own typed error, not a throttle).
    expect((out as Error).name).not.toBe('ProvisionedThroughputExceededException');
    client.destroy();
  });

  it('serves the Kinesis client with its default HTTP/2 handler (h2c prior knowledge)', async () => {
    const client = new KinesisClient({ region: 'us-east-1', endpoint: emu.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    await fetch(`${emu.endpoint}/_furrow/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ service: 'kinesis', error: '500', count: 1 }] }),
    });
    // The injected 500 proves the request went through the edge over HTTP/2 and the error parsed as AWS's.
    await expect(client.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    client.destroy();
  });
});
