import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { definitionFromTemplate, loadWorkflowDefinition } from '../../drill/definition.js';
import { createTourniquetApp } from '../../lib/app.js';
import { HANDLER_METADATA_KEY, HANDLER_NAMES } from '../../lib/handlers.js';
import { sampleConfig } from './support.js';

/** Above this a bundle is worth a look: cold start grows with bundle size. */
const BUNDLE_BUDGET_BYTES = 1_200_000;

/** The one real synth: esbuild bundles every handler, as `cdk synth` does. */
describe('bundled synth of the sample config', () => {
  let outdir: string;
  let template: { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
  let seconds: number;
  const bundleOf = (handler: string) => {
    const fn = Object.values(template.Resources).find((r) => r.Metadata?.[HANDLER_METADATA_KEY] === handler)!;
    return path.join(outdir, fn.Metadata!['aws:asset:path']!, 'index.mjs');
  };

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'tourniquet-bundled-'));
    const started = performance.now();
    const { app, stack } = createTourniquetApp(sampleConfig(), {
      validateTemplate: false,
      // What the CDK CLI sets: records each function's asset directory in its metadata.
      appProps: { outdir, context: { 'aws:cdk:enable-asset-metadata': true } },
    });
    template = app.synth().getStackArtifact(stack.artifactId).template as typeof template;
    seconds = (performance.now() - started) / 1000;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles every handler as a minified ESM file with an external source map, within budget', () => {
    const sizes: Record<string, string> = {};
    for (const handler of HANDLER_NAMES) {
      const file = bundleOf(handler);
      expect(existsSync(`${file}.map`)).toBe(true);
      const code = readFileSync(file, 'utf8');
      expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(import.meta.url);")).toBe(true);
      const bytes = statSync(file).size;
      expect({ handler, withinBudget: bytes <= BUNDLE_BUDGET_BYTES }).toEqual({ handler, withinBudget: true });
      sizes[handler] = `${(bytes / 1024).toFixed(0)} KB (+ ${(statSync(`${file}.map`).size / 1024).toFixed(0)} KB map)`;
    }
    console.info(
      `bundled synth: ${seconds.toFixed(1)} s\n${Object.entries(sizes)
        .map(([h, s]) => `  ${h}: ${s}`)
        .join('\n')}`,
    );
  });

  it('puts the validated config in the config layer, and no install-specific data in any bundle', () => {
    const layer = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::LayerVersion')!;
    const folder = path.join(outdir, layer.Metadata!['aws:asset:path']!, 'tourniquet');
    expect(JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8'))).toEqual(sampleConfig());
    expect(readFileSync(path.join(folder, 'cadence.json'), 'utf8')).toContain('checkout-p99-latency');
    for (const handler of HANDLER_NAMES) {
      const code = readFileSync(bundleOf(handler), 'utf8');
      expect({ handler, config: code.includes('pager@example.com') || code.includes('checkout-p99-latency') }).toEqual({ handler, config: false });
    }
  });

  it('deploys the same state machine definition the drill runs', () => {
    expect(definitionFromTemplate(template as never)).toEqual(loadWorkflowDefinition(sampleConfig()));
  });
});
