import type { BuildOptions } from 'esbuild';
import { PROJECT_ROOT } from '../handlers.js';

/**
 * How every Tourniquet Lambda is bundled, in one place: {@link HandlerFunction} hands these options
 * to NodejsFunction (which runs the esbuild CLI at synth) and `npm run bench` (bench/bundles.ts)
 * builds with exactly the same ones through esbuild's API to report bundle size and cold init.
 *
 * Keep this file free of aws-cdk-lib: the bench loads it on its own.
 */

/**
 * Makes the ESM bundle able to load the CommonJS dependencies that still call `require`
 * (esbuild leaves those calls in place when the output format is ESM).
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/**
 * Left out of every bundle: the AWS SDK for JavaScript v3 and the Smithy packages under it come from
 * the Lambda nodejs22.x runtime, which ships the full SDK v3 in /var/runtime/node_modules and (since
 * nodejs18.x) resolves ES module imports through NODE_PATH.
 *
 * Why: bundled, the SDK was 60-85 % of every bundle (477-1,098 KB) and most of the cold init; every
 * handler needs at least DynamoDB. Left out, bundles are 40-200 KB and the clients load from the
 * runtime's copy (prebuilt `dist-cjs`, already on the machine, in the page cache of a warm host).
 *
 * The price is pinning: the functions run the SDK minor version the runtime has in that region
 * (Lambda updates it in place, region by region), not the one in package-lock.json that the tests
 * and the drill ran. Tourniquet only calls long-stable operations (DynamoDB, SNS, SFN, AppConfig,
 * ECS, Route 53, WAFv2, CloudWatch, Secrets Manager, RDS, IAM, STS, Route 53 ARC cluster), none of
 * which is newer than the runtime's SDK. If a handler ever needs an operation newer than the
 * runtime's SDK, bundle just that client (drop its pattern from this list for that function, or
 * pin it through a layer) instead of going back to bundling the whole SDK.
 */
export const RUNTIME_PROVIDED_MODULES: readonly string[] = ['@aws-sdk/*', '@smithy/*'];

/** The esbuild settings of every handler bundle (the NodejsFunction `bundling` props and the bench use these). */
export const HANDLER_BUNDLING = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  /** An external `index.mjs.map`: stack traces keep file/line positions (NODE_OPTIONS=--enable-source-maps). */
  sourceMap: true,
  /** Maps keep file/line positions without shipping the sources a second time. */
  sourcesContent: false,
  /** ESM builds of dependencies first: they tree-shake, CommonJS builds do not. */
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  externalModules: RUNTIME_PROVIDED_MODULES,
} as const;

/**
 * The esbuild API options equivalent to what NodejsFunction passes on the command line for
 * {@link HANDLER_BUNDLING} (`--bundle <entry> --target --platform=node --format --outfile --minify
 * --sourcemap --sources-content=false --external:… --define:… --banner:js --main-fields`).
 */
export function handlerBuildOptions(entry: string, outfile: string, define?: Readonly<Record<string, string>>): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: PROJECT_ROOT,
    outfile,
    bundle: true,
    format: HANDLER_BUNDLING.format,
    platform: HANDLER_BUNDLING.platform,
    target: HANDLER_BUNDLING.target,
    minify: HANDLER_BUNDLING.minify,
    sourcemap: HANDLER_BUNDLING.sourceMap,
    sourcesContent: HANDLER_BUNDLING.sourcesContent,
    external: [...HANDLER_BUNDLING.externalModules],
    mainFields: [...HANDLER_BUNDLING.mainFields],
    banner: { js: HANDLER_BUNDLING.banner },
    define: define ? { ...define } : undefined,
    logLevel: 'warning',
  };
}
