import { humanDuration } from '../lambdas/core/status-update.js';
import type { MetricSeries } from './metric-series.js';
import type { DrillResult } from './report.js';

/**
 * The drill report as one self-contained HTML page (`tourniquet drill --report <dir>`): the metric
 * the alarm watched charted against its threshold, with a marker for the alarm, each action, each
 * notification and the recovery; the timeline; every email body; the postmortem draft. Inline CSS
 * and SVG only, no script and nothing fetched, so it opens from a file, an attachment or an artifact
 * store. Pure: a DrillResult in, a string out; every value from the drill is escaped.
 */

/** What a marker on the chart stands for. Tests find markers by `data-marker`. */
export type MarkerType = 'impact' | 'alarm' | 'action' | 'notification' | 'recovery' | 'change';

export interface ChartMarker {
  readonly type: MarkerType;
  /** action: applied | reverted | failed | other; notification: status | page | approval; alarm/recovery: the alarm's name. */
  readonly kind: string;
  readonly at: string;
  readonly label: string;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const esc = escapeHtml;
const hms = (iso: string): string => iso.slice(11, 19);
const utc = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
const ms = (iso: string): number => Date.parse(iso);

/** The alarm whose ALARM / OK transitions are the alarm and recovery markers: the primary, else the charted one. */
function watchedAlarm(result: DrillResult): string | undefined {
  return result.alarm?.name ?? result.metricSeries?.alarm ?? result.incidents[0]?.alarms[0];
}

/** Every marker of the chart, in time order: alarm and recovery transitions, the first incident's actions and notifications, scenario changes. */
export function chartMarkers(result: DrillResult): ChartMarker[] {
  const out: ChartMarker[] = [];
  const alarm = watchedAlarm(result);
  if (result.impactStartedAt)
    out.push({
      type: 'impact',
      kind: result.impactStartSource ?? 'unknown',
      at: result.impactStartedAt,
      label: `impact started (${result.impactStartSource ?? 'unknown source'}): MTTD is measured from here`,
    });
  let fired = false;
  for (const t of result.alarmTransitions) {
    if (t.alarm !== alarm) continue;
    if (t.state === 'ALARM') {
      fired = true;
      out.push({ type: 'alarm', kind: t.alarm, at: t.at, label: `${t.alarm} → ALARM` });
    } else if (t.state === 'OK' && fired) {
      out.push({ type: 'recovery', kind: t.alarm, at: t.at, label: `${t.alarm} → OK` });
    }
  }
  for (const e of result.timeline) {
    if (e.kind === 'mitigation') out.push({ type: 'action', kind: actionKind(e.message), at: e.at, label: e.message });
    else if (e.kind === 'error' && e.message.startsWith('Mitigation ')) out.push({ type: 'action', kind: 'failed', at: e.at, label: e.message });
  }
  for (const n of incidentNotifications(result)) {
    out.push({ type: 'notification', kind: notificationKind(n.topic), at: n.at, label: `${n.topic}: ${n.subject || n.body.slice(0, 120)}` });
  }
  for (const h of result.history) out.push({ type: 'change', kind: 'scenario', at: h.at, label: h.message });
  return out.sort((a, b) => ms(a.at) - ms(b.at));
}

function actionKind(message: string): string {
  if (/^(Applied|Already in place):/.test(message)) return 'applied';
  if (/^Undo by /.test(message)) return 'reverted';
  return 'other';
}

function notificationKind(topic: string): string {
  return topic === 'escalation' ? 'page' : topic === 'approvers' ? 'approval' : 'status';
}

/** The notifications about the first incident (and those that name none, such as a failure-net page with a single incident). */
function incidentNotifications(result: DrillResult): DrillResult['notifications'] {
  if (result.incidentId === null) return result.notifications;
  return result.notifications.filter((n) => n.incidentId === result.incidentId || (n.incidentId === undefined && result.incidents.length <= 1));
}

// ---- the chart ----

const W = 960;
const H = 380;
const PLOT = { left: 70, right: W - 20, top: 96, bottom: H - 48 };
/** Marker lanes above the plot, top to bottom. */
const LANES: readonly { type: MarkerType[]; y: number; label: string }[] = [
  { type: ['change'], y: 18, label: 'changes' },
  { type: ['impact', 'alarm', 'recovery'], y: 40, label: 'alarm' },
  { type: ['action'], y: 62, label: 'actions' },
  { type: ['notification'], y: 84, label: 'notices' },
];
const COLORS: Record<string, string> = {
  impact: '#fb8f44',
  alarm: '#a40e26',
  recovery: '#1a7f37',
  applied: '#0969da',
  reverted: '#bc4c00',
  failed: '#82071e',
  other: '#6e7781',
  status: '#57606a',
  page: '#8250df',
  approval: '#bf8700',
  scenario: '#8c959f',
};
const TIME_STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

function breaches(series: MetricSeries, value: number): boolean {
  switch (series.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= series.threshold;
    case 'LessThanThreshold':
      return value < series.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= series.threshold;
    default:
      return value > series.threshold;
  }
}

function niceStep(span: number, maxTicks: number): number {
  const raw = span / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => span / s <= maxTicks) ?? 10 * magnitude;
}

