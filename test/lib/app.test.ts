import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { CONFIG_FILE_CONTEXT, SKIP_BUNDLING_CONTEXT, stackNameFor } from '../../lib/app.js';
import { HANDLER_NAMES } from '../../lib/handlers.js';
import { configWith, ROOT, sampleConfig, sampleConfigText } from './support.js';

/** Runs `bin/app.ts` the way the CDK CLI does (context and outdir through the environment), with no AWS credentials. */
function runApp(dir: string, context: Record<string, unknown>) {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  Object.assign(env, {
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    CDK_OUTDIR: path.join(dir, 'cdk.out'),
    CDK_CONTEXT_JSON: JSON.stringify(context),
  });
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/app.ts')], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 });
}

describe('bin/app.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tourniquet-app-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails with exit code 2 and every config problem, with its path, on stderr', () => {
    const raw = JSON.parse(sampleConfigText());
    raw.stage = 'Prod!';
    raw.services[0].alarms = [];
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(raw));
    const run = runApp(dir, { [CONFIG_FILE_CONTEXT]: file });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${file}: 2 problem(s) in the Tourniquet config`);
    expect(run.stderr).toContain('  - stage: stage must be lowercase letters, digits and -, max 16');
    expect(run.stderr).toContain('  - services[0].alarms: a service needs at least one alarm');
  });

  it('fails with exit code 2 when the config file cannot be read', () => {
    const run = runApp(dir, { [CONFIG_FILE_CONTEXT]: path.join(dir, 'missing.json') });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('missing.json: cannot read the Tourniquet config');
  });

  it('synthesizes the configured stage offline, with cdk-nag passing', () => {
    const file = path.join(dir, 'staging.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(sampleConfigText()), stage: 'staging' }));
    const run = runApp(dir, { [CONFIG_FILE_CONTEXT]: file, ...SKIP_BUNDLING_CONTEXT });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const name = stackNameFor(configWith((c) => (c.stage = 'staging')));
    expect(name).toBe('Tourniquet-staging');
    const template = JSON.parse(readFileSync(path.join(dir, 'cdk.out', `${name}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(HANDLER_NAMES.length);
    const report = JSON.parse(readFileSync(path.join(dir, 'cdk.out', 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });

  it('names the stack after the stage', () => {
    expect(stackNameFor(sampleConfig())).toBe('Tourniquet-prod');
  });
});
