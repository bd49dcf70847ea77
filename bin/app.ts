#!/usr/bin/env node
import { readFileSync } from 'node:fs';

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { ConfigInvalidError, parseConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { addTourniquetStack, CONFIG_FILE_CONTEXT, DEFAULT_CONFIG_FILE } from '../lib/app.js';

/**
 * CDK entry point: `npx cdk synth [-c tourniquet:configFile=path]`. Reads and validates the config
 * exactly like `tourniquet validate`, so a bad config fails synth with the same list of problems.
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

addTourniquetStack(app, loadConfig(configFile));
// cdk-nag 3 is a policy-validation plugin: any unacknowledged AwsSolutions finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
