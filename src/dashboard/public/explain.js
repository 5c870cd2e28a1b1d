// The dashboard's "Why this prediction" panel: one input row explained exactly by POST /models/:name/explain, drawn
// as a waterfall from the base value to the prediction, one floating bar per input field (largest first).
// Uses dashboard.js's helpers ($, api, chart, charts, el, fmt, when, state).
/* global $, api, chart, charts, el, fmt, when, state */
'use strict';

/** The panel's own state: the model it was loaded for, its example row, the recent logged rows, the last answer. */
const explainState = { model: null, example: null, recent: [], answer: null };

const EXPLAIN_COLORS = { base: '#94a3b8', positive: '#2e7d32', negative: '#c62828', final: '#2563eb' };
const signed = (value) => (value >= 0 ? `+${fmt(value)}` : fmt(value));
const shown = (value) => (value === undefined || value === null ? '–' : String(value));

/** The model's example row: its definition's, else the OpenAPI document's (training medians and modes). */
async function explainExample(model) {
  const definition = await api(`/models/${model}/definition`);
  if (definition.resolved?.example) return definition.resolved.example;
  const document = await api('/docs-json');
  const schema = Object.values(document.components?.schemas ?? {}).find((s) => s.title === `${model} input`);
  return schema?.example ?? null;
}

/** The last logged rows of the model (each entry's rows, newest entry first; shadow duplicates left out). */
async function explainRecent(model) {
  const entries = await api(`/predictions?model=${model}&limit=20`);
  return entries
    .filter((entry) => !entry.shadow)
    .flatMap((entry) => entry.inputs.map((row, index) => ({ row, index, entry })))
    .slice(0, 20);
}

function renderRecent() {
  const select = $('#explain-recent');
  const { recent } = explainState;
  const placeholder = el('option', recent.length ? `pick one of ${recent.length} recent rows…` : 'no logged rows yet');
  placeholder.value = '';
  const options = recent.map(({ row, index, entry }, i) => {
    const output = entry.outputs?.[index];
    const answer = output?.label ?? (typeof output?.value === 'number' ? fmt(output.value) : undefined);
    const part = entry.rowCount > 1 ? ` row ${index + 1}/${entry.rowCount}` : '';
    const text = `${when(entry.createdAt)} · v${entry.version}${part}${answer === undefined ? '' : ` → ${answer}`}`;
    const option = el('option', `${text} · ${JSON.stringify(row).slice(0, 80)}`);
    option.value = String(i);
    option.dataset.requestId = entry.requestId;
    option.dataset.row = String(index);
    return option;
  });
  select.replaceChildren(placeholder, ...options);
  select.disabled = recent.length === 0;
}

function explainStatus(text, outcome, data = {}) {
  const status = $('#explain-status');
  status.textContent = text;
  for (const key of Object.keys(status.dataset)) delete status.dataset[key];
  if (outcome) status.dataset.outcome = outcome;
  for (const [key, value] of Object.entries(data)) status.dataset[key] = String(value);
}

function clearExplanation() {
  explainState.answer = null;
  charts['explain-chart']?.destroy();
  delete charts['explain-chart'];
  $('#explain-table thead').replaceChildren(explainHeader());
  $('#explain-table tbody').replaceChildren();
  $('#explain-table tfoot').replaceChildren();
  $('#explain-class').replaceChildren();
  $('#explain-class-label').hidden = true;
}

function explainHeader() {
  const row = el('tr');
  row.append(el('th', 'Field'), el('th', 'Input'), el('th', 'Contribution', 'num'), el('th', 'Running total', 'num'));
  return row;
}

/** An error answer as the server gave it: status, code, message (and the request id to look it up in the logs). */
function explainErrorText(error) {
  if (!error.status) return `error: ${error.message}`;
  const body = error.body && typeof error.body === 'object' ? error.body : undefined;
  const message = body?.message ?? (typeof error.body === 'string' && error.body ? error.body : error.message);
  const id = body?.requestId ? ` (request ${body.requestId})` : '';
  return `${error.status}${body?.code ? ` ${body.code}` : ''}: ${message}${id}`;
}

/** Called by dashboard.js's refresh: a new model resets the row (its example, else its last logged row). */
async function loadExplain() {
  const model = state.model;
  const fresh = explainState.model !== model;
  try {
    const [recent, example] = await Promise.all([
      explainRecent(model),
      fresh ? explainExample(model).catch(() => null) : explainState.example,
    ]);
    if (state.model !== model) return;
    explainState.recent = recent;
    renderRecent();
    if (fresh) {
      explainState.model = model;
      explainState.example = example;
      clearExplanation();
      const row = example ?? recent[0]?.row ?? {};
      $('#explain-row').value = JSON.stringify(row, null, 2);
      $('#explain-model').textContent = `(${model})`;
      explainStatus(
        `${example ? "The model's example row" : recent.length ? 'The last logged row' : 'An empty row'}: edit it or pick a recent one, then Explain.`,
      );
    }
  } catch (error) {
    if (state.model === model) explainStatus(explainErrorText(error), 'error');
  } finally {
    if (state.model === model) $('#explain-panel').dataset.model = model;
  }
}

