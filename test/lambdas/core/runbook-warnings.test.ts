import { describe, expect, it } from '@jest/globals';

import { checkConfig } from '../../../lambdas/core/config.js';
import { CONFIG_WARNING_CHECKS, configWarnings, runbookWarnings } from '../../../lambdas/core/config-warnings.js';
import { sampleConfig } from '../../fixtures/workflow.js';

const parsed = (raw: unknown) => {
  const result = checkConfig(raw);
  if (!result.ok) throw new Error('test config invalid');
  return result.config;
};

describe('runbook warnings (tourniquet validate)', () => {
  it('warn once per alarm that has no runbook of its own and whose service has none', () => {
    const config = parsed({
      version: 1,
      services: [
        { name: 'api', alarms: [{ name: 'api-errors' }, { name: 'api-latency', runbook: 'https://runbooks.example.com/api/latency' }] },
        { name: 'web', runbook: 'https://runbooks.example.com/web', alarms: [{ name: 'web-errors' }] },
      ],
    });
    expect(runbookWarnings(config)).toEqual([
      {
        path: 'services[0].alarms[0]',
        message: 'alarm api-errors has no runbook: its pages and status updates link none (set runbook on the alarm or on service api)',
      },
    ]);
  });

  it('are part of what validate prints, and the sample config has a runbook for every alarm', () => {
    expect(CONFIG_WARNING_CHECKS).toContain(runbookWarnings);
    expect(configWarnings(sampleConfig).filter((w) => w.message.includes('runbook'))).toEqual([]);
  });

  it('a runbook must be an http(s) URL', () => {
    const result = checkConfig({ version: 1, services: [{ name: 'api', runbook: 'file:///etc/passwd', alarms: [{ name: 'api-errors' }] }] });
    expect(result.ok).toBe(false);
  });
});
