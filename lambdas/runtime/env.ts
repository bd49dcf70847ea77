import * as z from 'zod';

import { type EnvOf, FUNCTION_MANIFEST, type ManifestedFunction } from './manifest.js';

/**
 * The only place that reads `process.env`. Each handler asks for the variables it needs and fails
 * fast, naming the missing variable, instead of failing later with an undefined ARN.
 */

const EnvSchema = z.object({
  TABLE_NAME: z.string().min(3),
  STATUS_TOPIC_ARN: z.string().startsWith('arn:'),
  ESCALATION_TOPIC_ARN: z.string().startsWith('arn:'),
  /** The chat topic: AWS Chatbot custom notifications of every status update and page (docs/chat.md). */
  CHAT_TOPIC_ARN: z.string().startsWith('arn:'),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  DEPLOYMENT_STRATEGY_ID: z.string().min(1),
  /** Secrets Manager ARN of the approval HMAC secret (signs links, seals task tokens). */
  APPROVAL_SECRET_ARN: z.string().startsWith('arn:'),
  /** Base URL of the approval endpoint (the approval function's URL); links go to `<url>/approval`. */
  APPROVAL_ENDPOINT_URL: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
  /** The topic approval requests (with their signed links) go to; only approvers subscribe to it. */
  APPROVERS_TOPIC_ARN: z.string().startsWith('arn:'),
  /** The approvers' addresses, comma-separated (`-` for none): recorded with each request as the links' recipients. */
  APPROVER_EMAILS: z
    .string()
    .min(1)
    .transform((text) =>
      text === '-'
        ? []
        : text
            .split(',')
            .map((e) => e.trim())
            .filter((e) => e !== ''),
    ),
});
export type Env = z.infer<typeof EnvSchema>;

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

export function readEnv<K extends keyof Env>(...names: K[]): Pick<Env, K> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names) {
    const result = EnvSchema.shape[name].safeParse(process.env[name]);
    if (result.success) values[name] = result.data;
    else problems.push(`${name}: ${process.env[name] === undefined ? 'not set' : result.error.issues[0]?.message}`);
  }
  if (problems.length > 0) throw new EnvironmentError(`Lambda environment is incomplete (${problems.join('; ')}); redeploy the Tourniquet stack`);
  return values as Pick<Env, K>;
}

/** The environment of one function: exactly the variables its manifest entry (lambdas/runtime/manifest.ts) names. */
export function readEnvFor<F extends ManifestedFunction>(fn: F): EnvOf<F> {
  return readEnv(...(FUNCTION_MANIFEST[fn].env as readonly (keyof Env)[])) as unknown as EnvOf<F>;
}

/**
 * Deploy-time values of the placeholders in the deployed config files (lambdas/runtime/deployed-config.ts):
 * set only on functions that read those files, and only when the construct was given CDK tokens.
 */
export function configTokensFromEnv(): string | undefined {
  return process.env.TOURNIQUET_CONFIG_TOKENS;
}

/** The region the function runs in (AWS_REGION, which Lambda sets): where a service that names no region is. */
export function functionRegion(): string | undefined {
  return process.env['AWS_REGION'] || undefined;
}
