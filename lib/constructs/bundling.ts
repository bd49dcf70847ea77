import type { BuildOptions } from 'esbuild';

import { PROJECT_ROOT } from '../handlers.js';

/**
 * How every Tourniquet Lambda is bundled, in one place: HandlerFunction builds each function's
 * asset with these esbuild options (CDK local bundling, esbuild's API) and `npm run bench`
 * (bench/bundles.ts) builds with exactly the same ones to report size and cold init, and so does
 * `npm run build` (scripts/build-bundles.ts) for the prebuilt bundles the npm package ships. No
 * handler has install-specific data compiled in (the config comes in a layer, config-layer.ts), so
 * one build serves every install.
 * Measured figures and the reasoning: docs/performance.md.
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
 * the Lambda nodejs22.x runtime, which ships SDK v3 in /var/runtime/node_modules and (since
 * nodejs18.x) resolves ES module imports through NODE_PATH.
 *
 * Why: bundled, the SDK was most of every bundle (477-1,098 KB) and of every esbuild run at synth.
 *
 * The price is pinning, weighed and accepted: the functions run the SDK minor version the runtime
 * has in that region (Lambda updates it in place, region by region), not the one in
 * package-lock.json that the tests and the drill ran. Tourniquet calls long-stable operations only
 * (DynamoDB, SNS, SFN, AppConfig, ECS, Route 53, WAFv2, CloudWatch, Secrets Manager, and the newer
 * RDS, IAM, STS and Route 53 ARC cluster clients, all years older than any nodejs22.x SDK). Also:
 * the runtime's SDK is the CommonJS build, and loading it costs more than a tree-shaken bundled copy
 * (docs/performance.md), so clients are best loaded on first use. If a handler ever needs an
 * operation newer than the runtime's SDK, bundle that one client (drop its pattern here for that
 * function) rather than the whole SDK.
 */
export const RUNTIME_PROVIDED_MODULES: readonly string[] = ['@aws-sdk/*', '@smithy/*'];

/**
 * The esbuild options of a handler's asset: `<outdir>/index.mjs` plus, for every module the handler
 * loads with `await import()`, a chunk under `<outdir>/chunks/`.
 *
 * Splitting is what makes `await import()` lazy: without it esbuild inlines the imported module
 * and hoists the module's own imports of external packages (the SDK clients) to the top of the
 * bundle, so every client an adapter uses was loaded at init even if that adapter never ran.
 * Each chunk carries the banner and its own `.map`.
 */
export function handlerBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entry },
    absWorkingDir: PROJECT_ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    // External `.map` files: stack traces keep file/line positions (NODE_OPTIONS=--enable-source-maps)
    // without shipping the sources a second time.
    sourcemap: true,
    sourcesContent: false,
    // ESM builds of dependencies first: they tree-shake, CommonJS builds do not (packages with an
    // `exports` map, like zod and Powertools, resolve through it either way).
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    external: [...RUNTIME_PROVIDED_MODULES],
    // esbuild's per-file size table is noise in every synth; warnings and errors still show.
    logLevel: 'warning',
  };
}
