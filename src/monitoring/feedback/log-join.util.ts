import type { LogEntry } from './feedback.repository';

/** The logged entries one ground truth is joined to: the answer the client got and its shadow predictions. */
export interface LogJoin {
  primary: LogEntry;
  shadows: LogEntry[];
}

/**
 * The join of a request's log entries (all with one request id). The primary entry is `primary` when given (the
 * entry a client's prediction id named), else the most recent primary entry: a client that reuses an
 * `x-request-id` gives its truth to its latest request. Its shadows are the shadow entries logged after it and
 * before the next primary entry with the same id (a shadow version scores a request after it was answered).
 * Undefined when there is no primary entry.
 */
export function joinOf(entries: readonly LogEntry[], primary?: LogEntry): LogJoin | undefined {
  const sorted = [...entries].sort((a, b) => a.id - b.id);
  const primaries = sorted.filter((e) => !e.shadow);
  const chosen = primary ?? primaries.at(-1);
  if (!chosen) return undefined;
  const next = primaries.find((e) => e.id > chosen.id)?.id ?? Infinity;
  return { primary: chosen, shadows: sorted.filter((e) => e.shadow && e.id > chosen.id && e.id < next) };
}

/** Entries grouped by request id. */
export function byRequest(entries: readonly LogEntry[]): Map<string, LogEntry[]> {
  const groups = new Map<string, LogEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.requestId);
    if (group) group.push(entry);
    else groups.set(entry.requestId, [entry]);
  }
  return groups;
}

/** The most recent primary entry per client prediction id. */
export function latestByPredictionId(primaries: readonly LogEntry[]): Map<string, LogEntry> {
  const latest = new Map<string, LogEntry>();
  for (const entry of primaries) {
    if (entry.predictionId === null || entry.shadow) continue;
    const held = latest.get(entry.predictionId);
    if (!held || entry.id > held.id) latest.set(entry.predictionId, entry);
  }
  return latest;
}
