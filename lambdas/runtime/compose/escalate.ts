import type { EscalateDeps } from '../../handlers/escalate.js';
import type { EnvOf } from '../manifest.js';
import { metricsSink, notifyingPublisher, type Runtime, stores } from './runtime.js';

/** Dependencies of the escalate function. */
export const composeEscalate = async (rt: Runtime, env: EnvOf<'escalate'>): Promise<EscalateDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  publisher: await notifyingPublisher(rt, env),
  statusTopicArn: env.STATUS_TOPIC_ARN,
  escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  metrics: await metricsSink(rt),
  clock: rt.clock,
});
