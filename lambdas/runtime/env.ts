import { z } from 'zod';

/**
 * The only place that reads `process.env`. Each handler asks for the variables it needs and fails
 * fast, naming the missing variable, instead of failing later with an undefined ARN.
 */

const EnvSchema = z.object({
  TABLE_NAME: z.string().min(3),
  STATUS_TOPIC_ARN: z.string().startsWith('arn:'),
  ESCALATION_TOPIC_ARN: z.string().startsWith('arn:'),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  DEPLOYMENT_STRATEGY_ID: z.string().min(1),
});
export type Env = z.infer<typeof EnvSchema>;

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

export function readEnv<K extends keyof Env>(...names: K[]): Pick<Env, K> {
  const picked = EnvSchema.pick(Object.fromEntries(names.map((n) => [n, true])) as { [P in K]: true });
  const result = picked.safeParse(process.env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ');
    throw new EnvironmentError(`Lambda environment is incomplete (${problems}); redeploy the Tourniquet stack`);
  }
  return result.data as Pick<Env, K>;
}
