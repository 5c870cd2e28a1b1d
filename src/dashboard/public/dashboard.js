// The nest-mlops dashboard: plain browser JavaScript over the service's own JSON endpoints, charts by Chart.js.
/* global Chart */
'use strict';

const $ = (selector) => document.querySelector(selector);
const charts = {};
const state = { model: null, task: null, detail: null, runs: [], sort: { key: 'startedAt', dir: -1 } };

/** Requests carry the key typed in the header (sessionStorage only): admin actions and API_KEYS need it. */
async function api(path, options = {}) {
  const key = $('#key').value.trim();
  const headers = { ...(options.body ? { 'content-type': 'application/json' } : {}) };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(path, { ...options, headers });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw Object.assign(new Error(body?.message ?? `${res.status}`), { status: res.status, body });
  return body;
}

const fmt = (value, digits = 4) => (typeof value === 'number' ? Number(value.toFixed(digits)).toString() : '–');
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
const el = (tag, text, className) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
};
const primary = () => (state.task === 'regression' ? 'rmse' : 'accuracy');

function chart(id, config) {
  charts[id]?.destroy();
  const canvas = $(`#${id}`);
  canvas.dataset.ready = 'false';
  charts[id] = new Chart(canvas, {
    ...config,
    options: {
      animation: false,
      responsive: true,
      plugins: { legend: { display: config.data.datasets.length > 1 } },
      ...config.options,
    },
  });
  canvas.dataset.ready = 'true';
  canvas.dataset.points = String(config.data.datasets.reduce((n, d) => n + d.data.length, 0));
  canvas.dataset.series = config.data.datasets.map((d) => d.label).join('|');
}

async function loadModels() {
  // Definitions refused at load are listed by /models with status broken; /health and the logs say why.
  const models = (await api('/models')).filter((m) => m.status !== 'broken');
  const select = $('#model');
  select.replaceChildren(...models.map((m) => el('option', m.name)));
  const wanted = new URLSearchParams(location.search).get('model');
  state.model = models.some((m) => m.name === wanted) ? wanted : models[0]?.name;
  select.value = state.model;
}

async function loadServed() {
  const detail = await api(`/models/${state.model}`);
  state.detail = detail;
  state.task = detail.task;
  const versionOf = (n) => detail.versions.find((v) => v.version === n);
  const champion = versionOf(detail.champion);
  const challenger = versionOf(detail.challenger);
  const metric = primary();
  $('#champion-version').textContent = detail.champion ?? '–';
  $('#champion-candidate').textContent = champion?.candidate ?? '–';
  $('#champion-metric-name').textContent = metric;
  $('#champion-metric').textContent = fmt(champion?.metrics?.[metric]);
  $('#champion-dataset').textContent = champion?.datasetVersion ?? '–';
  $('#challenger-version').textContent = detail.challenger ?? '–';
  $('#challenger-metric-name').textContent = metric;
  $('#challenger-metric').textContent = fmt(challenger?.metrics?.[metric]);
  $('#promote-version').value = detail.challenger ?? '';

  const history = await api(`/models/${state.model}/history`);
  const lastChampion = [...history].reverse().find((e) => e.alias === 'champion');
  $('#champion-swapped').textContent = when(lastChampion?.createdAt);
  $('#history tbody').replaceChildren(
    ...[...history].reverse().map((e) => {
      const row = el('tr');
      for (const cell of [when(e.createdAt), e.alias, e.fromVersion ?? '–', e.toVersion ?? '–', e.actor, e.reason]) {
        row.append(el('td', String(cell)));
      }
      return row;
    }),
  );
  return champion;
}

const RUN_COLUMNS = {
  regression: [
    ['candidate', 'Candidate'],
    ['rmse', 'RMSE'],
    ['mae', 'MAE'],
    ['r2', 'R²'],
    ['trainSeconds', 'Training s'],
    ['datasetVersion', 'Dataset'],
    ['status', 'Status'],
    ['startedAt', 'Started'],
  ],
  classification: [
    ['candidate', 'Candidate'],
    ['accuracy', 'Accuracy'],
    ['macroF1', 'F1 (macro)'],
    ['logLoss', 'Log loss'],
    ['trainSeconds', 'Training s'],
    ['datasetVersion', 'Dataset'],
    ['status', 'Status'],
    ['startedAt', 'Started'],
  ],
};

const runValue = (run, key) => run.metrics?.[key] ?? run[key];

function renderRuns() {
  const columns = RUN_COLUMNS[state.task];
  const { key, dir } = state.sort;
  const head = el('tr');
  for (const [k, label] of columns) {
    const th = el('th', label);
    th.dataset.key = k;
    if (k === key) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    th.addEventListener('click', () => {
      state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : 1 };
      renderRuns();
    });
    head.append(th);
  }
  $('#runs thead').replaceChildren(head);
  const sorted = [...state.runs].sort((a, b) => {
    const x = runValue(a, key);
    const y = runValue(b, key);
    if (x === y) return 0;
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x > y ? 1 : -1) * dir;
  });
  $('#runs tbody').replaceChildren(
    ...sorted.map((run) => {
      const row = el('tr');
      row.dataset.runId = run.id;
      for (const [k] of columns) {
        const value = runValue(run, k);
        const text =
          k === 'datasetVersion'
            ? String(value).slice(0, 12)
            : k === 'startedAt'
              ? when(value)
              : typeof value === 'number'
                ? fmt(value)
                : String(value ?? '–');
        row.append(el('td', text));
      }
      return row;
    }),
  );
}

