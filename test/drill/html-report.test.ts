import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { reportDirName, writeReportIndex, writeScenarioReport } from '../../cli/commands/drill-report-files.js';
import { chartMarkers, escapeHtml, linkify, renderHtmlReport, reportFigures } from '../../drill/html-report.js';
import { type DrillResult, DrillResultSchema } from '../../drill/report.js';
import { type DrillSession, openDrillSession, runScenario } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { decodePng, dumpDom, type Png, requireChromium, screenshot } from '../support/chromium.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * `tourniquet drill --report`: the report of a real drill (ineffective-candidate-reverted: the alarm
 * fires, a rollback is applied, has no effect and is reverted, the degrade flag goes on, the alarm
 * clears) opened in headless Chromium. The DOM Chromium parsed has the chart with the recorded series,
 * the threshold and a marker for the alarm, each action, each notification and the recovery; a
 * screenshot shows the chart's colours were painted. Without Chromium the test fails with the install hint.
 */

const SCENARIO = 'ineffective-candidate-reverted';

let session: DrillSession;
let result: DrillResult;
let dir: string;

beforeAll(async () => {
  requireChromium();
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
  result = (await runScenario(loadScenario(SCENARIO), session)).result;
  dir = mkdtempSync(join(tmpdir(), 'tourniquet-report-'));
});
afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every opening tag with `attribute="value"` in the serialized DOM. */
const tagsWith = (dom: string, attribute: string, value?: string): string[] =>
  [...dom.matchAll(new RegExp(`<[a-z]+[^>]*\\s${attribute}="${value ?? '[^"]*'}"[^>]*>`, 'g'))].map((m) => m[0]);
const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

describe('drill metric series', () => {
  it('is the series the alarm evaluated: each ALARM transition follows N breaching periods, each OK one fewer', () => {
    expect(DrillResultSchema.parse(result).metricSeries).toEqual(result.metricSeries);
    const series = result.metricSeries!;
    expect(series).toMatchObject({ alarm: 'checkout-5xx-rate', metricName: '5xxRate', threshold: 5, comparison: 'GreaterThanThreshold', periodSeconds: 60 });
    const spec = loadScenario(SCENARIO).account.alarms.find((a) => a.name === series.alarm)!;
    // A period not listed repeats the last listed value (runs of equal values keep their ends).
    const value = (t: number) => series.points.findLast((p) => Date.parse(p.at) <= t)?.value;
    const transitions = result.alarmTransitions.filter((t) => t.alarm === series.alarm);
    expect(transitions.map((t) => t.state)).toEqual(['ALARM', 'OK']);
    for (const t of transitions) {
      const window = Array.from({ length: spec.evaluationPeriods }, (_, i) => value(Date.parse(t.at) - (i + 1) * spec.periodSeconds * 1000));
      expect(window.every((v) => v !== undefined)).toBe(true);
      const breaching = window.filter((v) => v! > series.threshold).length;
      expect(breaching >= (spec.datapointsToAlarm ?? spec.evaluationPeriods)).toBe(t.state === 'ALARM');
    }
    // Points on period boundaries from the drill's start, complete periods only, ending after the recovery;
    // a point is left out only inside a run of equal values.
    const times = series.points.map((p) => Date.parse(p.at));
    expect(times[0]).toBe(Date.parse(loadScenario(SCENARIO).startsAt));
    expect(times.every((t, i) => i === 0 || (t > times[i - 1]! && (t - times[0]!) % 60_000 === 0))).toBe(true);
    series.points.forEach((p, i) => {
      if (i > 0 && Date.parse(p.at) - times[i - 1]! > 60_000) expect(p.value).toBe(series.points[i - 1]!.value);
    });
    expect(series.points.length).toBeLessThan((times.at(-1)! - times[0]!) / 60_000 + 1);
    expect(times.at(-1)! + 60_000).toBeLessThanOrEqual(Date.parse(result.ended.at));
    expect(times.at(-1)!).toBeGreaterThan(Date.parse(transitions[1]!.at));
  });
});

