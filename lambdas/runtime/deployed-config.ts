import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { configTokensFromEnv } from './env.js';

/**
 * The config files a function reads at cold start (start-execution and readiness: the config;
 * status-cadence: its cadence settings). They travel in a small Lambda layer the construct writes at
 * synth (lib/constructs/config-layer.ts), not compiled into the bundle, so that the bundles can be
 * built once and shipped prebuilt in the npm package.
 *
 * A value the construct only knows at deploy time (a CDK token: the name of an alarm or service defined
 * in the same stack, a web ACL's ID) is a placeholder in the file; the function's
 * `TOURNIQUET_CONFIG_TOKENS` variable maps each placeholder to its deployed value, substituted here
 * before the file is parsed and validated.
 */

/** Where Lambda extracts the layer's `tourniquet/` folder. */
export const DEPLOYED_CONFIG_DIR = '/opt/tourniquet';
/** The validated config (start-execution, readiness). */
export const CONFIG_FILE = 'config.json';
/** The cadence settings (`CadenceSettings`, status-cadence). */
export const CADENCE_FILE = 'cadence.json';
/** The variable holding `{ placeholder: deployed value }` as JSON; absent when the config has no token. */
export const CONFIG_TOKENS_ENV = 'TOURNIQUET_CONFIG_TOKENS';

/** Replaces every placeholder of `tokens` (JSON, as in {@link CONFIG_TOKENS_ENV}) in the JSON text by its value, JSON-escaped. */
export function substituteTokens(jsonText: string, tokens: string | undefined): string {
  if (tokens === undefined || tokens === '') return jsonText;
  let values: unknown;
  try {
    values = JSON.parse(tokens);
  } catch (cause) {
    throw new Error(`${CONFIG_TOKENS_ENV} is not valid JSON (${(cause as Error).message}); redeploy with cdk deploy`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new Error(`${CONFIG_TOKENS_ENV} must be a JSON object of placeholder → value; redeploy with cdk deploy`);
  let text = jsonText;
  for (const [placeholder, value] of Object.entries(values)) {
    if (typeof value !== 'string') throw new Error(`${CONFIG_TOKENS_ENV}: the value of ${placeholder} is not a string; redeploy with cdk deploy`);
    text = text.split(placeholder).join(JSON.stringify(value).slice(1, -1));
  }
  return text;
}

/** A deployed config file's text, its placeholders replaced by their deployed values. */
export function readDeployedFile(file: string, options: { dir?: string; tokens?: string } = {}): string {
  const where = path.join(options.dir ?? DEPLOYED_CONFIG_DIR, file);
  let text: string;
  try {
    text = readFileSync(where, 'utf8');
  } catch (cause) {
    throw new Error(
      `${where} cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}): the function lacks its Tourniquet config layer; redeploy with cdk deploy`,
    );
  }
  return substituteTokens(text, 'tokens' in options ? options.tokens : configTokensFromEnv());
}
