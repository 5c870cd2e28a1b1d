// `npm run bench:rows`: what serving one row of California Housing costs, from the request's fields to the
// prediction, with and without the neighbours columns (the k-nearest-training-row search included). It fits the
// built-in definition's preprocessing and gbdt on the training part of scikit-learn's seed-42 split (out-of-fold
// neighbours values for the training rows, as the service trains), prints the holdout RMSE, then times the compiled
// feature pipeline plus the tree kernel on every holdout row: one row per call, and 100 rows per call. The same for
// the definition without its neighbours columns. Uses the compiled JS in dist/ (npm run build).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const load = (file) => import(pathToFileURL(join(root, 'dist', file)).href);
const { parseDefinitionText } = await load('definitions/definition-document.js');
const { compilePipeline, fitPreprocessing } = await load('data/pipeline/definition-pipeline.js');
const { trainingMatrix, regressionTarget } = await load('data/pipeline/neighbour-columns.js');
const { transformAll } = await load('data/feature-spec.js');
const { GradientBoostedTrees } = await load('ml/gbdt.model.js');

const csv = process.env.HOUSING_CSV_PATH ?? join(root, 'data', 'raw', 'california_housing.csv');
const splitFile = process.env.SPLIT_FILE ?? join(root, 'data', 'raw', 'sklearn_split_seed42.json');
const definitionFile = join(root, 'src', 'definitions', 'builtin', 'california-housing.yaml');
const parsed = parseDefinitionText(readFileSync(definitionFile, 'utf8'), 'yaml', definitionFile);
if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
const full = parsed.definition;
const plain = { ...full, columns: full.columns.filter((c) => c.op !== 'neighbours') };

const [header, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
const names = header.split(',');
const rows = lines.map((line) =>
  Object.fromEntries(
    line.split(',').map((v, i) => [names[i], v === '' ? null : Number.isNaN(Number(v)) ? v : Number(v)]),
  ),
);
const split = JSON.parse(readFileSync(splitFile, 'utf8'));
const train = split.train.map((i) => rows[i]);
const test = split.test.map((i) => rows[i]);

function timeCalls(pipeline, prep, model, batch) {
  const width = pipeline.spec.features.length;
  let sink = 0;
  const run = () => {
    for (let start = 0; start < test.length; start += batch) {
      const part = test.slice(start, start + batch);
      const X = transformAll(pipeline, part, prep);
      sink += model.predict(X, part.length)[0];
    }
  };
  run(); // warm-up: compiled code and caches
  const times = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e3 / test.length);
  }
  times.sort((a, b) => a - b);
  return { usPerRow: times[2], width, sink };
}

console.log(`Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
console.log(`California Housing, ${split.method ?? splitFile}: ${train.length} train / ${test.length} test rows\n`);
console.log(
  '| definition | features | fit s | trees | holdout RMSE | µs/row, 1 row a call | µs/row, 100 rows a call |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [label, definition] of [
  ['built-in (neighbours columns)', full],
  ['without neighbours columns', plain],
]) {
  const t0 = process.hrtime.bigint();
  const prep = fitPreprocessing(definition, train);
  const pipeline = compilePipeline(definition, prep);
  const X = trainingMatrix(definition, pipeline, prep, train);
  const y = Float64Array.from(train, (r) => regressionTarget(definition, r[definition.target.name]));
  const params = definition.candidates.find((c) => c.name === 'gbdt')?.params ?? {};
  const model = GradientBoostedTrees.fit({ X, y, nFeatures: pipeline.spec.features.length }, params);
  const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const predicted = model.predict(transformAll(pipeline, test, prep), test.length);
  let squares = 0;
  test.forEach((r, i) => (squares += (predicted[i] - regressionTarget(definition, r[definition.target.name])) ** 2));
  const rmse = Math.sqrt(squares / test.length);
  const one = timeCalls(pipeline, prep, model, 1);
  const hundred = timeCalls(pipeline, prep, model, 100);
  console.log(
    `| ${label} | ${one.width} | ${fitSeconds.toFixed(2)} | ${model.trees.length} | ${rmse.toFixed(4)} | ` +
      `${one.usPerRow.toFixed(2)} | ${hundred.usPerRow.toFixed(2)} |`,
  );
}
