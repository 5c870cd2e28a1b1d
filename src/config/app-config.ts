import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsJSON,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidationError,
  validateSync,
} from 'class-validator';
import { validateCronExpression } from 'cron';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Setting, settingsOf } from './setting.decorator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const SERVICE_ROLES = ['all', 'api', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Environment strings "true"/"false"/"1"/"0" become booleans; anything else stays a string and fails @IsBoolean. */
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return value;
};

/** Numeric environment strings become numbers; anything that does not parse as a finite number becomes NaN. */
const toNumber = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : NaN;
};

/** A five- or six-field cron expression (as `cron` reads it), or `off`. */
const IsCronOrOff = (): PropertyDecorator =>
  ValidateBy({
    name: 'isCronOrOff',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && (value === 'off' || validateCronExpression(value).valid),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a cron expression (e.g. "0 3 * * *") or off`,
    },
  });

/** An address, or an address with a prefix length (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrRange(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

/**
 * What TRUST_PROXY gives Fastify's `trustProxy`: false (`off`), a hop count, or the trusted proxy addresses and
 * ranges; undefined for a malformed value (refused at boot).
 */
export function trustProxyOption(value: string): false | number | string[] | undefined {
  const v = value.trim();
  if (v === 'off') return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops >= 1 && hops <= 10 ? hops : undefined;
  }
  const entries = v.split(',').map((e) => e.trim());
  return entries.length > 0 && entries.every(isAddressOrRange) ? entries : undefined;
}

const IsTrustProxy = (): PropertyDecorator =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && trustProxyOption(value) !== undefined,
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} must be off, a hop count from 1 to 10, or a comma-separated list of proxy ` +
        'addresses and ranges (e.g. "10.0.0.0/8,127.0.0.1")',
    },
  });

/**
 * The one environment schema of the service. Every setting has a default, so the service starts with no
 * environment at all; `loadAppConfig` validates it at boot and the README's configuration table is generated from
 * it (`npm run config:docs`). Feature code reads settings by injecting this class, never through `process.env`.
 * A new setting needs a validation rule and a `@Setting` description (which puts it in the README table).
 * Decorators apply bottom-up, so the type check sits next to the property: with `stopAtFirstError` it reports first.
 */
export class AppConfig {
  @Setting('TCP port the HTTP server listens on.')
  @Transform(toNumber)
  @Max(65535)
  @Min(1)
  @IsInt()
  PORT = 8000;

  @Setting('Interface the HTTP server binds to.')
  @IsNotEmpty()
  @IsString()
  HOST = '0.0.0.0';

  @Setting('Lowest log level written.')
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  @Setting('Log line format: human-readable text or one JSON object per line.')
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: LogFormat = 'text';

  @Setting('Also append log lines (JSON) to `<LOGS_DIR>/nest-mlops.log`.')
  @Transform(toBoolean)
  @IsBoolean()
  LOG_TO_FILE = false;

  @Setting('Folder for the raw data and the SQLite database.')
  @IsNotEmpty()
  @IsString()
  DATA_DIR = 'data';

  @Setting('Folder for model artifacts.')
  @IsNotEmpty()
  @IsString()
  MODELS_DIR = 'models';

  @Setting('Folder for log files.')
  @IsNotEmpty()
  @IsString()
  LOGS_DIR = 'logs';

  @Setting('SQLite database file.')
  @IsNotEmpty()
  @IsString()
  @IsOptional()
  DATABASE_PATH?: string;

  @Setting(
    'PostgreSQL connection URL (`postgres://user:password@host:5432/database`); set = the registry, artifacts, jobs and logs live there and replicas share them; unset = the SQLite file.',
  )
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  @IsString()
  @IsOptional()
  DATABASE_URL?: string;

  @Setting('Connections in the PostgreSQL pool of each process (with DATABASE_URL).')
  @Transform(toNumber)
  @Max(1000)
  @Min(1)
  @IsInt()
  DATABASE_POOL_SIZE = 10;

  @Setting(
    'What this process does: `all` serves and trains; `api` serves and queues retraining jobs, never trains; `worker` claims and runs retraining jobs and serves only health and metrics.',
  )
  @IsIn(SERVICE_ROLES)
  SERVICE_ROLE: ServiceRole = 'all';

  @Setting(
    "Seconds between checks of every model's champion and definition against the database, which catch a change whose notification was missed; 0 = only notifications.",
  )
  @Transform(toNumber)
  @Max(3600)
  @Min(0)
  @IsInt()
  ALIAS_SYNC_INTERVAL_S = 5;

