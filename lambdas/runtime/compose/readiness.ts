import type { ScheduledReadinessDeps } from '../../operations/readiness.js';
import type { EnvOf } from '../manifest.js';
import { mitigationAdapters, serviceAdapters } from './adapters.js';
import { metricsSink, need, publisher, type Runtime } from './runtime.js';

/** Dependencies of the readiness function. */
export const composeReadiness = async (rt: Runtime, env: EnvOf<'readiness'>): Promise<ScheduledReadinessDeps> => {
  const { ReadinessLedger } = await import('../../store/readiness.js');
  return {
    config: need(rt.config, 'the config'),
    adapters: mitigationAdapters(rt.clients, rt),
    forService: serviceAdapters(rt.clients, rt),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    verdicts: new ReadinessLedger({ tableName: env.TABLE_NAME, ...(rt.documentClient ? { client: rt.documentClient } : {}) }),
    metrics: await metricsSink(rt),
    publisher: await publisher(rt),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    clock: rt.clock,
  };
};
