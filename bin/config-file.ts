import { readFileSync } from 'node:fs';

import type { App } from 'aws-cdk-lib';

import { ConfigInvalidError, parseConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { CONFIG_FILE_CONTEXT, DEFAULT_CONFIG_FILE } from '../lib/app.js';

/**
 * The config file a CDK entry point synthesizes from (`-c tourniquet:configFile=path`, default
 * tourniquet.config.json), read and validated exactly like `tourniquet validate`: a bad config ends
 * synth with the same list of problems and exit code 2, not a stack trace.
 */
export function loadConfigOrExit(app: App): { file: string; config: TourniquetConfig } {
  const file = String(app.node.tryGetContext(CONFIG_FILE_CONTEXT) ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    process.stderr.write(`${file}: cannot read the Tourniquet config: ${(cause as Error).message}\n`);
    process.exit(2);
  }
  try {
    return { file, config: parseConfig(text, file) };
  } catch (error) {
    if (error instanceof ConfigInvalidError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