  @Setting(
    "Seconds between a worker's looks for queued retraining jobs (a notification wakes it sooner on PostgreSQL).",
  )
  @Transform(toNumber)
  @Max(3600)
  @Min(1)
  @IsInt()
  RETRAIN_POLL_INTERVAL_S = 5;

  @Setting(
    'Times a retraining job is started before it is given up: a job whose process died is queued again while it has attempts left.',
  )
  @Transform(toNumber)
  @Max(10)
  @Min(1)
  @IsInt()
  RETRAIN_MAX_ATTEMPTS = 2;

  @Setting(
    'Redis URL (`redis://host:6379`); set = the prediction rate limit is counted in Redis, shared by every replica; unset = per process.',
  )
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  @IsString()
  @IsOptional()
  REDIS_URL?: string;

  @Setting(
    "How far (%) the JavaScript heap's old generation may grow past what the last full collection kept before the next one (V8's --heap-growing-percent, for the whole process); 0 = V8's own factor, up to 4× (fewer full collections; a serving process then holds up to about a hundred MB of garbage). A value replaces V8's factor everywhere, also near the heap limit, where V8's own is about 1.3: keep it small.",
  )
  @Transform(toNumber)
  @Max(100)
  @Min(0)
  @IsInt()
  HEAP_GROWTH_PERCENT = 20;

  @Setting('Milliseconds a database call waits for a lock held by another connection before failing.')
  @Transform(toNumber)
  @Max(600000)
  @Min(0)
  @IsInt()
  DATABASE_BUSY_TIMEOUT_MS = 5000;

  @Setting(
    'Folder of model definitions (`*.yaml`, `*.yml`, `*.json`) loaded at start beside the built-in ones; see "Bring your own model".',
  )
  @IsNotEmpty()
  @IsString()
  @IsOptional()
  MODEL_DEFINITIONS_DIR?: string;