async function loadRuns() {
  state.runs = await api(`/runs?model=${state.model}&limit=200`);
  renderRuns();
}

async function loadPlots(champion) {
  if (!champion) return;
  const holdout = await api(`/models/${state.model}/versions/${champion.version}/holdout`);
  const run = await api(`/runs/${champion.runId}`);
  if (holdout.task === 'regression') {
    $('#plot-main-title').textContent =
      `Predicted vs actual on ${holdout.actual.length} holdout rows (version ${champion.version})`;
    $('#confusion').hidden = true;
    $('#plot-main').hidden = false;
    const points = holdout.actual.map((y, i) => ({ x: y, y: holdout.predicted[i] }));
    const top = Math.max(...holdout.actual, ...holdout.predicted);
    chart('plot-main', {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'rows', data: points, pointRadius: 1.5, backgroundColor: 'rgba(37, 99, 235, 0.35)' },
          {
            label: 'predicted = actual',
            type: 'line',
            data: [
              { x: 0, y: 0 },
              { x: top, y: top },
            ],
            borderColor: '#c62828',
            pointRadius: 0,
          },
        ],
      },
      options: {
        scales: { x: { title: { display: true, text: 'actual' } }, y: { title: { display: true, text: 'predicted' } } },
      },
    });
    chart('plot-residuals', {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'residual',
            data: holdout.actual.map((y, i) => ({ x: holdout.predicted[i], y: y - holdout.predicted[i] })),
            pointRadius: 1.5,
            backgroundColor: 'rgba(22, 163, 74, 0.35)',
          },
        ],
      },
      options: {
        scales: {
          x: { title: { display: true, text: 'predicted' } },
          y: { title: { display: true, text: 'actual − predicted' } },
        },
      },
    });
  } else {
    $('#plot-main-title').textContent =
      `Confusion matrix on ${holdout.actual.length} holdout rows (version ${champion.version})`;
    $('#plot-main').hidden = true;
    renderConfusion(holdout);
    const correct = holdout.classes.map(
      (c) => holdout.actual.filter((a, i) => a === c && holdout.predicted[i] === c).length,
    );
    const total = holdout.classes.map((c) => holdout.actual.filter((a) => a === c).length);
    chart('plot-residuals', {
      type: 'bar',
      data: {
        labels: holdout.classes,
        datasets: [{ label: 'recall', data: correct.map((n, i) => (total[i] ? n / total[i] : 0)) }],
      },
      options: { scales: { y: { min: 0, max: 1 } } },
    });
  }
  // Split-gain importance (shares of the total gain) beside the mean |SHAP value| over the holdout, as shares too,
  // ordered by the explanations when the run has them.
  const gain = run.featureImportances ?? {};
  const shap = run.shapImportances ?? null;
  const shapTotal = shap ? Object.values(shap).reduce((a, b) => a + b, 0) || 1 : 1;
  const order = Object.keys(shap ?? gain).sort((a, b) => (shap ? shap[b] - shap[a] : gain[b] - gain[a]));
  const datasets = [{ label: 'split gain (share)', data: order.map((f) => gain[f] ?? 0), backgroundColor: '#7c3aed' }];
  if (shap) {
    datasets.unshift({
      label: 'mean |SHAP| (share)',
      data: order.map((f) => shap[f] / shapTotal),
      backgroundColor: '#0891b2',
    });
  }
  chart('plot-importance', { type: 'bar', data: { labels: order, datasets }, options: { indexAxis: 'y' } });
}

function renderConfusion(holdout) {
  const table = $('#confusion');
  const head = el('tr');
  head.append(el('th', 'actual \\ predicted'));
  for (const c of holdout.classes) head.append(el('th', c));
  const rows = holdout.classes.map((actual) => {
    const row = el('tr');
    row.append(el('th', actual));
    for (const predicted of holdout.classes) {
      const n = holdout.actual.filter((a, i) => a === actual && holdout.predicted[i] === predicted).length;
      const cell = el('td', String(n));
      cell.style.background =
        n === 0 ? '' : actual === predicted ? 'rgba(46, 125, 50, 0.25)' : 'rgba(198, 40, 40, 0.25)';
      row.append(cell);
    }
    return row;
  });
  table.replaceChildren(head, ...rows);
  table.hidden = false;
}

async function loadLive() {
  const points = await api('/monitoring/timeseries?windowSeconds=600&stepSeconds=10');
  const labels = points.map((p) => new Date(p.at).toLocaleTimeString());
  const line = (id, label, data, color) =>
    chart(id, {
      type: 'line',
      data: { labels, datasets: [{ label, data, borderColor: color, pointRadius: 2, spanGaps: true }] },
      options: { scales: { y: { beginAtZero: true } } },
    });
  line(
    'live-rate',
    'requests/s',
    points.map((p) => p.requestsPerSecond),
    '#2563eb',
  );
  line(
    'live-errors',
    'error ratio',
    points.map((p) => p.errorRatio),
    '#c62828',
  );
  line(
    'live-p99',
    'p99 ms',
    points.map((p) => p.p99Ms),
    '#ef6c00',
  );
}

