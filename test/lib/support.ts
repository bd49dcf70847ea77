import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Template } from 'aws-cdk-lib/assertions';

import { parseConfig, type TourniquetConfig } from '../../lambdas/core/config.js';
import { createTourniquetApp } from '../../lib/app.js';
import { HANDLER_METADATA_KEY } from '../../lib/handlers.js';
import type { TourniquetStack } from '../../lib/tourniquet-stack.js';

/** Helpers shared by the infra tests: configs, fast synths, and template lookups. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function sampleConfigText(): string {
  return readFileSync(path.join(ROOT, 'tourniquet.config.json'), 'utf8');
}

/** The sample config, validated. */
export function sampleConfig(): TourniquetConfig {
  return parseConfig(sampleConfigText(), 'tourniquet.config.json');
}

/** The sample config with changes applied to its raw JSON, validated like a file would be. */
export function configWith(change: (raw: Record<string, any>) => void): TourniquetConfig {
  const raw = JSON.parse(sampleConfigText()) as Record<string, any>;
  change(raw);
  return parseConfig(JSON.stringify(raw), 'test config');
}

/** A stack for `config`, synthesized without bundling or template validation (fast). */
export function fastStack(config: TourniquetConfig): TourniquetStack {
  return createTourniquetApp(config, { skipBundling: true, validateTemplate: false }).stack;
}

export function templateFor(config: TourniquetConfig): Template {
  return Template.fromStack(fastStack(config));
}

export interface CfnResource {
  Type: string;
  Properties: Record<string, any>;
  Metadata?: Record<string, any>;
  DeletionPolicy?: string;
}

export interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, any>;
  Principal?: unknown;
  Sid?: string;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Lambda functions keyed by their `tourniquet:handler` metadata. */
export function functionsByHandler(template: Template): Record<string, CfnResource & { logicalId: string }> {
  const out: Record<string, CfnResource & { logicalId: string }> = {};
  for (const [logicalId, fn] of Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, CfnResource>)) {
    const handler = fn.Metadata?.[HANDLER_METADATA_KEY];
    if (typeof handler === 'string') out[handler] = { ...fn, logicalId };
  }
  return out;
}

/** Every IAM statement attached (through AWS::IAM::Policy) to the role of a handler's function. */
export function statementsOf(template: Template, handler: string): PolicyStatement[] {
  const fn = functionsByHandler(template)[handler];
  if (!fn) throw new Error(`no function for handler ${handler}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return statementsOfRole(template, roleId);
}

export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, CfnResource>);
  return policies
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

/** Actions of the statements, flattened. */
export function actionsOf(statements: PolicyStatement[]): string[] {
  return statements.flatMap((s) => asArray(s.Action));
}

/** Renders a CloudFormation value (string / Fn::Join / Ref / GetAtt) as text, for readable assertions on ARNs. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(render).join(v['Fn::Join'][0] as string);
    if ('Ref' in v) return `\${${v.Ref}}`;
    if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  }
  return JSON.stringify(value);
}

/** Statements that grant `action`, with their resources rendered as text. */
export function resourcesFor(statements: PolicyStatement[], action: string): string[] {
  return statements.filter((s) => asArray(s.Action).includes(action)).flatMap((s) => asArray(s.Resource).map(render));
}