const fmt = (n: number): string =>
  Number.isInteger(n)
    ? String(n)
    : n
        .toFixed(Math.abs(n) < 1 ? 3 : 2)
        .replace(/0+$/, '')
        .replace(/\.$/, '');

/** The SVG chart: the series as a polyline, the threshold as a dashed line, markers in lanes above with guides down through the plot. */
export function renderChart(series: MetricSeries, markers: readonly ChartMarker[]): string {
  const period = series.periodSeconds * 1000;
  const times = [...series.points.map((p) => ms(p.at)), ...markers.map((m) => ms(m.at))];
  if (series.points.length > 0) times.push(ms(series.points.at(-1)!.at) + period);
  const first = Math.min(...times);
  const last = Math.max(first + period, ...times);
  // A little room either side so markers at the ends (and those stepped right) stay inside the plot.
  const t0 = first - (last - first) * 0.01;
  const t1 = last + (last - first) * 0.04;
  const values = series.points.map((p) => p.value);
  const top = Math.max(series.threshold, ...values, 0) * 1.15 || 1;
  const bottom = Math.min(0, ...values);
  const yStep = niceStep(top - bottom, 6);
  const yMax = Math.ceil(top / yStep) * yStep;
  const x = (t: number) => PLOT.left + ((t - t0) / (t1 - t0)) * (PLOT.right - PLOT.left);
  const y = (v: number) => PLOT.bottom - ((v - bottom) / (yMax - bottom)) * (PLOT.bottom - PLOT.top);
  const r = (n: number) => n.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" data-chart="metric" aria-label="${esc(`${series.metricName} of ${series.alarm} against its threshold ${series.threshold}`)}">`,
  );
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" class="plot"/>`);
  // Y axis: gridlines and values.
  for (let v = bottom; v <= yMax + yStep / 1000; v += yStep) {
    parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${r(y(v))}" y2="${r(y(v))}" class="grid"/>`);
    parts.push(`<text x="${PLOT.left - 6}" y="${r(y(v) + 4)}" text-anchor="end" class="tick">${esc(fmt(v))}</text>`);
  }
  parts.push(
    `<text x="14" y="${r((PLOT.top + PLOT.bottom) / 2)}" transform="rotate(-90 14 ${r((PLOT.top + PLOT.bottom) / 2)})" text-anchor="middle" class="axis-title">${esc(`${series.metricName} (${series.statistic}, ${series.periodSeconds} s)`)}</text>`,
  );
  // X axis: UTC clock times at a round step.
  const stepS = TIME_STEPS.find((s) => (t1 - t0) / (s * 1000) <= 10) ?? 86400;
  const withSeconds = stepS < 60;
  const withDate = t1 - t0 > 86_400_000;
  for (let t = Math.ceil(t0 / (stepS * 1000)) * stepS * 1000; t <= t1; t += stepS * 1000) {
    const iso = new Date(t).toISOString();
    parts.push(`<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 5}" class="axis"/>`);
    parts.push(
      `<text x="${r(x(t))}" y="${PLOT.bottom + 18}" text-anchor="middle" class="tick" data-time="${esc(iso)}">${esc(withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : withSeconds ? hms(iso) : iso.slice(11, 16))}</text>`,
    );
  }
  parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${PLOT.bottom}" y2="${PLOT.bottom}" class="axis"/>`);
  parts.push(`<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${PLOT.bottom}" class="axis"/>`);
  parts.push(
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${H - 8}" text-anchor="middle" class="axis-title">${esc(`time (UTC), ${new Date(t0).toISOString().slice(0, 10)}`)}</text>`,
  );
  // Threshold.
  parts.push(
    `<g data-threshold="${esc(String(series.threshold))}"><line x1="${PLOT.left}" x2="${PLOT.right}" y1="${r(y(series.threshold))}" y2="${r(y(series.threshold))}" class="threshold"/>` +
      `<text x="${PLOT.right - 4}" y="${r(y(series.threshold) - 5)}" text-anchor="end" class="threshold-label">${esc(`threshold ${fmt(series.threshold)} (${series.comparison})`)}</text></g>`,
  );
  // Marker guides go under the series so the line stays readable.
  const placed = placeMarkers(markers, x);
  for (const m of placed) {
    if (m.marker.type !== 'notification' && m.marker.type !== 'change') {
      parts.push(`<line x1="${r(m.x)}" x2="${r(m.x)}" y1="${PLOT.top}" y2="${PLOT.bottom}" class="guide" stroke="${COLORS[colorKey(m.marker)]}"/>`);
    }
  }
  if (series.points.length > 0) {
    // Collapsed runs (metric-series.ts) are straight lines between their ends, so the polyline is exact.
    const line = series.points.map((p) => `${r(x(ms(p.at)))},${r(y(p.value))}`).join(' ');
    parts.push(`<polyline data-series="${esc(series.alarm)}" points="${line}" class="series"/>`);
    if (series.points.length <= 400) {
      for (const p of series.points) {
        const hot = breaches(series, p.value);
        parts.push(
          `<circle cx="${r(x(ms(p.at)))}" cy="${r(y(p.value))}" r="2.5" class="${hot ? 'point breaching' : 'point'}" data-point="${esc(p.at)}"><title>${esc(`${hms(p.at)} UTC: ${fmt(p.value)}${hot ? ' (breaching)' : ''}`)}</title></circle>`,
        );
      }
    }
  }
  for (const lane of LANES) parts.push(`<text x="${PLOT.left - 6}" y="${lane.y + 4}" text-anchor="end" class="lane">${esc(lane.label)}</text>`);
  for (const m of placed) parts.push(markerSvg(m.marker, m.x, m.y));
  parts.push('</svg>');
  return parts.join('\n');
}