async function loadDrift() {
  const body = $('#drift tbody');
  try {
    const report = await api(`/monitoring/drift?model=${state.model}`);
    $('#drift-window').textContent =
      `(${report.window.rows} recent rows of version ${report.version} vs dataset ${report.reference.datasetVersion.slice(0, 12)}: ${report.status})`;
    body.replaceChildren(
      ...report.features.map((f) => {
        const row = el('tr');
        row.dataset.feature = f.feature;
        row.append(
          el('td', f.feature),
          el('td', fmt(f.psi)),
          el('td', fmt(f.ks?.statistic)),
          el('td', fmt(f.ks?.pValue)),
        );
        row.append(el('td', f.status, `status status-${f.status}`));
        return row;
      }),
    );
  } catch (error) {
    $('#drift-window').textContent = `(${error.message})`;
    body.replaceChildren();
  }
}

const bytes = (n) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

/** The model's artifact store from GET /retention: what retention keeps, what it has pruned, its last sweep. */
async function loadRetention() {
  let status;
  try {
    status = await api('/retention');
  } catch (error) {
    $('#retention-settings').textContent = `(${error.message})`;
    return;
  }
  const mine = status.models.find((m) => m.model === state.model);
  const { keepVersions, championDays, unregisteredDays } = status.settings;
  const champions = championDays ? `${championDays} days` : 'all time';
  const unregistered = unregisteredDays ? `${unregisteredDays} days` : 'forever';
  $('#retention-settings').textContent =
    `(keeps the newest ${keepVersions || 'all'} versions, champions of ${champions}, unregistered runs ${unregistered})`;
  $('#retention-stored').textContent = mine ? `${mine.storedArtifacts} artifacts, ${bytes(mine.storedBytes)}` : '–';
  $('#retention-stored').dataset.bytes = String(mine?.storedBytes ?? 0);
  $('#retention-pruned').textContent = mine ? `${mine.prunedArtifacts} artifacts` : '–';
  $('#retention-pruned').dataset.count = String(mine?.prunedArtifacts ?? 0);
  $('#retention-versions').textContent = mine?.prunedVersions.length ? mine.prunedVersions.join(', ') : 'none';
  const last = status.lastSweep;
  $('#retention-last').textContent = last
    ? `${when(last.sweptAt)}: deleted ${last.deletedArtifacts} (${bytes(last.deletedBytes)}), ` +
      `kept ${last.keptArtifacts} (${bytes(last.keptBytes)})`
    : 'none in this process';
}

async function refresh() {
  $('#status').textContent = 'loading…';
  try {
    const champion = await loadServed();
    await Promise.all([
      loadRuns(),
      loadPlots(champion),
      loadLive(),
      loadDrift(),
      loadRetention(),
      window.loadOnline?.(),
      window.loadExplain?.(),
    ]);
    $('#status').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    $('#status').textContent = `error: ${error.message}`;
  }
}

/** An admin action: confirmed first, the server's answer shown as it came. */
async function act(question, path, body) {
  if (!window.confirm(question)) return;
  const answer = $('#answer');
  answer.textContent = '…';
  try {
    const result = await api(path, { method: 'POST', body: JSON.stringify(body ?? {}) });
    answer.textContent = JSON.stringify(result, null, 2);
    answer.dataset.outcome = 'ok';
    await refresh();
  } catch (error) {
    answer.textContent = JSON.stringify(error.body ?? { error: error.message }, null, 2);
    answer.dataset.outcome = 'error';
  }
}

window.addEventListener('DOMContentLoaded', async () => {
  $('#key').value = sessionStorage.getItem('nest-mlops-key') ?? '';
  $('#key').addEventListener('change', () => sessionStorage.setItem('nest-mlops-key', $('#key').value.trim()));
  $('#model').addEventListener('change', () => {
    state.model = $('#model').value;
    history.replaceState(null, '', `?model=${state.model}`);
    void refresh();
  });
  $('#retrain').addEventListener('click', () =>
    act(`Retrain ${state.model} now?`, '/retrain', { model: state.model, reason: 'dashboard' }),
  );
  $('#promote').addEventListener('click', () => {
    const version = Number($('#promote-version').value);
    void act(
      `Promote ${state.model} version ${version} to champion (through the gate)?`,
      `/models/${state.model}/versions/${version}/promote`,
      {},
    );
  });
  $('#rollback').addEventListener('click', () =>
    act(`Roll ${state.model} back to its previous champion?`, `/models/${state.model}/rollback`, {}),
  );
  try {
    await loadModels();
    await refresh();
  } catch (error) {
    $('#status').textContent = `error: ${error.message}`;
  }
  setInterval(() => void Promise.all([loadLive(), loadDrift(), window.loadOnline?.()]).catch(() => undefined), 5000);
});
