import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { HANDLER_METADATA_KEY, HANDLER_NAMES } from '../../lib/handlers.js';
import { ROOT } from './support.js';

/**
 * The npm package as `npm pack` would publish it, and a team's app that uses it: `npm run build`
 * (scripts/build.ts) writes dist/, `npm pack --dry-run` lists what would ship, and
 * examples/embedded-app synthesizes against dist/ (its `import 'tourniquet'` resolves through the
 * package's own `exports`), so the construct runs compiled and deploys the prebuilt bundles.
 */

const run = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
  return { stdout: result.stdout, seconds: (performance.now() - started) / 1000 };
};

describe('the npm package', () => {
  let files: string[];
  let outdir: string;
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }> };
  const timings: Record<string, string> = {};

  beforeAll(() => {
    const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    timings.build = `${run(process.execPath, [tsx, 'scripts/build.ts']).seconds.toFixed(1)} s`;
    const pack = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
    timings.pack = `${pack.seconds.toFixed(1)} s`;
    files = (JSON.parse(pack.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    outdir = mkdtempSync(path.join(tmpdir(), 'tourniquet-example-'));
    // What the CDK CLI does for `cdk synth`: CDK_OUTDIR makes the app write its assembly there when it exits.
    timings.example = `${run(process.execPath, [tsx, 'examples/embedded-app/app.ts'], { CDK_OUTDIR: outdir }).seconds.toFixed(1)} s`;
    template = JSON.parse(readFileSync(path.join(outdir, 'CheckoutStack.template.json'), 'utf8')) as typeof template;
    console.info(`package test: build ${timings.build}, npm pack --dry-run ${timings.pack}, example synth ${timings.example}; ${files.length} files`);
  }, 600_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('ships the construct compiled, with its declarations, and every handler bundle', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/tourniquet.js', 'dist/lib/tourniquet.d.ts']));
    expect(files).toEqual(expect.arrayContaining(['dist/lambdas/core/config.js', 'dist/lambdas/core/config.d.ts', 'dist/cli/main.js', 'bin/tourniquet.mjs']));
    for (const handler of HANDLER_NAMES) expect(files).toEqual(expect.arrayContaining([`dist/bundles/${handler}/index.mjs`, `dist/bundles/${handler}/index.mjs.map`]));
  });

  it('ships no tests, sources, drill, bench or stray source maps', () => {
    const junk = files.filter(
      (f) =>
        /^(test|bench|e2e|scripts|examples|drill|lib|lambdas|cli|cdk\.out|node_modules)\//.test(f) ||
        f.startsWith('dist/drill/') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        (f.endsWith('.map') && !f.startsWith('dist/bundles/')),
    );
    expect(junk).toEqual([]);
  });

  it('resolves its own name through exports to the compiled entry point', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;
    expect(pkg.private).toBeUndefined();
    expect(pkg.exports['.']).toEqual({ types: './dist/lib/index.d.ts', import: './dist/lib/index.js' });
    expect(files).toEqual(expect.arrayContaining([pkg.exports['.'].import.slice(2), pkg.exports['.'].types.slice(2)]));
  });

  describe('examples/embedded-app (a team stack embedding Tourniquet, cdk-nag on)', () => {
    const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

    it('has the workflow, the incident table and the functions', () => {
      expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(1);
      expect(ofType('AWS::DynamoDB::Table')).toHaveLength(1);
      const handlers = ofType('AWS::Lambda::Function').map(([, r]) => r.Metadata?.[HANDLER_METADATA_KEY]);
      expect(handlers).toEqual(expect.arrayContaining([...HANDLER_NAMES]));
    });

    it("routes the team's own alarm to the starter by its CloudFormation name", () => {
      const [alarmId] = ofType('AWS::CloudWatch::Alarm').find(([id]) => id.startsWith('CheckoutErrors'))!;
      const patterns = ofType('AWS::Events::Rule').map(([, r]) => r.Properties.EventPattern?.detail?.alarmName);
      expect(patterns).toContainEqual([{ Ref: alarmId }]);
    });

    it('deploys the prebuilt bundles from dist/, byte for byte', () => {
      const assets = JSON.parse(readFileSync(path.join(outdir, 'CheckoutStack.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
      for (const [, fn] of ofType('AWS::Lambda::Function')) {
        const handler = fn.Metadata?.[HANDLER_METADATA_KEY];
        if (handler === undefined) continue;
        const key = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
        const deployed = readFileSync(path.join(outdir, assets.files[key]!.source.path, 'index.mjs'), 'utf8');
        expect({ handler, same: deployed === readFileSync(path.join(ROOT, 'dist', 'bundles', handler, 'index.mjs'), 'utf8') }).toEqual({ handler, same: true });
      }
    });
  });
});
