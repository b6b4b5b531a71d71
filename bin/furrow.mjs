#!/usr/bin/env node
// Furrow's command-line entry point. It runs the esbuild bundle of the current sources (build/<fingerprint>/,
// made by `npm ci` or `npm run build`) when there is one, and the TypeScript sources through tsx's loader
// otherwise, so an edited checkout never runs stale code. FURROW_FROM_SOURCE=1 forces the sources.
import { pathToFileURL } from 'node:url';
import { dirname, relative } from 'node:path';
import { bundledCli, ROOT } from './build.mjs';

// The AWS SDK is pinned to releases that support Node 20 (see README); its Node 22 notice is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const bundle = process.env.FURROW_FROM_SOURCE === '1' ? undefined : bundledCli();
let main;
if (bundle) {
  process.env.FURROW_RUNTIME = 'bundle';
  process.env.FURROW_BUNDLE_DIR = relative(ROOT, dirname(bundle));
  process.setSourceMapsEnabled(true);
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  process.env.FURROW_RUNTIME = 'source';
  delete process.env.FURROW_BUNDLE_DIR;
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../pipeline/cli.ts'));
}
await main(process.argv.slice(2));
