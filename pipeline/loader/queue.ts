/**
 * `WindowQueue`: the loader's side of the SQS FIFO queue the transformer seals windows into (spec §3.2):
 * receive one message at a time (`waitTimeSeconds`, `visibilitySeconds`), extend its visibility while it
 * is being loaded, delete it when done, hand it back (visible again after a delay) when a load failed,
 * or move it to the dead-letter queue with the reason as a message attribute.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface QueueMessage {
  id: string;
  body: string;
  receiptHandle: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  groupId?: string;
}

async function queueUrl(sqs: SQSClient, nameOrUrl: string): Promise<string> {
  if (/^https?:\/\//.test(nameOrUrl)) return nameOrUrl;
  const r = await sqs.send(new GetQueueUrlCommand({ QueueName: nameOrUrl }));
  return r.QueueUrl!;
}

export class WindowQueue {
  private constructor(
    private readonly sqs: SQSClient,
    readonly url: string,
    readonly deadLetterUrl: string | null,
    private readonly visibilitySeconds: number,
    private readonly waitTimeSeconds: number,
  ) {}

  /** Resolve the queue (and the dead-letter queue: configured, else the queue's RedrivePolicy target). */
  static async open(
    sqs: SQSClient,
    opts: { queue: string; deadLetterQueue?: string; visibilitySeconds: number; waitTimeSeconds: number },
  ): Promise<WindowQueue> {
    const url = await queueUrl(sqs, opts.queue);
    let dlq: string | null = null;
    if (opts.deadLetterQueue) dlq = await queueUrl(sqs, opts.deadLetterQueue);
    else {
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] })).catch(() => null);
      const policy = attrs?.Attributes?.RedrivePolicy;
      if (policy) {
        try {
          const arn = (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
          const name = arn?.split(':').pop();
          if (name) dlq = await queueUrl(sqs, name);
        } catch {
          dlq = null;
        }
      }
    }
    return new WindowQueue(sqs, url, dlq, opts.visibilitySeconds, opts.waitTimeSeconds);
  }

  async receive(signal?: AbortSignal): Promise<QueueMessage | null> {
    const r = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: this.waitTimeSeconds,
        VisibilityTimeout: this.visibilitySeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      }),
      { abortSignal: signal },
    );
    const m: Message | undefined = r.Messages?.[0];
    if (!m || !m.ReceiptHandle) return null;
    return {
      id: m.MessageId ?? '',
      body: m.Body ?? '',
      receiptHandle: m.ReceiptHandle,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1') || 1,
      groupId: m.Attributes?.MessageGroupId,
    };
  }

  /** Keep the message invisible for another `visibilitySeconds` from now. */
  async extend(m: QueueMessage): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: m.receiptHandle, VisibilityTimeout: this.visibilitySeconds }));
  }

  /** Hand the message back: visible again after `delaySeconds`. */
  async release(m: QueueMessage, delaySeconds: number): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: m.receiptHandle, VisibilityTimeout: delaySeconds }));
  }

  async delete(m: QueueMessage): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: m.receiptHandle }));
  }

  /**
   * Copy the message to the dead-letter queue (body unchanged, the reason in attribute `furrow-error`)
   * and then delete it here. Returns false when there is no dead-letter queue (the message is left alone).
   */
  async deadLetter(m: QueueMessage, reason: string): Promise<boolean> {
    if (!this.deadLetterUrl) return false;
    const fifo = this.deadLetterUrl.endsWith('.fifo');
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.deadLetterUrl,
        MessageBody: m.body.length ? m.body : '(empty message)',
        MessageAttributes: {
          'furrow-error': { DataType: 'String', StringValue: sqsText(reason.slice(0, 4000)) || 'unknown' },
          'furrow-source-message-id': { DataType: 'String', StringValue: m.id || 'unknown' },
          'furrow-receive-count': { DataType: 'Number', StringValue: String(m.receiveCount) },
        },
        ...(fifo ? { MessageGroupId: m.groupId ?? 'shredding', MessageDeduplicationId: (m.id || String(Date.now())).replace(/[^A-Za-z0-9!-/:-@[-`{-~]/g, '').slice(0, 128) } : {}),
      }),
    );
    await this.delete(m);
    return true;
  }
}

/**
 * SQS takes only XML characters in bodies and attributes. A reason quoting a hostile value (a NUL in a
 * schema key) made the dead-letter send fail, so the message came back for ever and blocked its FIFO group.
 */
export function sqsText(s: string): string {
  return s.replace(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd');
}
