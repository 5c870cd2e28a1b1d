// Micro-benchmark of the tree-ensemble kernel: GradientBoostedTrees.predictRaw on 1-row, 7-row and 100-row calls,
// then the same for XGBoost models of 300 trees trained on the same rows by Python's xgboost and imported
// (BoostedTreesModel.predictMargin), when a python3 with xgboost is found (XGBOOST_PYTHON, /usr/bin/python3, python3).
//
//   node scripts/bench-kernel.mjs                      # compiled JS from dist/ (npm run build)
//   KERNEL_BUILD=/tmp/kernel-build node scripts/bench-kernel.mjs
//   KERNEL_MODEL=/tmp/gbdt.json node scripts/bench-kernel.mjs   # reuse a model (written there on the first run)
//
// KERNEL_BUILD is a `tsc --outDir` directory (its ml/ folder is used). KERNEL_MODEL is a GradientBoostedTrees
// toJSON() file; without it, or when it does not exist yet, the script fits the service's default regression GBDT
// (300 rounds of 31-leaf trees, depth ≤ 8) on 20k synthetic rows of 20 features, which takes a while.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const build = process.env.KERNEL_BUILD ?? join(root, 'dist');
const buildDir = isAbsolute(build) ? build : resolve(build);
const modelFile = process.env.KERNEL_MODEL;
const load = (file) => import(pathToFileURL(join(buildDir, 'ml', file)).href);
const { GradientBoostedTrees } = await load('gbdt.model.js');
const { BoostedTreesModel } = await load('boosted-trees.model.js');
const { XgboostJsonModel } = await load('xgboost-json.reader.js');

const N_FEATURES = 20;

/** Deterministic uniform [0, 1) numbers (mulberry32). */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticRows(nRows, seed) {
  const rand = uniform(seed);
  const X = new Float64Array(nRows * N_FEATURES);
  for (let i = 0; i < X.length; i++) X[i] = rand() * 4 - 2;
  return X;
}

const TRAIN_ROWS = 20_000;

/** The training rows: 20 uniform features and a target with interactions. */
function trainingRows() {
  const X = syntheticRows(TRAIN_ROWS, 1);
  const rand = uniform(2);
  const y = new Float64Array(TRAIN_ROWS);
  for (let r = 0; r < TRAIN_ROWS; r++) {
    const x = X.subarray(r * N_FEATURES, (r + 1) * N_FEATURES);
    y[r] = Math.sin(x[0]) * x[1] + x[2] * x[3] - Math.abs(x[4]) + (x[5] > 0 ? x[6] : -x[7]) + 0.3 * rand();
  }
  return { X, y };
}

function fitModel() {
  const { X, y } = trainingRows();
  // The service's default regression GBDT (src/training/candidates.ts).
  const params = { nEstimators: 300, learningRate: 0.1, maxLeaves: 31, maxDepth: 8, minSamplesLeaf: 20 };
  return GradientBoostedTrees.fit({ X, y, nFeatures: N_FEATURES }, { ...params, colsampleByTree: 0.7 });
}

