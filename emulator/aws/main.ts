import { parseArgs } from 'node:util';
import type { Command } from '../../pipeline/cli';
import { parsePortFlag, untilSignal } from '../../pipeline/runtime/index';
import { startEmulator } from './index';

const HELP = `Usage: furrow emulator [--host 127.0.0.1] [--port 4566] [--data-dir DIR] [--strict-kinesis]

Starts Furrow's AWS emulator: Kinesis, SQS, DynamoDB and S3 on one port, for the real @aws-sdk v3 clients.

Options:
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port (default 4566; 0 picks a free one)
  --data-dir DIR     keep every acknowledged write in DIR so it survives a restart (default: memory only)
  --strict-kinesis   enforce AWS's per-shard limits (1 MB/s, 1,000 records/s in; 2 MB/s, 5 GetRecords/s out)
  --region REGION    region in ARNs and queue URLs (default us-east-1)
  -h, --help         this text

Admin: GET /_furrow/health, GET|POST|DELETE /_furrow/faults ({"rules":[{"service":"kinesis","operation":"PutRecords","error":"throttle","errorRate":0.5}]}).
Point clients at it with AWS_ENDPOINT_URL=http://127.0.0.1:4566 (any credentials).`;

export const command: Command = {
  summary: 'the Docker-free AWS emulator (Kinesis, SQS, DynamoDB, S3)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '4566' },
        'data-dir': { type: 'string' },
        'strict-kinesis': { type: 'boolean', default: false },
        region: { type: 'string', default: 'us-east-1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    const port = parsePortFlag(values.port)!;
    let emu;
    try {
      emu = await startEmulator({
        host: values.host,
        port,
        dataDir: values['data-dir'],
        region: values.region,
        kinesis: { strict: values['strict-kinesis'] },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${port} on ${values.host} is already in use (pick another with --port)`, { cause: err });
      throw err;
    }
    process.stdout.write(
      `furrow emulator listening on ${emu.endpoint} (kinesis, sqs, dynamodb, s3)` +
        (values['data-dir'] ? `, state in ${values['data-dir']}` : ', state in memory') +
        '\n',
    );
    await untilSignal(() => {
      process.stdout.write('furrow emulator: stopping\n');
      return emu.stop();
    });
  },
};
