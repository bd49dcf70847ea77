import { serviceAccess } from '../../core/accounts.js';
import type { TourniquetConfig } from '../../core/config.js';
import type { HumanActionDeps } from '../../operations/resolve.js';
import type { UndoDeps } from '../../operations/undo.js';
import { mitigationAdapters, serviceAdapters } from './adapters.js';
import { need, publisher, type Runtime, stores } from './runtime.js';

/** What the operator's commands need besides the runtime: the table, and what the stack's outputs name. */
export interface OperatorSettings {
  readonly tableName: string;
  /** The status topic, when the command sends the status update itself. */
  readonly statusTopicArn?: string;
  readonly deploymentStrategyId?: string;
  /** The config, whose services name the only resources undo may touch. */
  readonly config?: TourniquetConfig;
}

/**
 * The dependencies of the operator's commands (`tourniquet undo|ack|resolve`), built once here for
 * the CLI (real clients) and the drill's scripted humans (simulated ones).
 */
export const composeOperator = {
  undo: async (rt: Runtime, settings: OperatorSettings, by: string): Promise<UndoDeps> => {
    const [{ incidents, options }, { AutomationBrake }] = await Promise.all([stores(rt, settings.tableName), import('../../store/brake.js')]);
    const config = need(settings.config, 'the config');
    return {
      store: incidents,
      brake: new AutomationBrake(options),
      adapters: mitigationAdapters(rt.clients, rt),
      forService: serviceAdapters(rt.clients, rt),
      accessOf: (service) => serviceAccess(config, service),
      stage: config.stage,
      serviceFor: (name) => config.services.find((s) => s.name === name),
      deploymentStrategyId: need(settings.deploymentStrategyId, 'the deployment strategy id'),
      // Only a runtime that says where (the drill's memory): the CLI has no function log for EMF.
      ...(rt.metrics ? { metrics: rt.metrics } : {}),
      clock: rt.clock,
      by,
    };
  },
  humanAction: async (rt: Runtime, settings: OperatorSettings): Promise<HumanActionDeps> => ({
    store: (await stores(rt, settings.tableName)).incidents,
    clock: rt.clock,
    ...(settings.statusTopicArn ? { publisher: await publisher(rt), statusTopicArn: settings.statusTopicArn } : {}),
  }),
};
