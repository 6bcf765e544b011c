// One device: a chart per metric over a chosen range (the bucketed series API), its presence
// history, its recent commands and the data Sarang refused from it (why, and a sample). The
// header follows the live stream.
import { ApiError, api, listOf } from './api.js';
import { describe } from './auth.js';
import { metricChart } from './chart.js';
import { h, notice, show, table } from './dom.js';
import { ago, levelClass, number, when } from './format.js';

// bucket per range keeps a series well under the API's 10000-point cap.
const RANGES = {
  hour: { label: 'Last hour', seconds: 3600, bucket: 'minute' },
  day: { label: 'Last day', seconds: 86400, bucket: 'minute' },
  week: { label: 'Last week', seconds: 7 * 86400, bucket: 'hour' },
  month: { label: 'Last month', seconds: 30 * 86400, bucket: 'hour' },
};

export function deviceView(root, fleet, id) {
  let range = 'day';
  let charts = [];
  const header = h('div', { class: 'device-header' });
  const picker = h(
    'div',
    { class: 'ranges', role: 'group', 'aria-label': 'Range' },
    Object.entries(RANGES).map(([key, spec]) =>
      h('button', { type: 'button', 'data-range': key, onclick: () => { range = key; loadCharts(); } }, spec.label),
    ),
  );
  const chartsBox = h('div', { class: 'charts', id: 'charts' });
  const presenceBox = h('div', { id: 'presence' });
  const commandsBox = h('div', { id: 'commands' });
  const rejectionsBox = h('div', { id: 'rejections' });
  show(
    root,
    h('section', {}, h('p', {}, h('a', { href: '#/' }, '← Fleet')), header,
      h('div', { class: 'toolbar' }, h('h2', {}, 'Charts'), picker), chartsBox,
      h('div', { class: 'columns' },
        h('div', {}, h('h2', {}, 'Presence history'), presenceBox),
        h('div', {}, h('h2', {}, 'Recent commands'), commandsBox)),
      h('h2', {}, 'Refused data'), rejectionsBox),
  );

  function drawHeader() {
    const device = fleet.devices.get(id);
    if (!device) return show(header, h('h1', {}, id));
    show(
      header,
      h('h1', {}, device.name || device.id),
      h('p', { class: 'muted' }, `${device.kind} · ${device.id} · `,
        h('span', { class: `presence ${device.online ? 'online' : 'offline'}` }, device.online ? 'online' : 'offline'),
        ` · last seen ${ago(device.lastSeenAt)}`),
      h('div', { class: 'values' }, Object.entries(device.values || {}).map(([metric, reading]) =>
        h('span', { class: `metric ${levelClass(reading.level)}` }, `${metric} ${number(reading.value)}`))),
    );
  }

  async function loadCharts() {
    for (const button of picker.querySelectorAll('button')) button.classList.toggle('active', button.dataset.range === range);
    const spec = RANGES[range];
    const to = new Date();
    const from = new Date(to.getTime() - spec.seconds * 1000);
    const query = new URLSearchParams({ bucket: spec.bucket, from: from.toISOString(), to: to.toISOString() });
    try {
      const answer = await api(`/api/v1/devices/${encodeURIComponent(id)}/readings/?${query}`);
      for (const chart of charts) chart.destroy();
      charts = [];
      chartsBox.replaceChildren();
      const width = Math.max(320, Math.min(chartsBox.clientWidth || 900, 1100));
      for (const [metric, points] of Object.entries(answer.series || {})) {
        const box = h('figure', { class: 'chart', 'data-metric': metric },
          h('figcaption', {}, `${metric} (${points.length} ${spec.bucket} buckets)`));
        chartsBox.append(box);
        charts.push(metricChart(box, metric, points, answer.thresholds?.[metric], width, from, to));
      }
      if (!charts.length) chartsBox.append(notice('This kind of device reports no metrics.', 'info'));
    } catch (error) {
      show(chartsBox, notice(describe(error)));
    }
  }

  async function loadPresence() {
    try {
      const page = await api(`/api/v1/devices/${encodeURIComponent(id)}/presence?page_size=20`);
      show(presenceBox, table(['when', 'state', 'node'], listOf(page).map((change) =>
        h('tr', {}, h('td', {}, when(change.at)),
          h('td', {}, h('span', { class: `presence ${change.online ? 'online' : 'offline'}` }, change.online ? 'connected' : 'disconnected')),
          h('td', {}, change.node)))));
    } catch (error) {
      show(presenceBox, notice(describe(error)));
    }
  }

  async function loadCommands() {
    try {
      const page = await api(`/api/v1/devices/${encodeURIComponent(id)}/commands?page_size=20`);
      show(commandsBox, table(['created', 'topic', 'state', 'attempts'], listOf(page).map((command) =>
        h('tr', {}, h('td', {}, when(command.created_at)), h('td', {}, command.subtopic),
          h('td', {}, h('span', { class: `state state-${command.state}` }, command.state)),
          h('td', {}, String(command.attempts))))));
    } catch (error) {
      show(commandsBox, notice(error instanceof ApiError && error.status === 404 ? 'No such device.' : describe(error)));
    }
  }

  // Text only (h() appends text nodes): the reason, detail and sample come from the device.
  async function loadRejections() {
    try {
      const device = await api(`/api/v1/devices/${encodeURIComponent(id)}/`);
      const refused = device.rejections;
      if (!refused || !refused.count) return show(rejectionsBox, notice('Nothing refused from this device.', 'info'));
      show(
        rejectionsBox,
        h('p', { class: 'rejection-summary' },
          `${refused.count} message${refused.count === 1 ? '' : 's'} refused; last ${when(refused.last_at)} over ${refused.last_source}: `,
          h('strong', { class: 'rejection-reason' }, refused.last_reason), ` (${refused.last_detail})`),
        table(['reason', 'count'], Object.entries(refused.by_reason || {}).map(([reason, count]) =>
          h('tr', {}, h('td', {}, reason), h('td', {}, String(count))))),
        h('p', { class: 'muted' }, 'Last refused payload (first 200 bytes):'),
        h('pre', { class: 'rejection-sample' }, refused.last_sample),
      );
    } catch (error) {
      show(rejectionsBox, notice(describe(error)));
    }
  }

  const unsubscribe = fleet.subscribe((ids) => {
    if (ids === null || ids.includes(id)) drawHeader();
  });
  drawHeader();
  loadCharts();
  loadPresence();
  loadCommands();
  loadRejections();
  return () => {
    unsubscribe();
    for (const chart of charts) chart.destroy();
  };
}
