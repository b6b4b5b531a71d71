#!/usr/bin/env node
// Furrow's command-line entry point. It runs the esbuild bundle of the current sources (build/<fingerprint>/,
// made by `npm ci` or `npm run build`) when there is one, and the TypeScript sources through tsx's loader
// otherwise, so an edited checkout never runs stale code. FURROW_FROM_SOURCE=1 forces the sources.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_DIR, bundledCli } from './build.mjs';

// The AWS SDK is pinned to releases that support Node 20 (see README); its Node 22 notice is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The bundle's cli.mjs, or undefined for the sources. FURROW_CODE carries that choice to the Furrow processes
 * this one starts (cluster workers, emulate's stages): a process tree runs one version of the code, and each
 * child is spared fingerprinting the sources again (~45 ms at start-up).
 */
function chooseCode() {
  if (process.env.FURROW_FROM_SOURCE === '1') return undefined;
  const inherited = process.env.FURROW_CODE;
  if (inherited === 'source') return undefined;
  if (inherited && dirname(dirname(inherited)) === BUILD_DIR && existsSync(inherited)) return inherited;
  return bundledCli();
}

const bundle = chooseCode();
process.env.FURROW_CODE = bundle ?? 'source';
let main;
if (bundle) {
  process.setSourceMapsEnabled(true);
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../pipeline/cli.ts'));
}
await main(process.argv.slice(2));
