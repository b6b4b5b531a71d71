import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, s3Client, sqsClient } from '../streams/aws-clients';
import { WindowQueue, sqsText } from './queue';
import { createQueues, send } from './testkit';

let aws: RunningEmulator;
let sqs: SQSClient;
let s3: S3Client;

beforeAll(async () => {
  aws = await startEmulator({ port: 0 });
  sqs = sqsClient(emulatorSettings(aws.endpoint));
  s3 = s3Client(emulatorSettings(aws.endpoint));
});
afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
});

describe('loader queue', () => {
  it('dead-letters a message whose reason quotes characters SQS refuses (NUL, lone surrogates), instead of failing for ever', async () => {
    const { queueUrl, dlqUrl } = await createQueues(sqs, s3, 'dlq-text');
    const queue = await WindowQueue.open(sqs, { queue: queueUrl, deadLetterQueue: dlqUrl, visibilitySeconds: 30, waitTimeSeconds: 1 });
    await send(sqs, queueUrl, '{"schemaKey":"iglu:com.acme\\u0000/e/jsonschema/1-0-0"}');
    const m = (await queue.receive())!;
    expect(await queue.deadLetter(m, 'not a valid Iglu URI: iglu:com.acme\u0000/e \ud800 \u{1F600}')).toBe(true);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ['All'] }));
    expect(dead.Messages?.[0]?.MessageAttributes?.['furrow-error']?.StringValue).toBe('not a valid Iglu URI: iglu:com.acme\ufffd/e \ufffd \u{1F600}');
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(Number(left.Attributes!.ApproximateNumberOfMessages) + Number(left.Attributes!.ApproximateNumberOfMessagesNotVisible)).toBe(0);
    expect(sqsText('ok\t\n\r ~é')).toBe('ok\t\n\r ~é');
  });
});