  @Setting('The model answering `POST /predict`, `POST /batch_predict`, `/invocations` without `?model=` and `/ping`.')
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'DEFAULT_MODEL must be a model name' })
  DEFAULT_MODEL = 'california-housing';

  @Setting(
    'The CSV of the built-in california-housing definition (its `source.path`); downloaded from HOUSING_CSV_URL when absent.',
  )
  @IsNotEmpty()
  @IsString()
  @IsOptional()
  HOUSING_CSV_PATH?: string;

  @Setting('Where the built-in california-housing definition downloads its CSV from when the local file is absent.')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  HOUSING_CSV_URL = 'https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv';

  @Setting("Milliseconds before the download of a data file (a definition's `source.url`) is abandoned.")
  @Transform(toNumber)
  @Max(600000)
  @Min(100)
  @IsInt()
  DOWNLOAD_TIMEOUT_MS = 30000;

  @Setting('Largest share of bad rows a data file may have before it is rejected whole.')
  @Transform(toNumber)
  @Max(1)
  @Min(0)
  @IsNumber()
  DATA_MAX_REJECTED_FRACTION = 0.01;

  @Setting('Seed of the train/test split; another seed gives another split.')
  @Transform(toNumber)
  @Max(2 ** 32 - 1)
  @Min(0)
  @IsInt()
  SPLIT_SEED = 42;

  @Setting('Share of rows held out for testing.')
  @Transform(toNumber)
  @Max(0.5)
  @Min(0.05)
  @IsNumber()
  TEST_FRACTION = 0.2;

  @Setting('Number of quantile bins per feature in the stored training profile (the drift reference).')
  @Transform(toNumber)
  @Max(100)
  @Min(2)
  @IsInt()
  PROFILE_BINS = 10;

  @Setting(
    'JSON overrides of the candidates\' hyper-parameters by model and candidate, e.g. `{"california-housing":{"gbdt":{"nEstimators":500}}}`.',
  )
  @Matches(/^\s*\{[\s\S]*\}\s*$/, { message: 'TRAINING_PARAMS must be a JSON object' })
  @IsJSON()
  TRAINING_PARAMS = '{}';

  @Setting('k of the k-fold cross-validation run on the training part for every candidate; 0 = none.')
  @Transform(toNumber)
  @Max(20)
  @Min(0)
  @IsInt()
  TRAINING_CV_FOLDS = 0;

  @Setting(
    'Random-search trials of gbdt parameters, each scored by k-fold cross-validation (5 folds if TRAINING_CV_FOLDS is 0); 0 = off.',
  )
  @Transform(toNumber)
  @Max(500)
  @Min(0)
  @IsInt()
  TRAINING_SEARCH_ITERATIONS = 0;

  @Setting('Train the default candidates at start for a model that has no champion, and promote the best.')
  @Transform(toBoolean)
  @IsBoolean()
  AUTO_TRAIN_ON_START = true;

  @Setting('How much better (RMSE lower, accuracy higher) a version must score than the champion to be promoted.')
  @Transform(toNumber)
  @Max(1)
  @Min(0)
  @IsNumber()
  PROMOTION_MARGIN = 0;

  @Setting('Most rows one batch prediction may carry (more is answered with 413).')
  @Transform(toNumber)
  @Max(100000)
  @Min(1)
  @IsInt()
  MAX_BATCH_ROWS = 1000;

  @Setting(
    'Predicted rows the prediction-log queue holds in memory; a request whose rows do not fit is not logged (its rows are counted as dropped).',
  )
  @Transform(toNumber)
  @Max(10000000)
  @Min(1)
  @IsInt()
  PREDICTION_LOG_QUEUE_SIZE = 100000;

  @Setting(
    'Milliseconds between flushes of the prediction log to the database (by its writer thread). Short: an entry ' +
      'that waits longer survives young-generation garbage collections and fills the old generation under load.',
  )
  @Transform(toNumber)
  @Max(60000)
  @Min(10)
  @IsInt()
  PREDICTION_LOG_FLUSH_MS = 50;

  @Setting('Most recent predicted rows of the served version compared with its training profile for drift.')
  @Transform(toNumber)
  @Max(100000)
  @Min(10)
  @IsInt()
  DRIFT_WINDOW_ROWS = 1000;

  @Setting('Fewest rows in the drift window before features are judged (below it the status is insufficient_data).')
  @Transform(toNumber)
  @Max(100000)
  @Min(1)
  @IsInt()
  DRIFT_MIN_ROWS = 200;

  @Setting(
    'Predicted rows waiting to be scored by shadow versions (traffic mode `shadow`); rows that do not fit are not shadowed and are counted (shadow_dropped_rows_total).',
  )
  @Transform(toNumber)
  @Max(10000000)
  @Min(1)
  @IsInt()
  SHADOW_QUEUE_ROWS = 20000;

  @Setting(
    'Share (0-1) of each second of the event loop that shadow scoring may use; the rest of the shadow queue waits, and what no longer fits is dropped: a bound on what shadows cost the answers under load.',
  )
  @Transform(toNumber)
  @Max(1)
  @Min(0.01)
  @IsNumber()
  SHADOW_CPU_SHARE = 0.02;

  @Setting(
    'Largest body `POST /models/:name/versions/import` accepts, in bytes (a saved XGBoost model is megabytes); ' +
      'every other route keeps its 1 MiB limit.',
  )
  @Transform(toNumber)
  @Max(1_073_741_824)
  @Min(1_048_576)
  @IsInt()
  IMPORT_BODY_LIMIT_BYTES = 67_108_864;

  @Setting(
    'Most estimated milliseconds of CPU one explained request may take (`?explain=true`, `/explain`); a batch ' +
      'over it is refused with 413 naming how many rows fit (a single row is always explained).',
  )
  @Transform(toNumber)
  @Max(600_000)
  @Min(1)
  @IsInt()
  EXPLAIN_BUDGET_MS = 1000;

  @Setting('Items one `POST /feedback` request may carry.')
  @Transform(toNumber)
  @Max(100000)
  @Min(1)
  @IsInt()
  FEEDBACK_MAX_ITEMS = 1000;

  @Setting(
    'Seconds of predictions (by prediction time) that the live_* performance gauges and the dashboard summarise.',
  )
  @Transform(toNumber)
  @Max(31536000)
  @Min(60)
  @IsInt()
  LIVE_PERFORMANCE_WINDOW_S = 86400;

  @Setting(
    "Seconds between online evaluations: live performance gauges, experiment decisions and degradation checks (each model's `evaluation` settings); 0 = off.",
  )
  @Transform(toNumber)
  @Max(86400)
  @Min(0)
  @IsInt()
  EVALUATION_INTERVAL_S = 60;

  @Setting('Seconds between background drift checks, which refresh the feature_drift_* gauges; 0 = only on request.')
  @Transform(toNumber)
  @Max(86400)
  @Min(0)
  @IsInt()
  DRIFT_CHECK_INTERVAL_S = 60;

  @Setting('PSI at or above which a feature is reported as warn.')
  @Transform(toNumber)
  @Max(10)
  @Min(0)
  @IsNumber()
  DRIFT_PSI_WARN = 0.1;

  @Setting('PSI at or above which a feature is reported as drift.')
  @Transform(toNumber)
  @Max(10)
  @Min(0)
  @IsNumber()
  DRIFT_PSI_DRIFT = 0.25;

  @Setting('Kolmogorov-Smirnov p-value below which a feature may be reported as drift (with DRIFT_KS_MIN_STATISTIC).')
  @Transform(toNumber)
  @Max(1)
  @Min(0)
  @IsNumber()
  DRIFT_KS_P_VALUE = 0.05;

  @Setting(
    'Smallest Kolmogorov-Smirnov statistic reported as drift: a significant but tiny difference in a large window is not.',
  )
  @Transform(toNumber)
  @Max(1)
  @Min(0)
  @IsNumber()
  DRIFT_KS_MIN_STATISTIC = 0.1;

  @Setting('Free megabytes the data and models folders need for /health/ready to report up.')
  @Transform(toNumber)
  @Max(10000000)
  @Min(0)
  @IsInt()
  MIN_FREE_DISK_MB = 100;

  @Setting(
    'When the retraining pipeline runs for every model (cron syntax, process time zone; `off` disables the schedule).',
  )
  @IsCronOrOff()
  RETRAIN_CRON = '0 3 * * *';

  @Setting('Also retrain a model when its drift check says drift RETRAIN_DRIFT_CHECKS times in a row.')
  @Transform(toBoolean)
  @IsBoolean()
  RETRAIN_ON_DRIFT = false;

  @Setting('Consecutive drift checks reporting drift that trigger a retraining (with RETRAIN_ON_DRIFT).')
  @Transform(toNumber)
  @Max(1000)
  @Min(1)
  @IsInt()
  RETRAIN_DRIFT_CHECKS = 3;

  @Setting('Seconds after a drift-triggered retraining before drift may trigger another one for the same model.')
  @Transform(toNumber)
  @Max(30 * 86400)
  @Min(0)
  @IsInt()
  RETRAIN_DRIFT_COOLDOWN_S = 21600;

  @Setting(
    "Seconds a retraining job's lease lives without a heartbeat; once it expires (its process died), any process takes the job back.",
  )
  @Transform(toNumber)
  @Max(3600)
  @Min(5)
  @IsInt()
  RETRAIN_LEASE_TTL_S = 120;

  @Setting(
    'Secret for the admin endpoints (promote, rollback, register, retrain), sent as `Authorization: Bearer` or `x-api-key`; unset = those endpoints answer 403.',
  )
  @MaxLength(256)
  @MinLength(16)
  @IsString()
  @IsOptional()
  ADMIN_API_KEY?: string;

  @Setting(
    'Comma-separated keys (16+ characters each) that predictions and reads then require; unset = they are open. Probes and /metrics stay open.',
  )
  @Matches(/^\s*[^,\s]{16,256}\s*(,\s*[^,\s]{16,256}\s*)*$/, {
    message: 'API_KEYS must be comma-separated keys of 16 to 256 characters without spaces',
  })
  @IsString()
  @IsOptional()
  API_KEYS?: string;

  @Setting('Requests per client IP and window on the prediction routes before 429 (with Retry-After); 0 = no limit.')
  @Transform(toNumber)
  @Max(100000000)
  @Min(0)
  @IsInt()
  RATE_LIMIT = 0;

  @Setting('Seconds of the rate-limit window.')
  @Transform(toNumber)
  @Max(3600)
  @Min(1)
  @IsInt()
  RATE_LIMIT_WINDOW_S = 60;

  @Setting(
    'Whether `x-forwarded-for` names the client (for rate limits, request logs and the prediction log): `off` (the ' +
      "connection's peer is the client), a hop count (that many proxies in front of the service are trusted), or a " +
      "comma-separated list of the proxies' addresses and ranges (the header is read only from them).",
  )
  @IsTrustProxy()
  TRUST_PROXY = 'off';

  @Setting('Milliseconds a client has to send a whole request before it is answered 408; 0 = no limit.')
  @Transform(toNumber)
  @Max(600000)
  @Min(0)
  @IsInt()
  REQUEST_TIMEOUT_MS = 30000;

  @Setting('Days the prediction log keeps; older rows are deleted hourly; 0 = kept forever.')
  @Transform(toNumber)
  @Max(36500)
  @Min(0)
  @IsInt()
  PREDICTION_LOG_RETENTION_DAYS = 30;

  @Setting('Most prediction-log rows (requests) kept; the oldest beyond it are deleted hourly; 0 = no limit.')
  @Transform(toNumber)
  @Max(1000000000)
  @Min(0)
  @IsInt()
  PREDICTION_LOG_MAX_ROWS = 5000000;

  @Setting(
    'Newest registered versions of each model whose artifacts retention keeps (besides the champion, the other ' +
      'aliases, versions champion within ARTIFACT_RETENTION_CHAMPION_DAYS, traffic policy versions and those of ' +
      'queued or running retraining jobs); the artifacts of older versions are deleted, their metadata kept; 0 = ' +
      'every version is kept.',
  )
  @Transform(toNumber)
  @Max(100000)
  @Min(0)
  @IsInt()
  ARTIFACT_RETENTION_KEEP_VERSIONS = 10;

  @Setting(
    'Days back in which a version that was champion at any moment keeps its artifact; 0 = every version that ' +
      'was ever champion keeps it.',
  )
  @Transform(toNumber)
  @Max(36500)
  @Min(0)
  @IsInt()
  ARTIFACT_RETENTION_CHAMPION_DAYS = 90;

  @Setting(
    'Days after which the artifact of a training run that was never registered as a version is deleted (its run ' +
      'row kept); 0 = kept forever.',
  )
  @Transform(toNumber)
  @Max(36500)
  @Min(0)
  @IsInt()
  ARTIFACT_RETENTION_UNREGISTERED_DAYS = 7;

  @Setting(
    'Seconds between artifact retention sweeps (in processes that train, one at a time across replicas); 0 = ' +
      'only on `POST /retention/sweep`.',
  )
  @Transform(toNumber)
  @Max(604800)
  @Min(0)
  @IsInt()
  ARTIFACT_RETENTION_INTERVAL_S = 3600;

  /** Which database the service keeps its state in. */
  get databaseKind(): 'sqlite' | 'postgres' {
    return this.DATABASE_URL ? 'postgres' : 'sqlite';
  }

  /** This process runs retraining jobs (`all`, `worker`). */
  get trains(): boolean {
    return this.SERVICE_ROLE !== 'api';
  }

  /** This process answers predictions and the API (`all`, `api`). */
  get serves(): boolean {
    return this.SERVICE_ROLE !== 'worker';
  }

  get databasePath(): string {
    return this.DATABASE_PATH ?? join(this.DATA_DIR, 'nest-mlops.sqlite');
  }

  /** The keys of API_KEYS, trimmed. */
  get apiKeys(): string[] {
    return (this.API_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k.length > 0);
  }

  /** Folder that a definition's relative `source.path` is read from. */
  get rawDataDir(): string {
    return join(this.DATA_DIR, 'raw');
  }

  /**
   * Source settings that replace those of a built-in definition: HOUSING_CSV_PATH (resolved against the working
   * directory, like every path setting) and HOUSING_CSV_URL are the built-in california-housing's (they predate
   * definitions, and deployments set them). Without HOUSING_CSV_PATH the definition's own path is kept.
   */
  get builtinSources(): Record<string, { path?: string; url: string }> {
    const path = this.HOUSING_CSV_PATH === undefined ? undefined : resolve(this.HOUSING_CSV_PATH);
    return { 'california-housing': { ...(path ? { path } : {}), url: this.HOUSING_CSV_URL } };
  }
}

export class ConfigValidationError extends Error {
  readonly code = 'CONFIG.INVALID';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

const describe = (errors: ValidationError[]): string[] =>
  errors.flatMap((e) => Object.values(e.constraints ?? {}).map((message) => message));

/**
 * Validates an environment (normally `process.env`) against the schema. Unknown variables are ignored; empty
 * strings count as unset. Throws ConfigValidationError naming every bad variable and the rule it broke.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AppConfig {
  const plain: Record<string, string> = {};
  for (const key of settingsOf(AppConfig).keys()) {
    const value = env[key];
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const config = plainToInstance(AppConfig, plain, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true, stopAtFirstError: true });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors));
  return config;
}
