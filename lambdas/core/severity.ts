import type { AlarmConfig, ServiceConfig, Severity } from './config.js';

/** Response targets from the severity table: time allowed from declaration to mitigation. */
export const MITIGATION_TARGET_MINUTES: Readonly<Record<Severity, number>> = {
  SEV1: 30,
  SEV2: 120,
  SEV3: 24 * 60,
  SEV4: 7 * 24 * 60,
};

/** Minutes between status updates while an incident is open. */
export const UPDATE_CADENCE_MINUTES: Readonly<Record<Severity, number>> = {
  SEV1: 30,
  SEV2: 60,
  SEV3: 240,
  SEV4: 24 * 60,
};

export const SEVERITY_LABELS: Readonly<Record<Severity, string>> = {
  SEV1: 'critical: complete outage or data-loss risk',
  SEV2: 'high: major degradation',
  SEV3: 'medium: minor degradation',
  SEV4: 'low: cosmetic or monitoring issue',
};

/** The alarm's own severity wins over the service default. */
export function resolveSeverity(service: ServiceConfig, alarm: AlarmConfig | undefined): Severity {
  return alarm?.severity ?? service.severity;
}
