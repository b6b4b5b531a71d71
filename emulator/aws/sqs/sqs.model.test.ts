import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, sqsClient } from '../../../pipeline/streams/aws-clients';

/**
 * Model-based tests: random sequences of send / receive / delete / change-visibility-to-0 run against the
 * emulator through the SDK and against a few lines of in-memory model, which predicts every answer.
 * Visibility timeouts are long (nothing expires by itself during a run), so the model needs no clock.
 */

let emu: RunningEmulator;
let sqs: SQSClient;
let queues = 0;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sqs = sqsClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
});

afterAll(async () => {
  sqs.destroy();
  await emu.stop();
});

type State = 'visible' | 'inflight' | 'deleted';

interface ModelMessage {
  body: string;
  group: string;
  state: State;
  receives: number;
  /** The receipt handle of the latest receive. */
  latest?: string;
}

interface Model {
  fifo: boolean;
  next: number;
  /** In send order. */
  messages: ModelMessage[];
  /** Every receipt handle issued, with the message and the receive that issued it. */
  handles: { handle: string; message: ModelMessage }[];
}

interface Real {
  url: string;
}

const VISIBILITY = 600;

async function errorName(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as Error).name;
  }
}

class Send implements fc.AsyncCommand<Model, Real> {
  constructor(readonly group: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = `m${m.next++}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: r.url,
        MessageBody: body,
        ...(m.fifo ? { MessageGroupId: this.group, MessageDeduplicationId: body } : {}),
      }),
    );
    m.messages.push({ body, group: this.group, state: 'visible', receives: 0 });
  }
  toString = () => `Send(${this.group})`;
}

class Receive implements fc.AsyncCommand<Model, Real> {
  constructor(readonly max: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: r.url, MaxNumberOfMessages: this.max, VisibilityTimeout: VISIBILITY, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const got = out.Messages ?? [];
    const byBody = new Map(m.messages.map((x) => [x.body, x]));
    for (const msg of got) {
      const mm = byBody.get(msg.Body!);
      // Never a message that was deleted, never one that is in flight, never twice in one answer.
      expect(mm, `unknown or duplicate body ${msg.Body}`).toBeDefined();
      expect(mm!.state).toBe('visible');
      byBody.delete(msg.Body!);
    }
    if (m.fifo) checkFifoReceive(m, got.map((x) => x.Body!), this.max);
    else expect(got.length).toBe(Math.min(this.max, m.messages.filter((x) => x.state === 'visible').length));
    for (const msg of got) {
      const mm = m.messages.find((x) => x.body === msg.Body)!;
      mm.state = 'inflight';
      mm.receives++;
      mm.latest = msg.ReceiptHandle!;
      expect(msg.Attributes!.ApproximateReceiveCount).toBe(String(mm.receives));
      m.handles.push({ handle: msg.ReceiptHandle!, message: mm });
    }
  }
  toString = () => `Receive(${this.max})`;
}

/**
 * FIFO: each group in the answer was not in flight, and its part of the answer is its oldest undeleted
 * messages in send order; an empty answer means no group could deliver.
 */
function checkFifoReceive(m: Model, bodies: string[], max: number) {
  expect(bodies.length).toBeLessThanOrEqual(max);
  const groups = new Map<string, string[]>();
  for (const b of bodies) {
    const g = m.messages.find((x) => x.body === b)!.group;
    groups.set(g, [...(groups.get(g) ?? []), b]);
  }
  for (const [g, got] of groups) {
    const pending = m.messages.filter((x) => x.group === g && x.state !== 'deleted');
    expect(pending.some((x) => x.state === 'inflight'), `group ${g} delivered while in flight`).toBe(false);
    expect(got).toEqual(pending.slice(0, got.length).map((x) => x.body));
  }
  if (bodies.length === 0) {
    const deliverable = [...new Set(m.messages.map((x) => x.group))].some((g) => {
      const pending = m.messages.filter((x) => x.group === g && x.state !== 'deleted');
      return pending.length > 0 && pending.every((x) => x.state === 'visible');
    });
    expect(deliverable, 'nothing delivered although a group could deliver').toBe(false);
  }
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.handles.length > 0;
  async run(m: Model, r: Real) {
    const { handle, message } = m.handles[this.pick % m.handles.length]!;
    const err = await errorName(sqs.send(new DeleteMessageCommand({ QueueUrl: r.url, ReceiptHandle: handle })));
    // Standard: any handle ever issued deletes the message (and deleting again is fine). FIFO: only the
    // latest handle of a message still in flight; a deleted message's handle is a no-op success.
    const valid = !m.fifo || message.state === 'deleted' || (message.state === 'inflight' && message.latest === handle);
    expect(err).toBe(valid ? undefined : 'InvalidParameterValue');
    if (valid) message.state = 'deleted';
  }
  toString = () => `Delete(${this.pick})`;
}

class MakeVisible implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.handles.length > 0;
  async run(m: Model, r: Real) {
    const { handle, message } = m.handles[this.pick % m.handles.length]!;
    const err = await errorName(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: r.url, ReceiptHandle: handle, VisibilityTimeout: 0 })));
    const expected =
      message.state === 'deleted'
        ? 'InvalidParameterValue'
        : message.state === 'visible'
          ? 'MessageNotInflight'
          : message.latest !== handle
            ? 'InvalidParameterValue'
            : undefined;
    expect(err).toBe(expected);
    if (expected === undefined) message.state = 'visible';
  }
  toString = () => `MakeVisible(${this.pick})`;
}

class Count implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    const a = (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: r.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      )
    ).Attributes!;
    expect([Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible)]).toEqual([
      m.messages.filter((x) => x.state === 'visible').length,
      m.messages.filter((x) => x.state === 'inflight').length,
    ]);
  }
  toString = () => 'Count';
}

const commands = fc.commands(
  [
    fc.constantFrom('A', 'B', 'C').map((g) => new Send(g)),
    fc.integer({ min: 1, max: 10 }).map((n) => new Receive(n)),
    fc.nat().map((n) => new Delete(n)),
    fc.nat().map((n) => new MakeVisible(n)),
    fc.constant(new Count()),
  ],
  { maxCommands: 40, size: 'max' },
);

/** After the run: make everything visible and drain; exactly the undeleted messages must come back. */
async function drainMatchesModel(m: Model, url: string) {
  for (const x of m.messages)
    if (x.state === 'inflight') await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: x.latest!, VisibilityTimeout: 0 }));
  const drained: string[] = [];
  while (true) {
    const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: VISIBILITY }))).Messages ?? [];
    if (got.length === 0) break;
    drained.push(...got.map((g) => g.Body!));
    // FIFO groups stay locked while in flight: delete as we go so the rest of each group flows.
    for (const g of got) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: g.ReceiptHandle }));
  }
  expect(drained.sort()).toEqual(m.messages.filter((x) => x.state !== 'deleted').map((x) => x.body).sort());
}

async function runModel(fifo: boolean, cmds: Iterable<fc.AsyncCommand<Model, Real>>) {
  const name = `model-${++queues}${fifo ? '.fifo' : ''}`;
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : {} }))).QueueUrl!;
  const model: Model = { fifo, next: 0, messages: [], handles: [] };
  await fc.asyncModelRun(async () => ({ model, real: { url } }), cmds);
  await drainMatchesModel(model, url);
}

describe('SQS against an in-memory model', () => {
  it('standard queue: no acknowledged message is lost or delivered after delete, and no message is delivered while in flight', async () => {
    await fc.assert(
      fc.asyncProperty(commands, (cmds) => runModel(false, cmds)),
      { numRuns: 15 },
    );
  }, 60_000);

  it('FIFO queue: each group is delivered in send order, never while one of its messages is in flight, and nothing deleted comes back', async () => {
    await fc.assert(
      fc.asyncProperty(commands, (cmds) => runModel(true, cmds)),
      { numRuns: 15 },
    );
  }, 60_000);
});
