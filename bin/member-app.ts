#!/usr/bin/env node
import { readFileSync } from 'node:fs';

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { ConfigInvalidError, parseConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { CONFIG_FILE_CONTEXT, DEFAULT_CONFIG_FILE } from '../lib/app.js';
import { addMemberStacks } from '../lib/member/member-stack.js';

/**
 * CDK entry point of the member stacks (docs/accounts.md): one per workload account and region, and
 * per other region of the central account, from the same config as the central stack.
 *
 *   npx cdk --app 'npx tsx bin/member-app.ts' list
 *   npx cdk --app 'npx tsx bin/member-app.ts' deploy Tourniquet-prod-member-222222222222-eu-west-1 --profile workload
 *
 * Each stack is pinned to its account and region, so deploying one needs credentials of that account.
 */
const app = new App();
const configFile = String(app.node.tryGetContext(CONFIG_FILE_CONTEXT) ?? DEFAULT_CONFIG_FILE);

function loadConfig(file: string): TourniquetConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    process.stderr.write(`${file}: cannot read the Tourniquet config: ${(cause as Error).message}\n`);
    process.exit(2);
  }
  try {
    return parseConfig(text, file);
  } catch (error) {
    if (error instanceof ConfigInvalidError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const stacks = addMemberStacks(app, loadConfig(configFile));
if (stacks.length === 0) process.stderr.write(`${configFile}: every service is in Tourniquet's own account and region: there is no member stack to deploy\n`);
// cdk-nag 3 is a policy-validation plugin: any unacknowledged AwsSolutions finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
