import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppConfig, ConfigValidationError, loadAppConfig } from './app-config';
import { configTableMarkdown, withConfigTable } from './config-docs';

function problems(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('loadAppConfig', () => {
  it('gives every setting a default, so no environment is needed', () => {
    const config = loadAppConfig({});
    expect(config).toBeInstanceOf(AppConfig);
    expect(config.PORT).toBe(8000);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.SPLIT_SEED).toBe(42);
    expect(config.TEST_FRACTION).toBe(0.2);
    expect(config.databasePath).toBe(join('data', 'nest-mlops.sqlite'));
    expect(config.rawDataDir).toBe(join('data', 'raw'));
    // The built-in housing definition keeps its own path (california_housing.csv under the raw-data folder).
    expect(config.builtinSources['california-housing']).toEqual({ url: config.HOUSING_CSV_URL });
  });

  it('resolves HOUSING_CSV_PATH against the working directory for the built-in housing definition', () => {
    const relative = loadAppConfig({ HOUSING_CSV_PATH: 'elsewhere/housing.csv' });
    expect(relative.builtinSources['california-housing'].path).toBe(join(process.cwd(), 'elsewhere', 'housing.csv'));
    const absolute = loadAppConfig({ HOUSING_CSV_PATH: '/srv/housing.csv' });
    expect(absolute.builtinSources['california-housing'].path).toBe('/srv/housing.csv');
  });

  it('converts and validates values, derives paths from DATA_DIR, treats empty strings as unset', () => {
    const config = loadAppConfig({
      PORT: '9001',
      LOG_TO_FILE: 'true',
      DATA_DIR: '/tmp/x',
      TEST_FRACTION: '0.25',
      HOST: '',
    });
    expect(config.PORT).toBe(9001);
    expect(config.LOG_TO_FILE).toBe(true);
    expect(config.TEST_FRACTION).toBe(0.25);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.databasePath).toBe('/tmp/x/nest-mlops.sqlite');
    expect(config.rawDataDir).toBe('/tmp/x/raw');
  });

  it('names each bad variable and the rule it broke, one message per variable', () => {
    expect(problems({ PORT: 'eighty' })).toEqual(['PORT must be an integer number']);
    expect(problems({ PORT: '70000', TEST_FRACTION: '0.9', LOG_LEVEL: 'loud', LOG_TO_FILE: 'yes' })).toEqual([
      'PORT must not be greater than 65535',
      'LOG_LEVEL must be one of the following values: fatal, error, warn, log, debug, verbose',
      'LOG_TO_FILE must be a boolean value',
      'TEST_FRACTION must not be greater than 0.5',
    ]);
    expect(problems({ HOUSING_CSV_URL: 'not a url' })).toEqual(['HOUSING_CSV_URL must be a URL address']);
    expect(() => loadAppConfig({ SPLIT_SEED: '-1' })).toThrow(
      'Invalid configuration: SPLIT_SEED must not be less than 0',
    );
  });

  it('takes a cron expression or off for RETRAIN_CRON', () => {
    expect(loadAppConfig({}).RETRAIN_CRON).toBe('0 3 * * *');
    expect(loadAppConfig({ RETRAIN_CRON: 'off' }).RETRAIN_CRON).toBe('off');
    expect(loadAppConfig({ RETRAIN_CRON: '*/15 * * * *' }).RETRAIN_CRON).toBe('*/15 * * * *');
    expect(loadAppConfig({ RETRAIN_CRON: '0 0 3 * * 1-5' }).RETRAIN_CRON).toBe('0 0 3 * * 1-5');
    for (const bad of ['daily', '61 * * * *', '* * *']) {
      expect(problems({ RETRAIN_CRON: bad })).toEqual([
        'RETRAIN_CRON must be a cron expression (e.g. "0 3 * * *") or off',
      ]);
    }
  });
});

describe('README configuration table', () => {
  it('lists every setting of the schema with its default and rule', () => {
    const table = configTableMarkdown();
    expect(table).toContain('| `PORT` | `8000` | integer, ≥ 1, ≤ 65535 | TCP port the HTTP server listens on. |');
    expect(table).toContain('| `DATABASE_PATH` | `<DATA_DIR>/nest-mlops.sqlite` |');
    for (const name of [
      'HOST',
      'DATA_DIR',
      'MODELS_DIR',
      'LOGS_DIR',
      'HOUSING_CSV_PATH',
      'HOUSING_CSV_URL',
      'LOG_LEVEL',
    ]) {
      expect(table).toContain(`| \`${name}\` |`);
    }
  });

  it('is the table in README.md (regenerate with `npm run config:docs -- --write`)', () => {
    const readme = readFileSync(resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(withConfigTable(readme)).toBe(readme);
  });
});
