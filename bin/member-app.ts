#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { addMemberStacks } from '../lib/member/member-stack.js';
import { loadConfigOrExit } from './config-file.js';

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
const { file: configFile, config } = loadConfigOrExit(app);

const stacks = addMemberStacks(app, config);
if (stacks.length === 0) process.stderr.write(`${configFile}: every service is in Tourniquet's own account and region: there is no member stack to deploy\n`);
// cdk-nag 3 is a policy-validation plugin: any unacknowledged AwsSolutions finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
