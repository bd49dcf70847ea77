import type { TourniquetConfig } from './config.js';
import { failoverRegionWarnings } from './failover-region.js';

/**
 * Things a valid config may still get wrong: not errors (synth and the drill accept the config), but
 * an SRE should look before deploying. `tourniquet validate` prints each as a warning line; each
 * check is a function of its own, listed in CONFIG_WARNING_CHECKS.
 */

/** One warning, with the JSON path it is about. */
export interface ConfigWarning {
  readonly path: string;
  readonly message: string;
}

export type ConfigWarningCheck = (config: TourniquetConfig) => ConfigWarning[];

/** Nobody would get a signed link: approvals are then answered with the CLI only. */
export const approversWarnings: ConfigWarningCheck = (config) =>
  config.notifications.approverEmails.length === 0
    ? [
        {
          path: 'notifications.approverEmails',
          message: 'empty: approval requests email no links; answer them with tourniquet approve|reject',
        },
      ]
    : [];

/** A page without a runbook is an unfinished feature (the seeds): every alarm should have one, its own or its service's. */
export const runbookWarnings: ConfigWarningCheck = (config) =>
  config.services.flatMap((service, s) =>
    service.runbook !== undefined
      ? []
      : service.alarms.flatMap((alarm, a) =>
          alarm.runbook !== undefined
            ? []
            : [
                {
                  path: `services[${s}].alarms[${a}]`,
                  message: `alarm ${alarm.name} has no runbook: its pages and status updates link none (set runbook on the alarm or on service ${service.name})`,
                },
              ],
        ),
  );

/** Every check `tourniquet validate` runs, in the order it prints them. */
export const CONFIG_WARNING_CHECKS: readonly ConfigWarningCheck[] = [approversWarnings, runbookWarnings, failoverRegionWarnings];

/** Every warning for `config`. */
export function configWarnings(config: TourniquetConfig): ConfigWarning[] {
  return CONFIG_WARNING_CHECKS.flatMap((check) => check(config));
}
