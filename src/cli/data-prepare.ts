import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { CliModule } from './cli.module';
import { runCli } from './cli.util';

/**
 * `npm run data:prepare [-- --model NAME] [--seed 42] [--test-fraction 0.2]`: loads, validates and
 * versions the data of a model (default DEFAULT_MODEL), makes the split and stores the profile; prints what it found.
 */
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    seed: { type: 'string' },
    'test-fraction': { type: 'string' },
  },
});

void runCli(CliModule, async (app) => {
  const data = app.get(DataService);
  const prepared = await data.prepare(values.model ?? app.get(AppConfig).DEFAULT_MODEL, {
    seed: values.seed === undefined ? undefined : Number(values.seed),
    testFraction: values['test-fraction'] === undefined ? undefined : Number(values['test-fraction']),
  });
  const { dataset, split, table } = prepared;
  console.log(`Dataset          ${dataset.name}`);
  console.log(`Source           ${table.source}`);
  console.log(`Version          ${dataset.version}`);
  console.log(`Rows read        ${table.rowsRead}`);
  console.log(`Rows rejected    ${table.rejected.length}`);
  for (const problem of table.rejected.slice(0, 5)) console.log(`                 - ${problem.message}`);
  if (table.rejected.length > 5) console.log(`                 … and ${table.rejected.length - 5} more`);
  console.log(`Values imputed   ${table.valuesImputed}`);
  console.log(`Split            seed ${split.seed}, test fraction ${split.testFraction}`);
  console.log(`Split sizes      ${split.trainRows} train / ${split.testRows} test`);
});
