/**
 * `npm run build` (and `npm pack` / `npm publish` through prepack): what the npm package ships, in dist/.
 *
 * 1. dist/lib, dist/lambdas, dist/cli (and dist/drill, which the CLI imports): JavaScript and .d.ts
 *    from `tsc -p tsconfig.build.json`;
 * 2. dist/bundles/<handler>/: each Lambda handler bundled with the esbuild options of its stack asset
 *    (lib/constructs/bundling.ts handlerBuildOptions): index.mjs, its chunks/ and their .map files.
 *    Compiled, HandlerFunction deploys these (lib/constructs/handler-function.ts): a team that installs
 *    the package synthesizes without esbuild.
 *
 * Prints how long each step took.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';

import { build } from 'esbuild';

import { handlerBuildOptions } from '../lib/constructs/bundling.js';
import { HANDLER_NAMES, handlerEntry, PROJECT_ROOT } from '../lib/handlers.js';

const DIST = path.join(PROJECT_ROOT, 'dist');

const started = performance.now();
rmSync(DIST, { recursive: true, force: true });

const tsc = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(PROJECT_ROOT, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  process.stderr.write('build: tsc failed\n');
  process.exit(tsc.status ?? 1);
}
const compiled = performance.now();

await Promise.all(HANDLER_NAMES.map((handler) => build(handlerBuildOptions(handlerEntry(handler), path.join(DIST, 'bundles', handler)))));
const bundled = performance.now();

const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
process.stdout.write(
  `build: dist/ in ${seconds(started, bundled)} s (tsc ${seconds(started, compiled)} s, ${HANDLER_NAMES.length} handler bundles ${seconds(compiled, bundled)} s)\n`,
);
