/**
 * `furrow config render`: Terraform outputs → pipeline config (see ./render.ts). On EC2 the module's boot
 * script runs exactly this with `--app <name>` against the deployment file it wrote, so the config an
 * instance runs is the one this command prints on a laptop.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../cli';
import { ConfigError } from './index';
import { RENDER_APPS, isRenderApp, readOutputs, renderPipelineConfig, validateRendered, type Outputs, type RenderTarget } from './render';

const HELP = `Usage: furrow config render --target aws|emulator [--outputs FILE] [--app NAME] [--out DIR] [--no-validate]

Renders Furrow's pipeline config (one JSON format for the laptop and AWS) from Terraform outputs.

Options:
  --target aws|emulator  aws: real stream/bucket/queue names, no endpoint, secrets as \${ENV} placeholders
                         emulator: the same schema with loopback endpoints (AWS 127.0.0.1:4566, collector 9090,
                         Iglu 127.0.0.1:8180/api, Snowflake 127.0.0.1:8085) and Furrow's default names
  --outputs FILE         \`terraform output -json > FILE\` (or a plain {"key": value} object); required for aws
  --app NAME             only this app's section and the shared values it reads: ${RENDER_APPS.join(', ')}
  --out DIR              write DIR/<app>.json (or DIR/pipeline.json without --app) instead of stdout
  --no-validate          skip validating the sections with the apps' own schemas
  -h, --help             this text

Secrets are never rendered: IGLU_API_KEY, IGLU_SUPER_API_KEY, IGLU_DB_PASSWORD and SNOWFLAKE_PASSWORD stay
placeholders that the app fills from its environment at start-up.`;

export const command: Command = {
  summary: 'render the pipeline config for AWS or the emulator from Terraform outputs',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === '--help' || sub === '-h') {
      process.stdout.write(HELP + '\n');
      return;
    }
    if (sub !== 'render') throw new Error(`unknown subcommand '${sub}' (see --help)`);
    const { values } = parseArgs({
      args: rest,
      options: {
        target: { type: 'string' },
        outputs: { type: 'string' },
        app: { type: 'string' },
        out: { type: 'string' },
        'no-validate': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    const target = values.target;
    if (target !== 'aws' && target !== 'emulator') throw new Error('--target aws|emulator is required (see --help)');
    if (values.app !== undefined && !isRenderApp(values.app)) throw new Error(`--app must be one of ${RENDER_APPS.join(', ')}, got '${values.app}'`);
    let outputs: Outputs = {};
    if (values.outputs) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(values.outputs, 'utf8'));
      } catch (err) {
        throw new ConfigError(`cannot read ${values.outputs}: ${(err as Error).message}`);
      }
      const read = readOutputs(json);
      outputs = read.outputs;
      if (read.unknown.length) process.stderr.write(`furrow config render: ignoring unknown outputs: ${read.unknown.join(', ')}\n`);
    } else if (target === 'aws') throw new Error('--outputs FILE is required for --target aws (terraform output -json > FILE)');
    const config = renderPipelineConfig(target as RenderTarget, outputs, { app: values.app as never });
    if (!values['no-validate']) validateRendered(config);
    const text = JSON.stringify(config, null, 2) + '\n';
    if (!values.out) {
      process.stdout.write(text);
      return;
    }
    mkdirSync(values.out, { recursive: true });
    const file = join(values.out, `${values.app ?? 'pipeline'}.json`);
    // Owner-only: the file holds no secret, but it names every resource of the deployment.
    writeFileSync(file, text, { mode: 0o640 });
    process.stderr.write(`furrow config render: wrote ${file}\n`);
  },
};
