/** Shared helpers for the S3 tests: an emulator with an SDK client, and raw HTTP for what the SDK will not send. */
import { request, type Agent } from 'node:http';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../index';
import { emulatorSettings, httpHandler, s3Client } from '../../../pipeline/streams/aws-clients';

export interface S3Harness {
  emu: RunningEmulator;
  s3: S3Client;
  /** Another path-style client on the same emulator with extra config (checksum modes...); destroyed by `stop`. */
  client(extra?: S3ClientConfig): S3Client;
  stop(): Promise<void>;
}

export async function startS3(options: EmulatorOptions = {}): Promise<S3Harness> {
  const internalErrors: unknown[] = [];
  const emu = await startEmulator({ port: 0, onInternalError: (err) => internalErrors.push(err), ...options });
  const clients: S3Client[] = [];
  const settings = emulatorSettings(emu.endpoint, { maxAttempts: 1 });
  const client = (extra: S3ClientConfig = {}) => {
    const c = new S3Client({
      region: settings.region,
      endpoint: emu.endpoint,
      credentials: settings.credentials,
      maxAttempts: 1,
      forcePathStyle: true,
      requestHandler: httpHandler(settings),
      ...extra,
    });
    clients.push(c);
    return c;
  };
  // The project's own factory, so the tests exercise the client the pipeline uses.
  const s3 = s3Client(settings);
  clients.push(s3);
  return {
    emu,
    s3,
    client,
    async stop() {
      for (const c of clients) c.destroy();
      await emu.stop();
      // A crash inside a handler is an emulator bug even when the client saw a tidy 500.
      if (internalErrors.length) throw new Error(`S3 handler crashed: ${String((internalErrors[0] as Error)?.stack ?? internalErrors[0])}`);
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** One plain HTTP/1.1 request to the emulator with exactly these headers (Host included if given). */
export function raw(
  emu: RunningEmulator,
  opts: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string; agent?: Agent },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const req = request(
      {
        host: emu.host,
        port: emu.port,
        method: opts.method,
        path: opts.path,
        agent: opts.agent,
        headers: { ...(body ? { 'content-length': body.length } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The `<Code>` of an S3 XML error body. */
export const errorCode = (text: string) => /<Code>([^<]*)<\/Code>/.exec(text)?.[1];

/** Record the headers of every request `client` sends (after signing), to prove what went over the wire. */
export function recordSentHeaders(client: S3Client): Record<string, string>[] {
  const seen: Record<string, string>[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) seen.push({ ...request.headers });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'furrowRecordSentHeaders' },
  );
  return seen;
}