const colorKey = (m: ChartMarker): string => (m.type === 'impact' || m.type === 'alarm' || m.type === 'recovery' ? m.type : m.kind);

/** Markers that would overlap step right by a few pixels (three at most: a dense lane overlaps rather than drift off its times). */
const STEP_PX = 9;
const MAX_STEP_PX = 3 * STEP_PX;

/** Places markers in their lane. */
function placeMarkers(markers: readonly ChartMarker[], x: (t: number) => number): { marker: ChartMarker; x: number; y: number }[] {
  const lastX = new Map<number, number>();
  return markers.map((marker) => {
    const lane = LANES.find((l) => l.type.includes(marker.type))!;
    const exact = x(ms(marker.at));
    const previous = lastX.get(lane.y);
    const at = previous !== undefined && exact - previous < STEP_PX && previous + STEP_PX - exact <= MAX_STEP_PX ? previous + STEP_PX : exact;
    lastX.set(lane.y, at);
    return { marker, x: at, y: lane.y };
  });
}

function markerSvg(m: ChartMarker, cx: number, cy: number): string {
  const color = COLORS[colorKey(m)]!;
  const X = cx.toFixed(1);
  const shape =
    m.type === 'impact'
      ? `<path d="M ${X} ${cy - 7} L ${(cx + 7).toFixed(1)} ${cy + 5} L ${(cx - 7).toFixed(1)} ${cy + 5} Z" fill="none" stroke="${color}" stroke-width="2"/>`
      : m.type === 'alarm'
        ? `<path d="M ${X} ${cy - 7} L ${(cx + 7).toFixed(1)} ${cy + 5} L ${(cx - 7).toFixed(1)} ${cy + 5} Z" fill="${color}"/>`
        : m.type === 'recovery'
          ? `<circle cx="${X}" cy="${cy}" r="6" fill="${color}"/>`
          : m.type === 'action'
            ? `<rect x="${(cx - 5).toFixed(1)}" y="${cy - 5}" width="10" height="10" fill="${color}"/>`
            : m.type === 'notification'
              ? `<circle cx="${X}" cy="${cy}" r="4.5" fill="${color}"/>`
              : `<path d="M ${X} ${cy - 6} L ${(cx + 6).toFixed(1)} ${cy} L ${X} ${cy + 6} L ${(cx - 6).toFixed(1)} ${cy} Z" fill="${color}"/>`;
  return `<g data-marker="${m.type}" data-kind="${esc(m.kind)}" data-at="${esc(m.at)}"><title>${esc(`${hms(m.at)} UTC ${m.label}`)}</title>${shape}</g>`;
}

