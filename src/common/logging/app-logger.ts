import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig, LOG_LEVELS } from '../../config/app-config';
import { activeTraceIds } from '../tracing/tracing';

/**
 * Nest's console logger, configured from AppConfig (level, text or JSON lines) and, with LOG_TO_FILE, also
 * appending every line as JSON to `<LOGS_DIR>/nest-mlops.log`. File writes are synchronous, like Nest's own
 * writes to stdout, so no line is lost when the process exits. With tracing on, a line written inside a span (a
 * request's, a retraining job's) carries its trace and span ids: ` trace_id=… span_id=…` at the end of a text line,
 * `trace_id` and `span_id` members of a JSON line.
 */
export class AppLogger extends ConsoleLogger {
  private file?: number;

  constructor(config: AppConfig) {
    const threshold = LOG_LEVELS.indexOf(config.LOG_LEVEL);
    super({
      logLevels: LOG_LEVELS.filter((_, i) => i <= threshold),
      json: config.LOG_FORMAT === 'json',
      colors: config.LOG_FORMAT === 'text' && process.stdout.isTTY,
    });
    if (config.LOG_TO_FILE) {
      mkdirSync(config.LOGS_DIR, { recursive: true });
      this.file = openSync(join(config.LOGS_DIR, 'nest-mlops.log'), 'a');
    }
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
    if (this.file === undefined) return;
    for (const message of messages) {
      const line = this.getJsonLogObject(message, { context, logLevel, writeStreamType, errorStack, params });
      writeSync(this.file, `${JSON.stringify(line)}\n`);
    }
  }

  protected override formatMessage(...args: Parameters<ConsoleLogger['formatMessage']>): string {
    const line = super.formatMessage(...args);
    const ids = activeTraceIds();
    return ids ? line.replace(/\n?$/, ` trace_id=${ids.traceId} span_id=${ids.spanId}\n`) : line;
  }

  protected override getJsonLogObject(
    ...args: Parameters<ConsoleLogger['getJsonLogObject']>
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(...args);
    const ids = activeTraceIds();
    return ids ? { ...line, trace_id: ids.traceId, span_id: ids.spanId } : line;
  }

  /** Closes the log file. */
  close(): void {
    if (this.file !== undefined) closeSync(this.file);
    this.file = undefined;
  }
}