describe('drill --report files', () => {
  let html: string;
  let dom: string;
  let shot: Png;
  beforeAll(async () => {
    const written = writeScenarioReport(join(dir, reportDirName(result.scenario)), result);
    expect(written.map((p) => p.slice(dir.length))).toEqual([`/${SCENARIO}/postmortem.md`, `/${SCENARIO}/report.html`]);
    html = readFileSync(written[1]!, 'utf8');
    [dom, shot] = await Promise.all([dumpDom(written[1]!), screenshot(written[1]!)]);
  });

  it('writes the postmortem draft the drill rendered', () => {
    expect(readFileSync(join(dir, SCENARIO, 'postmortem.md'), 'utf8')).toBe(result.postmortem);
    expect(result.postmortem).toContain(result.incidentId!);
  });

  it('is self-contained: no script, no external resource', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\ssrc=/i);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
  });

  it('renders in Chromium: an SVG chart whose polyline has one vertex per datapoint, and the threshold', () => {
    const svg = tagsWith(dom, 'data-chart', 'metric');
    expect(svg).toHaveLength(1);
    const polyline = tagsWith(dom, 'data-series', 'checkout-5xx-rate');
    expect(polyline).toHaveLength(1);
    const vertices = attr(polyline[0]!, 'points')!.trim().split(/\s+/);
    expect(vertices).toHaveLength(result.metricSeries!.points.length);
    expect(vertices.every((v) => /^\d+(\.\d+)?,\d+(\.\d+)?$/.test(v))).toBe(true);
    expect(tagsWith(dom, 'data-threshold', '5')).toHaveLength(1);
    // Time labels in UTC, at round minutes of the drill's day.
    const labels = [...dom.matchAll(/data-time="([^"]+)"[^>]*>([^<]+)</g)];
    expect(labels.length).toBeGreaterThanOrEqual(4);
    for (const [, iso, text] of labels) expect(iso!.slice(11, 16)).toBe(text);
  });

  it('has a marker for the alarm, each action (applied and reverted), each notification and the recovery', () => {
    const markers = (type: string) => tagsWith(dom, 'data-marker', type);
    const alarm = markers('alarm');
    expect(alarm.map((m) => attr(m, 'data-at'))).toEqual([result.alarm!.firedAt]);
    const actions = markers('action').map((m) => attr(m, 'data-kind'));
    expect(actions).toEqual(expect.arrayContaining(['applied', 'reverted']));
    expect(actions.filter((k) => k === 'applied')).toHaveLength(2);
    const notifications = markers('notification');
    expect(notifications).toHaveLength(result.notifications.length);
    expect(notifications.map((m) => attr(m, 'data-at'))).toEqual(result.notifications.map((n) => n.at));
    const recovery = markers('recovery');
    expect(recovery).toHaveLength(1);
    expect(Date.parse(attr(recovery[0]!, 'data-at')!)).toBeGreaterThan(Date.parse(result.alarm!.firedAt!));
    // Impact start (MTTD's start) is marked before the alarm.
    const impact = markers('impact');
    expect(impact.map((m) => attr(m, 'data-at'))).toEqual([result.impactStartedAt]);
    expect(Date.parse(result.impactStartedAt!)).toBeLessThan(Date.parse(result.alarm!.firedAt!));
    expect(chartMarkers(result).filter((m) => m.type !== 'change')).toHaveLength(impact.length + alarm.length + actions.length + notifications.length + recovery.length);
  });

  it('shows the outcome, MTTD/MTTM/MTTR, the timeline, every email body with its links, and the postmortem', () => {
    expect(dom).toContain('data-passed="true"');
    const figures = reportFigures(result);
    expect(figures.mttm).toMatch(/^\d+ min/);
    for (const key of ['mttd', 'mttm', 'mttr'] as const) expect(dom).toMatch(new RegExp(`data-figure="${key}"[^>]*>.*?<b>${figures[key]}</b>`, 's'));
    // The header names the config the scenario drills with (the sample here: same policies as shipped).
    expect(dom).toMatch(/data-config="tourniquet.config.json"[^>]*>tourniquet.config.json \(same policies as shipped\)/);
    for (const e of result.timeline) expect(dom).toContain(escapeHtml(e.message));
    const emails = tagsWith(dom, 'data-notification');
    expect(emails).toHaveLength(result.notifications.length);
    const urls = result.notifications.flatMap((n) => n.body.match(/https?:\/\/[^\s<>"']+/g) ?? []);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(dom).toContain(`<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`);
    expect(dom).toContain(`<pre class="postmortem">`);
    expect(dom).toContain(escapeHtml(result.postmortem!.split('\n')[0]!));
  });

  it('paints the chart: the series line and the threshold line are on screen in their own colours', () => {
    const count = (rgb: readonly [number, number, number]) => {
      let n = 0;
      for (let y = 0; y < shot.height; y++) for (let x = 0; x < shot.width; x++) if (shot.pixel(x, y).every((c, i) => Math.abs(c - rgb[i]!) <= 16)) n++;
      return n;
    };
    expect([shot.width, shot.height]).toEqual([1100, 1400]);
    // The polyline is 2 px wide across ~770 px of plot; the dashed threshold 1.5 px, 60 % ink. The legend's swatches are 32 px each.
    expect(count([0x05, 0x50, 0xae])).toBeGreaterThan(1000);
    expect(count([0xd1, 0x24, 0x2f])).toBeGreaterThan(400);
  });

  it('writes an index linking each scenario directory with pass/fail, outcome and MTTM', () => {
    const index = readFileSync(writeReportIndex(dir, [{ result, dir: reportDirName(result.scenario) }]), 'utf8');
    expect(index).toContain(`<a href="${SCENARIO}/report.html">${SCENARIO}</a>`);
    expect(index).toContain(`<a href="${SCENARIO}/postmortem.md">`);
    expect(index).toMatch(new RegExp(`data-passed="true".*PASS.*restored.*${reportFigures(result).mttm}`, 's'));
    expect(existsSync(join(dir, SCENARIO, 'report.html'))).toBe(true);
  });
});

describe('drill --report with an approval', () => {
  it('marks the approval request and shows its approve and reject links as links', async () => {
    const approval = (await runScenario(loadScenario('approval-granted'), session)).result;
    const [file] = writeScenarioReport(join(dir, 'approval-granted'), approval).filter((p) => p.endsWith('.html'));
    const dom = await dumpDom(file!);
    const request = approval.notifications.find((n) => n.topic === 'approvers')!;
    expect(tagsWith(dom, 'data-marker', 'notification').filter((m) => attr(m, 'data-kind') === 'approval')).toEqual([expect.stringContaining(`data-at="${request.at}"`)]);
    const links = request.body.match(/https:\/\/\S+\/approval\?t=\S+/g)!;
    expect(links).toHaveLength(2);
    for (const link of links) expect(dom).toContain(`<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`);
  });
});

describe('html report escaping', () => {
  it('escapes drill text and links only http(s) URLs', () => {
    expect(escapeHtml(`<b a='1'>&"`)).toBe('&lt;b a=&#39;1&#39;&gt;&amp;&quot;');
    expect(linkify('Approve:\n  https://x.example/approval?t=a.b&c=<d>\nmailto:x javascript:alert(1)')).toBe(
      'Approve:\n  <a href="https://x.example/approval?t=a.b&amp;c=">https://x.example/approval?t=a.b&amp;c=</a>&lt;d&gt;\nmailto:x javascript:alert(1)',
    );
  });

  it('renders hostile scenario text inert', () => {
    const hostile = { ...result, scenario: '<script>alert(1)</script>', description: '"><img src=x onerror=alert(1)>' };
    const page = renderHtmlReport(hostile);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('says so when there is no metric series', () => {
    expect(renderHtmlReport({ ...result, metricSeries: null })).toContain('No metric series in this scenario');
  });

  it('decodes PNGs it did not write itself only when they are 8-bit truecolour', () => {
    expect(() => decodePng(Buffer.from('not a png at all'))).toThrow('not a PNG');
  });
});
