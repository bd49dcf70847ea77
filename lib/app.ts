import { App, type AppProps } from 'aws-cdk-lib';

import type { TourniquetConfig } from '../lambdas/core/config.js';
import { TourniquetStack } from './tourniquet-stack.js';

/** CDK context key naming the config file `bin/app.ts` reads. */
export const CONFIG_FILE_CONTEXT = 'tourniquet:configFile';
export const DEFAULT_CONFIG_FILE = 'tourniquet.config.json';

/**
 * Context that makes NodejsFunction skip esbuild (assets get a placeholder hash). The template is
 * otherwise identical, which is what the drill and the infra tests rely on.
 */
export const SKIP_BUNDLING_CONTEXT: Readonly<Record<string, unknown>> = { 'aws:cdk:bundling-stacks': [] };

/** The stack name for a config: one stack per stage, so several installs can share an account. */
export function stackNameFor(config: TourniquetConfig): string {
  return `Tourniquet-${config.stage}`;
}

/**
 * Adds the Tourniquet stack for `config` to an app. `bin/app.ts`, the drill and the tests all go
 * through here, so they synthesize the same stack.
 */
export function addTourniquetStack(app: App, config: TourniquetConfig): TourniquetStack {
  return new TourniquetStack(app, stackNameFor(config), { config });
}

export interface TourniquetAppOptions {
  /** Skip esbuild bundling (fast in-process synth for the drill and tests). @default false */
  readonly skipBundling?: boolean;
  /**
   * Run CDK's built-in CloudFormation template validation during synth. It checks the template
   * but never changes it; turning it off saves ~3-5 s per synth where only the template is needed.
   * @default true
   */
  readonly validateTemplate?: boolean;
  /** Extra app props (outdir, context). @default - none */
  readonly appProps?: AppProps;
}

/** A fresh App holding only the Tourniquet stack for `config`. */
export function createTourniquetApp(config: TourniquetConfig, options: TourniquetAppOptions = {}): { app: App; stack: TourniquetStack } {
  const app = new App({
    builtinCloudFormationValidation: options.validateTemplate ?? true,
    ...options.appProps,
    context: { ...options.appProps?.context, ...(options.skipBundling ? SKIP_BUNDLING_CONTEXT : {}) },
  });
  return { app, stack: addTourniquetStack(app, config) };
}