function loadModel() {
  if (modelFile && existsSync(modelFile)) {
    return GradientBoostedTrees.fromJSON(JSON.parse(readFileSync(modelFile, 'utf8')));
  }
  const started = performance.now();
  const model = fitModel();
  console.log(`fitted ${model.trees.length} trees in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (modelFile) writeFileSync(modelFile, JSON.stringify(model));
  return model;
}

/**
 * Median over `rounds` of the CPU time per row (this process's user + system time, so that another process on the
 * machine does not count), calling predictRaw on `calls` consecutive slices of `rowsPerCall` rows from a pool of
 * distinct rows (a repeated row would let the branch predictor learn its paths).
 */
function timePerRow(predict, pool, poolRows, rowsPerCall, calls, rounds) {
  const slices = [];
  for (let r = 0; r + rowsPerCall <= poolRows; r += rowsPerCall) {
    slices.push(pool.subarray(r * N_FEATURES, (r + rowsPerCall) * N_FEATURES));
  }
  let sink = 0;
  const perRow = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.cpuUsage();
    for (let c = 0; c < calls; c++) sink += predict(slices[c % slices.length], rowsPerCall)[0];
    const { user, system } = process.cpuUsage(started);
    perRow.push((user + system) / (calls * rowsPerCall));
  }
  if (Number.isNaN(sink)) throw new Error('unexpected NaN prediction');
  perRow.sort((a, b) => a - b);
  return perRow[Math.floor(perRow.length / 2)];
}

const model = loadModel();
const poolRows = 4000;
const pool = syntheticRows(poolRows, 3);
const withNaN = pool.slice();
for (let r = 0; r < poolRows; r++) withNaN[r * N_FEATURES + (r % N_FEATURES)] = NaN;

const cases = [
  ['1 row', pool, 1, 4_000],
  ['1 row, one NaN', withNaN, 1, 4_000],
  ['7 rows', pool, 7, 1_000],
  ['100 rows', pool, 100, 100],
  ['100 rows, NaN', withNaN, 100, 100],
];
console.log(`${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; build ${buildDir}`);

/** Times one model on every case and prints the table. */
function report(title, model, predict) {
  const nodes = model.trees.reduce((sum, t) => sum + t.feature.length, 0);
  console.log(`${title}: ${model.trees.length} trees, ${nodes} nodes, ${N_FEATURES} features`);
  for (const [, X, rowsPerCall, calls] of cases) timePerRow(predict, X, poolRows, rowsPerCall, calls, 3); // warm-up
  const table = cases.map(([name, X, rowsPerCall, calls]) => {
    const perRow = timePerRow(predict, X, poolRows, rowsPerCall, calls, 15);
    return {
      call: name,
      'µs per row': Number(perRow.toFixed(2)),
      'µs per call': Number((perRow * rowsPerCall).toFixed(1)),
    };
  });
  console.table(table);
}

report('native gbdt', model, (X, n) => model.predictRaw(X, n));

/** XGBoost models trained on the same rows by Python's xgboost, imported as the import API converts them. */
function xgboostModels() {
  const python = [process.env.XGBOOST_PYTHON, '/usr/bin/python3', 'python3']
    .filter(Boolean)
    .find((p) => spawnSync(p, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0);
  if (!python) {
    console.log('XGBoost models: skipped (no python3 with xgboost: apt-get install python3-xgboost)');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-kernel-'));
  try {
    const { X, y } = trainingRows();
    const rows = Array.from({ length: TRAIN_ROWS }, (_, r) =>
      Array.from(X.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)),
    );
    const shapes = [
      ['XGBoost depth 6 (its default)', { max_depth: 6, eta: 0.1 }],
      [
        'XGBoost lossguide 31 leaves, depth <= 8 (the native shape)',
        { grow_policy: 'lossguide', max_leaves: 31, max_depth: 8, eta: 0.1, tree_method: 'hist' },
      ],
    ];
    const models = shapes.map(([title, params], i) => ({
      name: `m${i}`,
      title,
      params,
      rounds: 300,
      X_train: rows,
      y_train: Array.from(y),
      X_test: rows.slice(0, 1),
    }));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ models }));
    const run = spawnSync(
      python,
      [join(root, 'scripts', 'xgboost-reference.py'), 'train', join(dir, 'spec.json'), dir],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(run.stderr);
    return models.map(({ name, title }) => {
      const file = new XgboostJsonModel(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')));
      const names = Array.from({ length: N_FEATURES }, (_, f) => `f${f}`);
      const index = Int32Array.from(names, (_, f) => f);
      return [title, new BoostedTreesModel(file.toBoostedTrees({ names, index, nFeatures: N_FEATURES }))];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [title, imported] of xgboostModels())
  report(`imported ${title}`, imported, (X, n) => imported.predictMargin(X, n));
