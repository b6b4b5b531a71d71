/**
 * Where Furrow is installed and which version it is. Modules find their files (core schemas, IAB lists, the
 * Micro UI, bin/furrow.mjs) from the project root rather than from their own location: bundled by
 * bin/build.mjs, a module no longer sits in its source folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** The nearest folder above this module holding Furrow's package.json (pipeline/runtime/ or build/<fingerprint>/). */
export const PROJECT_ROOT: string = (() => {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'furrow.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`furrow: no project root (package.json with bin/furrow.mjs) above ${import.meta.dirname}`);
  }
})();

export const FURROW_VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `bundle` when bin/furrow.mjs runs the esbuild bundle, `source` when it runs the TypeScript through tsx. */
export function furrowRuntime(): 'bundle' | 'source' {
  return bundleDir() === undefined ? 'source' : 'bundle';
}

/** The bundle this process runs, relative to the project root (`build/<fingerprint>`), if it runs one. */
export function bundleDir(): string | undefined {
  const code = process.env.FURROW_CODE; // set by bin/furrow.mjs: the bundle's cli.mjs, or `source`
  return code && code !== 'source' ? relative(PROJECT_ROOT, dirname(code)).split(sep).join('/') : undefined;
}