// ---- the page ----

const CSS = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1040px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; } h3 { font-size: 16px; margin: 20px 0 6px; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 12px; font-size: 14px; font-weight: 600; vertical-align: middle; margin-left: 8px; color: #fff; }
.pass { background: #2da44e; } .fail { background: #d1242f; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 16px 0; } dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; }
.figures { display: flex; gap: 12px; margin: 16px 0; } .figure { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 16px; min-width: 120px; }
.figure b { display: block; font-size: 22px; } .figure span { color: #57606a; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; } th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
td.time, td.kind { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px; overflow-x: auto; font-size: 13px; white-space: pre-wrap; word-break: break-word; }
.note { color: #57606a; font-style: italic; } .mismatch { color: #d1242f; }
.chart { overflow-x: auto; } svg .plot { fill: #fff; stroke: #d0d7de; } svg .grid { stroke: #eaeef2; } svg .axis { stroke: #57606a; }
svg .tick, svg .lane { font-size: 11px; fill: #57606a; } svg .axis-title { font-size: 12px; fill: #1f2328; }
svg .series { fill: none; stroke: #0550ae; stroke-width: 2; } svg .point { fill: #54aeff; } svg .point.breaching { fill: #ff8182; }
svg .threshold { stroke: #d1242f; stroke-width: 1.5; stroke-dasharray: 6 4; } svg .threshold-label { font-size: 11px; fill: #d1242f; }
svg .guide { stroke-width: 1; stroke-dasharray: 2 3; opacity: 0.7; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; color: #57606a; margin: 6px 0 0; padding: 0; list-style: none; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 5px; vertical-align: middle; } .legend i.line { width: 16px; height: 2px; }
article.email { border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; padding: 8px 12px; } article.email header { font-size: 14px; } article.email pre { margin: 8px 0 0; }
footer { margin-top: 40px; color: #57606a; font-size: 13px; }
`;

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

/** Escapes text and turns every http(s) URL in it into a link (approval links in the emails). */
export function linkify(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[).,;]+$/, '');
    out += esc(text.slice(last, match.index)) + `<a href="${esc(url)}">${esc(url)}</a>`;
    last = match.index + url.length;
  }
  return out + esc(text.slice(last));
}

function outcomeOf(result: DrillResult): string {
  if (result.incidents.length > 1) {
    return `${result.incidents.length} incidents: ${result.incidents.filter((i) => i.restored).length} restored, ${result.incidents.filter((i) => i.escalated).length} escalated`;
  }
  if (result.incidents.length === 0) return 'no incident opened';
  return `${result.restored ? 'restored' : 'not restored'}${result.escalated ? ', human paged' : ''}`;
}

const duration = (s: number | null): string => (s === null ? 'n/a' : humanDuration(s * 1000));

/** Figures the index and the report share: pass/fail, outcome, MTTD/MTTM/MTTR. */
export function reportFigures(result: DrillResult): { passed: boolean; outcome: string; mttd: string; mttm: string; mttr: string } {
  return {
    passed: result.passed,
    outcome: outcomeOf(result),
    mttd: duration(result.mttdSeconds),
    mttm: duration(result.mttmSeconds),
    mttr: duration(result.mttrSeconds),
  };
}

const LEGEND: readonly [string, string][] = [
  ['impact', 'impact start (first breaching datapoint)'],
  ['alarm', 'alarm → ALARM'],
  ['recovery', 'alarm back to OK'],
  ['applied', 'action applied'],
  ['reverted', 'action reverted'],
  ['failed', 'action failed'],
  ['status', 'status update'],
  ['page', 'page (escalation topic)'],
  ['approval', 'approval request'],
  ['scenario', 'scenario change (the fault’s cause)'],
];

export interface HtmlReportOptions {
  /** The postmortem draft (default: the result's own). */
  readonly postmortem?: string | null;
  /** When the page was written (default: not shown, so the page is a function of the result alone). */
  readonly generatedAt?: Date;
}

/** The report page for one scenario. */
export function renderHtmlReport(result: DrillResult, options: HtmlReportOptions = {}): string {
  const figures = reportFigures(result);
  const markers = chartMarkers(result);
  const postmortem = options.postmortem !== undefined ? options.postmortem : result.postmortem;
  const b: string[] = [];
  b.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  b.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  b.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  b.push(`<title>${esc(`Drill: ${result.scenario} (${figures.passed ? 'PASS' : 'FAIL'})`)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  b.push(
    `<h1>Drill: ${esc(result.scenario)}<span class="badge ${figures.passed ? 'pass' : 'fail'}" data-passed="${figures.passed}">${figures.passed ? 'PASS' : 'FAIL'}</span></h1>`,
  );
  b.push(`<p>${esc(result.description)}</p>`);

  b.push('<div class="figures">');
  b.push(`<div class="figure" data-figure="outcome"><span>Outcome</span><b>${esc(figures.outcome)}</b></div>`);
  for (const [key, label, title] of [
    ['mttd', 'MTTD', 'impact start (first breaching datapoint) to the alarm'],
    ['mttm', 'MTTM', 'alarm to mitigation verified'],
    ['mttr', 'MTTR', 'impact start to mitigated'],
  ] as const) {
    b.push(`<div class="figure" data-figure="${key}" title="${esc(title)}"><span>${label}</span><b>${esc(figures[key])}</b></div>`);
  }
  b.push('</div>');

  b.push('<dl class="summary">');
  if (result.alarm) {
    b.push(
      `<dt>Primary alarm</dt><dd>${esc(result.alarm.name)}: fired ${result.alarm.firedAt ? esc(utc(result.alarm.firedAt)) : 'never'}, ${esc(result.alarm.finalState)} at the end</dd>`,
    );
  }
  if (result.incidentId)
    b.push(`<dt>Incident</dt><dd>${esc(result.incidentId)}${result.incidents[0] ? ` (${esc(result.incidents[0].service)}, ${esc(result.incidents[0].status)})` : ''}</dd>`);
  b.push(
    `<dt>Actions</dt><dd>${result.actions.length === 0 ? 'none' : esc(result.actions.map((a) => `${a.type} on ${a.target}: ${a.status}`).join('; '))}</dd>`,
    `<dt>Config</dt><dd data-config="${esc(result.config.path)}">${esc(`${result.config.path}${result.config.why ? `: ${result.config.why}` : ''}`)}${
      result.config.differences.length === 0
        ? ' (same policies as shipped)'
        : `<ul>${result.config.differences.map((d) => `<li>differs from shipped: ${esc(d)}</li>`).join('')}</ul>`
    }</dd>`,
    `<dt>Expected</dt><dd>${esc(expectationText(result.expected))}</dd>`,
    `<dt>Drill</dt><dd>${esc(`${result.executionsStarted} execution(s), ${result.stateTransitions} state transitions in the first; ${result.mutations} change(s) to the account, ${result.duplicateMutations} duplicated; ended ${utc(result.ended.at)} simulated (${result.ended.reason}), ${result.wallSeconds.toFixed(1)} s wall time`)}</dd>`,
  );
  b.push('</dl>');
  if (result.mismatches.length > 0) {
    b.push('<ul class="mismatches">', ...result.mismatches.map((m) => `<li class="mismatch">${esc(m)}</li>`), '</ul>');
  }

  b.push('<h2 id="chart">Metric, threshold and what happened</h2>');
  const series = result.metricSeries;
  if (!series || series.points.length === 0) {
    b.push(`<p class="note" data-no-series="true">No metric series in this scenario${series ? ` (${esc(series.alarm)} produced no datapoint before the drill ended)` : ''}.</p>`);
  } else {
    b.push(
      `<p>${esc(`${series.namespace} ${series.metricName} of alarm ${series.alarm}, ${series.statistic} per ${series.periodSeconds} s, against its threshold ${fmt(series.threshold)}; times in UTC. Hover a marker for what it is.`)}</p>`,
    );
    if (series.note) b.push(`<p class="note">${esc(series.note)}</p>`);
    b.push(`<div class="chart">${renderChart(series, markers)}</div>`);
    b.push(
      '<ul class="legend">',
      '<li><i class="line" style="background:#0550ae"></i>metric</li><li><i class="line" style="background:#d1242f"></i>threshold</li>',
      ...LEGEND.map(([key, text]) => `<li><i style="background:${COLORS[key]}"></i>${esc(text)}</li>`),
      '</ul>',
    );
  }
  b.push('<h3>Markers</h3>', '<table class="markers"><thead><tr><th>Time (UTC)</th><th>Marker</th><th>What</th></tr></thead><tbody>');
  for (const m of markers) {
    b.push(
      `<tr><td class="time">${esc(hms(m.at))}</td><td class="kind">${esc(m.type === 'action' || m.type === 'notification' ? `${m.type} (${m.kind})` : m.type)}</td><td>${esc(m.label)}</td></tr>`,
    );
  }
  b.push('</tbody></table>');

  b.push('<h2 id="timeline">Incident timeline</h2>');
  if (result.incidents.length === 0) b.push('<p class="note">No incident was opened.</p>');
  for (const incident of result.incidents) {
    b.push(`<h3>${esc(`${incident.incidentId} — ${incident.service}, ${incident.status}`)}</h3>`);
    b.push('<table class="timeline"><thead><tr><th>Time (UTC)</th><th>Kind</th><th>Event</th></tr></thead><tbody>');
    for (const e of incident.timeline) b.push(`<tr><td class="time">${esc(hms(e.at))}</td><td class="kind">${esc(e.kind)}</td><td>${esc(e.message)}</td></tr>`);
    b.push('</tbody></table>');
  }

  b.push('<h2 id="alarms">Alarm transitions and scenario changes</h2>', '<table><thead><tr><th>Time (UTC)</th><th>What</th></tr></thead><tbody>');
  const rows = [
    ...result.history.map((h) => ({ at: h.at, text: `scenario: ${h.message}` })),
    ...result.alarmTransitions.map((t) => ({ at: t.at, text: `${t.alarm} → ${t.state}${t.deliveries.length === 0 ? ' (not delivered before the drill ended)' : ''}` })),
  ].sort((p, q) => ms(p.at) - ms(q.at));
  for (const row of rows) b.push(`<tr><td class="time">${esc(hms(row.at))}</td><td>${esc(row.text)}</td></tr>`);
  b.push('</tbody></table>');

  if (result.operatorActions.length > 0 || result.undo) {
    b.push('<h2 id="humans">Humans and undo</h2>', '<ul>');
    for (const a of result.operatorActions) {
      b.push(`<li>${esc(`${hms(a.at)} ${a.by}: tourniquet ${a.action} ${a.incidentId ?? `(no incident of ${a.service})`}: ${a.error ?? a.result ?? ''}`)}</li>`);
    }
    for (const s of result.undo?.steps ?? []) b.push(`<li>${esc(`undo ${s.type} on ${s.target}: ${s.status}. ${s.detail}`)}</li>`);
    if (result.undo) b.push(`<li>${esc(`Account after undo: ${result.undo.restoredToBefore ? 'back to its pre-incident state' : 'DIFFERENT from its pre-incident state'}`)}</li>`);
    b.push('</ul>');
  }

  b.push('<h2 id="notifications">Notifications (email bodies)</h2>');
  if (result.notifications.length === 0) b.push('<p class="note">Nothing was published.</p>');
  for (const n of result.notifications) {
    const kind = notificationKind(n.topic);
    b.push(
      `<article class="email" data-notification="${kind}" data-at="${esc(n.at)}"><header><b>${esc(hms(n.at))} UTC</b> · ${esc(`${n.topic} topic${n.via === 'failure-net' ? ' (failure net)' : ''}`)} · <b>${esc(n.subject || '(no subject)')}</b></header><pre>${linkify(n.body)}</pre></article>`,
    );
  }

  b.push('<h2 id="postmortem">Postmortem draft</h2>');
  b.push(postmortem ? `<pre class="postmortem">${linkify(postmortem)}</pre>` : '<p class="note">No incident was opened, so there is no postmortem.</p>');
  b.push(
    `<footer>Written by <code>tourniquet drill --report</code>. Every time is simulated (virtual) time in UTC; nothing on this page was fetched from the network.${options.generatedAt ? ` Generated ${esc(options.generatedAt.toISOString())}.` : ''}</footer>`,
  );
  b.push('</body>', '</html>', '');
  return b.join('\n');
}

/** The index shows each scenario's first sentence; its report has the whole description. */
function firstSentence(text: string): string {
  const end = text.search(/[.:;](\s|$)/);
  const sentence = end === -1 ? text : text.slice(0, end + 1);
  return sentence.length > 160 ? `${sentence.slice(0, 159)}…` : sentence;
}

function expectationText(e: DrillResult['expected']): string {
  const parts: string[] = [];
  if (e.restored !== undefined) parts.push(e.restored ? 'restored' : 'not restored');
  if (e.actions !== undefined) parts.push(`actions [${e.actions.join(', ')}]`);
  if (e.escalated !== undefined) parts.push(e.escalated ? 'escalated' : 'not escalated');
  if (e.incidentCount !== undefined) parts.push(`${e.incidentCount} incident(s)`);
  return parts.length > 0 ? parts.join(', ') : 'as declared by the scenario';
}

/** One row of the index: a scenario and the directory its report is in (relative to the index). */
export interface IndexEntry {
  readonly result: DrillResult;
  readonly dir: string;
}

/** `<dir>/index.html` of `npm run drill -- --report <dir>`: every scenario with pass/fail, outcome and MTTM, linking its report. */
export function renderHtmlIndex(entries: readonly IndexEntry[]): string {
  const passed = entries.filter((e) => e.result.passed).length;
  const b: string[] = [];
  b.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  b.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  b.push(`<title>${esc(`Drill: ${passed} of ${entries.length} scenarios as expected`)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  b.push(`<h1>Drill reports<span class="badge ${passed === entries.length ? 'pass' : 'fail'}">${passed} of ${entries.length} as expected</span></h1>`);
  b.push('<table class="index"><thead><tr><th>Scenario</th><th>Result</th><th>Outcome</th><th>MTTD</th><th>MTTM</th><th>MTTR</th><th>Postmortem</th></tr></thead><tbody>');
  for (const { result, dir } of entries) {
    const f = reportFigures(result);
    const href = (file: string) => esc(`${encodeURIComponent(dir)}/${file}`);
    b.push(
      `<tr data-scenario="${esc(result.scenario)}" data-passed="${f.passed}"><td><a href="${href('report.html')}">${esc(result.scenario)}</a><br><span class="note">${esc(firstSentence(result.description))}</span></td>` +
        `<td><span class="badge ${f.passed ? 'pass' : 'fail'}">${f.passed ? 'PASS' : 'FAIL'}</span></td><td>${esc(f.outcome)}</td><td class="time">${esc(f.mttd)}</td><td class="time">${esc(f.mttm)}</td><td class="time">${esc(f.mttr)}</td>` +
        `<td><a href="${href('postmortem.md')}">postmortem.md</a></td></tr>`,
    );
  }
  b.push('</tbody></table>');
  b.push('<footer>Written by <code>tourniquet drill --report</code>; times are simulated. Each report is a self-contained page.</footer>', '</body>', '</html>', '');
  return b.join('\n');
}
