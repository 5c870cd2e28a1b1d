// The dashboard's online evaluation: the traffic policy and its changes, live error beside the holdout error, and
// the decisions taken on live performance. Uses dashboard.js's helpers ($, api, chart, el, fmt, when, state).
/* global $, api, chart, el, fmt, when, state */
'use strict';

const PALETTE = ['#2563eb', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f'];

function policyText(p) {
  if (p.mode === 'champion') return `champion (version ${p.champion ?? '–'}) answers every request`;
  if (p.mode === 'shadow') return `champion ${p.champion ?? '–'} answers; shadow: ${p.shadow.join(', ')}`;
  const arms = p.arms.map((a) => `v${a.version} ${Math.round((a.share ?? 0) * 100)} %`).join(' · ');
  return `${p.mode}: ${arms}${p.stickyHeader ? ` (sticky on ${p.stickyHeader})` : ''}`;
}

async function loadTraffic() {
  const [policy, history] = await Promise.all([
    api(`/models/${state.model}/traffic`),
    api(`/models/${state.model}/traffic/history`),
  ]);
  $('#traffic-mode').textContent = policy.mode;
  $('#traffic-mode').dataset.mode = policy.mode;
  $('#traffic-policy').textContent = policyText(policy);
  $('#traffic-since').textContent = policy.since ? `policy ${policy.policyId} since ${when(policy.since)}` : 'default';
  $('#traffic-history tbody').replaceChildren(
    ...history
      .slice(-20)
      .reverse()
      .map((e) => {
        const row = el('tr');
        row.append(el('td', when(e.at)), el('td', policyText({ ...e, arms: shares(e.arms) })), el('td', e.actor));
        row.append(el('td', e.reason));
        return row;
      }),
  );
}

const shares = (arms) => {
  const total = arms.reduce((n, a) => n + a.weight, 0);
  return arms.map((a) => ({ ...a, share: a.weight / total }));
};

async function loadPerformance() {
  const report = await api(`/monitoring/performance?model=${state.model}&windowSeconds=86400&stepSeconds=3600`);
  const metric = report.task === 'regression' ? 'rmse' : 'accuracy';
  $('#live-metric').textContent = metric.toUpperCase();
  const buckets = [...new Set(report.series.map((p) => p.from))].sort();
  const labels = buckets.map((b) =>
    new Date(b).toLocaleString([], { hour: '2-digit', minute: '2-digit', day: 'numeric' }),
  );
  const keys = [...new Set(report.series.map((p) => `${p.version}/${p.role}`))];
  const datasets = keys.map((key, i) => {
    const [version, role] = key.split('/');
    const byBucket = new Map(report.series.filter((p) => `${p.version}/${p.role}` === key).map((p) => [p.from, p]));
    return {
      label: `v${version} ${role} (live)`,
      data: buckets.map((b) => byBucket.get(b)?.[metric] ?? null),
      borderColor: PALETTE[i % PALETTE.length],
      pointRadius: 3,
      spanGaps: true,
    };
  });
  for (const [i, h] of report.holdout.filter((h) => h.metric === metric).entries()) {
    datasets.push({
      label: `v${h.version} holdout`,
      data: buckets.map(() => h.value),
      borderColor: PALETTE[i % PALETTE.length],
      borderDash: [6, 4],
      pointRadius: 0,
    });
  }
  state.liveLines = datasets.length;
  chart('live-performance', {
    type: 'line',
    data: { labels, datasets },
    options: { scales: { y: { beginAtZero: true } } },
  });
  $('#performance tbody').replaceChildren(
    ...report.groups.map((g) => {
      const row = el('tr');
      row.dataset.version = String(g.version);
      row.append(el('td', `v${g.version}`), el('td', g.policy), el('td', g.role), el('td', String(g.samples)));
      const figures = report.task === 'regression' ? [g.rmse, g.mae] : [g.accuracy, g.logLoss];
      row.append(...figures.map((f) => el('td', fmt(f))));
      return row;
    }),
  );
  $('#performance thead').replaceChildren(
    header([
      'Version',
      'Policy',
      'Role',
      'Rows with truth',
      ...(report.task === 'regression' ? ['RMSE', 'MAE'] : ['Accuracy', 'Log loss']),
    ]),
  );
}

async function loadDecisions() {
  const decisions = await api(`/monitoring/decisions?model=${state.model}`);
  $('#decisions tbody').replaceChildren(
    ...decisions.slice(0, 20).map((d) => {
      const row = el('tr');
      row.append(el('td', when(d.createdAt ?? d.at)), el('td', d.kind), el('td', d.summary));
      return row;
    }),
  );
}

function header(names) {
  const row = el('tr');
  row.append(...names.map((n) => el('th', n)));
  return row;
}

/** Called by dashboard.js's refresh and its 5 s timer; each part fails alone (shown in its card). */
async function loadOnline() {
  const parts = [
    [loadTraffic, '#traffic-since'],
    [loadPerformance, '#live-metric'],
    [loadDecisions, '#decisions-status'],
  ];
  await Promise.all(
    parts.map(([load, where]) =>
      load().catch((error) => {
        $(where).textContent = `(${error.message})`;
      }),
    ),
  );
}
window.loadOnline = loadOnline;
/** For the browser test: the lines the live chart draws. */
window.liveLines = () => state.liveLines ?? 0;
