import type { StartExecutionDeps } from '../../handlers/start-execution.js';
import type { EnvOf } from '../manifest.js';
import { metricsSink, need, notifyingPublisher, type Runtime, stores } from './runtime.js';

/** Dependencies of the start-execution function. */
export const composeStartExecution = async (rt: Runtime, env: EnvOf<'start-execution'>): Promise<StartExecutionDeps> => ({
  config: need(rt.config, 'the config'),
  ...(rt.region ? { region: rt.region } : {}),
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  sfn: await rt.clients.sfn(),
  stateMachineArn: env.STATE_MACHINE_ARN,
  publisher: await notifyingPublisher(rt, env),
  escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  metrics: await metricsSink(rt),
  clock: rt.clock,
});
