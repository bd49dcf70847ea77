import type { StatusCadenceDeps } from '../../handlers/status-cadence.js';
import type { EnvOf } from '../manifest.js';
import { metricsSink, need, notifyingPublisher, type Runtime, stores } from './runtime.js';

/** Dependencies of the status-cadence function. */
export const composeStatusCadence = async (rt: Runtime, env: EnvOf<'status-cadence'>): Promise<StatusCadenceDeps> => {
  const [{ incidents, options }, { ApprovalStore }] = await Promise.all([stores(rt, env.TABLE_NAME), import('../../store/approvals.js')]);
  return {
    store: incidents,
    approvals: new ApprovalStore(options),
    publisher: await notifyingPublisher(rt, env),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    settings: need(rt.cadence, 'the cadence settings'),
    metrics: await metricsSink(rt),
    clock: rt.clock,
  };
};
