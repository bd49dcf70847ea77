import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { CONFIG_TOKENS_ENV, DEPLOYED_CONFIG_DIR } from '../../lambdas/runtime/deployed-config.js';
import type { HandlerFunction } from './handler-function.js';

export interface ConfigLayerProps {
  /** File name → JSON text, written under `tourniquet/` in the layer (`/opt/tourniquet/<file>` in the function). */
  readonly files: Readonly<Record<string, string>>;
  /**
   * Placeholder → deploy-time value (a CDK token) of every placeholder the files hold; the functions
   * get them as `TOURNIQUET_CONFIG_TOKENS` and substitute them before parsing.
   * @default - none: the files hold only literal values
   */
  readonly tokens?: Readonly<Record<string, string>>;
}

/**
 * The config data a few functions read at cold start, as a Lambda layer written at synth: the
 * validated config (start-execution, readiness) and the cadence settings (status-cadence), too large
 * for Lambda's 4 KB environment. Kept out of the bundles so that the bundles are the same for every
 * install and can ship prebuilt in the npm package (docs/embedding.md).
 *
 * The asset is hashed by content: the same config gives the same layer version, a changed one a new
 * version that the functions pick up on deploy.
 */
export class ConfigLayer extends Construct {
  public readonly layer: LayerVersion;
  private readonly tokens: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ConfigLayerProps) {
    super(scope, id);
    this.tokens = props.tokens ?? {};
    this.layer = new LayerVersion(this, 'Layer', {
      description: 'Tourniquet: the config the functions read at cold start',
      code: Code.fromAsset(writeLayerFolder(props.files)),
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      compatibleArchitectures: [Architecture.ARM_64],
      // Config only, rebuilt from the app on every deploy: an old version has nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Adds the layer (and the placeholders' values, when there are any) to a function. */
  public attachTo(fn: HandlerFunction): void {
    fn.function.addLayers(this.layer);
    if (Object.keys(this.tokens).length > 0) fn.function.addEnvironment(CONFIG_TOKENS_ENV, Stack.of(this).toJsonString(this.tokens));
  }
}

/**
 * Writes the files into a folder named by their content hash (so two synths of the same config reuse
 * it and never see each other's half-written files) and returns it. The folder holds
 * `tourniquet/<file>`: Lambda extracts layers into /opt, hence `/opt/tourniquet/<file>`.
 */
function writeLayerFolder(files: Readonly<Record<string, string>>): string {
  const entries = Object.entries(files).sort(([a], [b]) => a.localeCompare(b));
  const hash = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
  const root = path.join(tmpdir(), `tourniquet-config-layer-${hash}`);
  if (existsSync(root)) return root;
  // Written aside, then renamed into place: a concurrent synth sees the whole folder or none.
  const staging = mkdtempSync(`${root}.tmp-`);
  const folder = path.join(staging, path.basename(DEPLOYED_CONFIG_DIR));
  mkdirSync(folder);
  for (const [file, text] of entries) writeFileSync(path.join(folder, file), text);
  try {
    renameSync(staging, root);
  } catch (error) {
    // Another synth renamed the same content first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(root)) throw error;
  }
  return root;
}
