#!/usr/bin/env node
/**
 * Furrow's production build: the TypeScript of pipeline/ and emulator/ bundled by esbuild into plain ES
 * modules, one directory per source fingerprint (build/<fingerprint>/). `npm ci` runs it (the `prepare`
 * script); `npm run build` runs it by hand.
 *
 * Why: run through tsx, every Furrow process carries Node 20's module-hooks thread, a second V8 isolate of
 * about 30 MiB that stays for the life of the process. A collector with one HTTP worker per core pays that in
 * every worker. bin/furrow.mjs runs the bundle whose fingerprint matches the sources on disk, and the
 * sources through tsx otherwise (an edited checkout never runs stale code; it just runs slower to start).
 *
 *   node bin/build.mjs            build (if not built yet) and print the bundle's directory
 *   node bin/build.mjs --check    exit 0 if the sources have a bundle, 1 if not
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = join(ROOT, 'build');
/** What the bundle is made of; tests are not part of it. */
const SOURCE_DIRS = ['pipeline', 'emulator'];
/** Files outside those folders that change what the bundle contains. */
const BUILD_INPUTS = ['tsconfig.json', 'bin/build.mjs'];
/** Bundles kept besides the newest: a running process may still load a lazy chunk of the one it started from. */
const KEEP = 3;

/** The entry points, by output name: the CLI and the worker threads' modules. */
const ENTRIES = {
  cli: 'pipeline/cli.ts',
  'producer-thread.worker': 'pipeline/streams/producer-thread.worker.ts',
};

function sourceFiles() {
  const files = [];
  for (const dir of SOURCE_DIRS)
    for (const f of readdirSync(join(ROOT, dir), { recursive: true })) {
      const name = String(f);
      if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(join(dir, name));
    }
  return files.sort().concat(BUILD_INPUTS);
}

/** A hash of every file the bundle is built from (paths and contents): equal fingerprints, equal bundles. */
export function sourceFingerprint() {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) {
    hash.update(file.split(sep).join('/'));
    hash.update('\0');
    hash.update(readFileSync(join(ROOT, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The bundle's CLI module for the sources as they are now, or undefined when there is none. */
export function bundledCli(fingerprint = sourceFingerprint()) {
  const cli = join(BUILD_DIR, fingerprint, 'cli.mjs');
  return existsSync(cli) ? cli : undefined;
}

/** Build the bundle for the current sources unless it exists; resolves to its directory. */
export async function build({ log = () => {} } = {}) {
  const fingerprint = sourceFingerprint();
  const dir = join(BUILD_DIR, fingerprint);
  if (existsSync(join(dir, 'cli.mjs'))) {
    log(`up to date: ${relative(ROOT, dir)}`);
    return dir;
  }
  const { build: esbuild } = await import('esbuild');
  const started = Date.now();
  // Built aside and renamed into place, so a concurrent `furrow` never sees half a bundle.
  const tmp = join(BUILD_DIR, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await esbuild({
      absWorkingDir: ROOT,
      entryPoints: ENTRIES,
      outdir: tmp,
      bundle: true,
      // One chunk per lazily imported command, so `furrow collector` loads none of the emulator's code.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // node_modules stay where npm put them: resolved at run time, exactly as under tsx.
      packages: 'external',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunk-[hash]',
      sourcemap: 'linked',
      tsconfig: join(ROOT, 'tsconfig.json'),
      logLevel: 'silent',
    });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another build of the same sources got there first: theirs is the same bundle.
      if (!existsSync(join(dir, 'cli.mjs'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const now = new Date();
  utimesSync(dir, now, now);
  prune(fingerprint);
  log(`built ${relative(ROOT, dir)} in ${Date.now() - started} ms`);
  return dir;
}

/** Drop all but the newest bundles (and leftovers of interrupted builds). */
function prune(current) {
  const dirs = readdirSync(BUILD_DIR)
    .filter((d) => d !== current)
    .map((d) => ({ d, mtime: statSync(join(BUILD_DIR, d)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const stale = Date.now() - 10 * 60_000;
  dirs.forEach(({ d, mtime }, i) => {
    if (d.startsWith('.tmp-') ? mtime < stale : i >= KEEP - 1) rmSync(join(BUILD_DIR, d), { recursive: true, force: true });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'Usage: node bin/build.mjs [--check]\n\nBundles pipeline/ and emulator/ into build/<source fingerprint>/ (esbuild), which\nbin/furrow.mjs runs instead of the TypeScript sources while the fingerprint matches.\n\n  --check   exit 0 if the current sources have a bundle, 1 if not\n',
    );
  } else if (args.includes('--check')) {
    const cli = bundledCli();
    process.stdout.write(cli ? `${relative(ROOT, dirname(cli))}\n` : 'no bundle for the current sources (run `npm run build`)\n');
    process.exitCode = cli ? 0 : 1;
  } else {
    try {
      await build({ log: (line) => process.stdout.write(`furrow build: ${line}\n`) });
    } catch (err) {
      process.stderr.write(`furrow build: ${err?.message ?? err}\n`);
      process.exitCode = 1;
    }
  }
}
