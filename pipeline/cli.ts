/**
 * `furrow <command>`: one entry point for every app. Each command lives in its own module and is loaded
 * lazily so `furrow collector` does not pay for the emulator's imports.
 */
export interface Command {
  /** One line for `furrow --help`. */
  summary: string;
  run(argv: string[]): Promise<void>;
}

const commands: Record<string, () => Promise<Command>> = {
  emulator: async () => (await import('../emulator/aws/main')).command,
  emulate: async () => (await import('../emulator/emulate/main')).command,
  collector: async () => (await import('./collector/main')).command,
  enrich: async () => (await import('./enrich/main')).command,
  postgres: async () => (await import('../emulator/postgres/main')).command,
  'iglu-server': async () => (await import('./iglu/server/main')).command,
  's3-loader': async () => (await import('./s3-loader/main')).command,
  transformer: async () => (await import('./transformer/main')).command,
  'snowflake-emulator': async () => (await import('../emulator/snowflake/main')).command,
  loader: async () => (await import('./loader/main')).command,
  config: async () => (await import('./config/render-command')).command,
};

function usage(): string {
  const lines = ['Usage: furrow <command> [options]', '', 'Commands:'];
  for (const name of Object.keys(commands)) lines.push(`  ${name}`);
  lines.push('', 'Run `furrow <command> --help` for the options of one command; `furrow --version` for the version.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    const { FURROW_VERSION, bundleDir } = await import('./runtime/project');
    const bundle = bundleDir();
    process.stdout.write(`furrow ${FURROW_VERSION} (${bundle ? `bundle ${bundle}` : 'TypeScript sources'})\n`);
    return;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`furrow: unknown command '${name}'\n\n${usage()}\n`);
    process.exitCode = 2;
    return;
  }
  const command = await load();
  try {
    await command.run(rest);
  } catch (err) {
    process.stderr.write(`furrow ${name}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