/** POST /models/:name/explain with the row of the text area; the answer is drawn, an error shown as it came. */
async function runExplain() {
  const model = state.model;
  let row;
  try {
    row = JSON.parse($('#explain-row').value);
  } catch (error) {
    explainStatus(`The row is not JSON: ${error.message}`, 'error');
    return;
  }
  if (!row || typeof row !== 'object' || Array.isArray(row)) {
    explainStatus('The row must be one JSON object: {"field": value, …}', 'error');
    return;
  }
  const button = $('#explain-button');
  button.disabled = true;
  explainStatus('explaining…', 'pending');
  try {
    const answer = await api(`/models/${model}/explain`, { method: 'POST', body: JSON.stringify({ rows: [row] }) });
    if (state.model !== model) return;
    const explanation = answer.explanations[0];
    const prediction = answer.predictions[0];
    clearExplanation();
    explainState.answer = { ...answer, row };
    if ('classes' in explanation) {
      const labels = Object.keys(explanation.classes);
      const select = $('#explain-class');
      select.replaceChildren(...labels.map((label) => el('option', label)));
      select.value = labels.includes(prediction.label) ? prediction.label : labels[0];
      $('#explain-class-label').hidden = false;
    }
    renderExplanation();
  } catch (error) {
    if (state.model !== model) return;
    clearExplanation();
    explainStatus(explainErrorText(error), 'error');
  } finally {
    button.disabled = false;
  }
}

/** The waterfall, the table and the status line of the last answer, for the class chosen (classifiers). */
function renderExplanation() {
  const { answer } = explainState;
  if (!answer) return;
  const { row } = answer;
  const explanation = answer.explanations[0];
  const prediction = answer.predictions[0];
  const label = 'classes' in explanation ? $('#explain-class').value : undefined;
  const output = label === undefined ? explanation : explanation.classes[label];
  const margin = explanation.space === 'margin';

  let total = output.base;
  const steps = Object.entries(output.contributions)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .map(([field, contribution]) => {
      const start = total;
      total += contribution;
      return { field, contribution, start, end: total };
    });
  const final = total;
  const finalName = margin ? (label === undefined ? 'margin' : `margin of ${label}`) : 'prediction';

  const box = $('.explain-chart-box');
  box.style.height = `${Math.max(220, 60 + 24 * (steps.length + 2))}px`;
  chart('explain-chart', {
    type: 'bar',
    data: {
      labels: ['base', ...steps.map((s) => s.field), finalName],
      datasets: [
        {
          label: margin ? 'margin' : 'output',
          data: [[0, output.base], ...steps.map((s) => [s.start, s.end]), [0, final]],
          backgroundColor: [
            EXPLAIN_COLORS.base,
            ...steps.map((s) => (s.contribution >= 0 ? EXPLAIN_COLORS.positive : EXPLAIN_COLORS.negative)),
            EXPLAIN_COLORS.final,
          ],
          borderSkipped: false,
          barPercentage: 0.9,
          categoryPercentage: 0.9,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (context) => {
              const i = context.dataIndex;
              if (i === 0) return `base ${fmt(output.base)}`;
              if (i > steps.length) return `${finalName} ${fmt(final)}`;
              const s = steps[i - 1];
              return `${s.field} = ${shown(row[s.field])}: ${signed(s.contribution)} (${fmt(s.start)} → ${fmt(s.end)})`;
            },
          },
        },
      },
      scales: {
        x: { title: { display: true, text: margin ? 'margin (before softmax / link)' : 'model output' } },
      },
    },
  });

  const baseRow = el('tr', undefined, 'explain-base');
  baseRow.append(el('th', 'base'), el('td', ''), el('td', ''), el('td', fmt(output.base), 'num'));
  $('#explain-table thead').replaceChildren(explainHeader(), baseRow);
  $('#explain-table tbody').replaceChildren(
    ...steps.map((s) => {
      const tr = el('tr');
      tr.dataset.field = s.field;
      tr.append(
        el('td', s.field),
        el('td', shown(row[s.field])),
        el('td', signed(s.contribution), `num contribution-${s.contribution >= 0 ? 'positive' : 'negative'}`),
        el('td', fmt(s.end), 'num'),
      );
      return tr;
    }),
  );
  const finalRow = el('tr', undefined, 'explain-final');
  finalRow.append(el('th', finalName), el('td', ''), el('td', signed(final - output.base), 'num'));
  finalRow.append(el('td', fmt(final), 'num'));
  $('#explain-table tfoot').replaceChildren(finalRow);

  const sum = `base ${fmt(output.base)} + contributions ${signed(final - output.base)} = ${fmt(final)}`;
  const version = `version ${answer.version}${answer.alias ? ` (${answer.alias})` : ''}`;
  if (label === undefined) {
    const unit = prediction.unit ? ` ${prediction.unit}` : '';
    const space = margin ? 'Margin space (before the link function): ' : '';
    explainStatus(`${space}${sum}; prediction ${fmt(prediction.value)}${unit} by ${version}`, 'ok', {
      space: explanation.space,
      base: output.base,
      final,
      prediction: prediction.value,
    });
  } else {
    const p = prediction.probabilities?.[label];
    const space = margin
      ? `Margin space (the class score before softmax) for class ${label}: `
      : `Probability of class ${label}: `;
    explainStatus(`${space}${sum}; prediction ${prediction.label}, p(${label}) = ${fmt(p)} by ${version}`, 'ok', {
      space: explanation.space,
      base: output.base,
      final,
      prediction: prediction.label,
      class: label,
    });
  }
}

window.loadExplain = loadExplain;

window.addEventListener('DOMContentLoaded', () => {
  $('#explain-button').addEventListener('click', () => void runExplain());
  $('#explain-class').addEventListener('change', () => renderExplanation());
  $('#explain-recent').addEventListener('change', () => {
    const picked = explainState.recent[Number($('#explain-recent').value)];
    if ($('#explain-recent').value === '' || !picked) return;
    $('#explain-row').value = JSON.stringify(picked.row, null, 2);
    explainStatus(`Row ${picked.index + 1} of request ${picked.entry.requestId}: Explain it, or edit it first.`);
  });
});
