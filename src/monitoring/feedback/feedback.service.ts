import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain.error';
import { RequestValidationError } from '../../common/errors/request-validation.error';
import { DomainEvents } from '../../common/events/domain-events';
import { statusOf } from '../../common/http/all-exceptions.filter';
import { AppConfig } from '../../config/app-config';
import { isUniqueViolation } from '../../database/unique-violation.util';
import { ServiceMetrics } from '../../metrics/service-metrics';
import type { FeedbackEntity } from '../entities/feedback.entity';
import {
  FeedbackAnswerDto,
  FeedbackBatchAnswerDto,
  FeedbackDto,
  FeedbackItemDto,
  FeedbackItemResultDto,
  FeedbackJoinDto,
  parseFeedbackItem,
} from './dto/feedback.dto';
import {
  FeedbackConflictError,
  FeedbackInvalidActualError,
  FeedbackPredictionNotFoundError,
  FeedbackRowOutOfRangeError,
  FeedbackTooManyItemsError,
  FeedbackUnusablePredictionError,
} from './feedback.errors';
import { FeedbackAcceptedEvent } from './feedback.events';
import { feedbackKey, FeedbackRepository, OutcomeRow } from './feedback.repository';
import { LogJoinService, PredictionRef } from './log-join.service';
import type { LogJoin } from './log-join.util';
import { feedbackRows, outcomeDto } from './outcome-rows.util';
import { Actual, actualProblem, outputTask, sameActual } from './outcome.util';

/** One item to judge: where it was in the request, the prediction it names, the row and the truth. */
interface Item extends PredictionRef {
  index: number;
  row: number;
  actual: Actual;
}

/** An item that names a logged row and fits it: `key` is its (primary log entry, row). */
interface Joined {
  item: Item;
  join: LogJoin;
  key: string;
}

/** The feedback stored for a row (its outcomes once read), and whether this request stored it. */
interface Known {
  feedback: FeedbackEntity;
  outcomes?: OutcomeRow[];
  ours?: Joined;
}

type Verdict = { status: 'accepted' | 'duplicate'; answer: FeedbackJoinDto } | DomainError;

/** Ground truths stored per transaction. */
const STORE_CHUNK = 200;

const itemOf = (dto: FeedbackItemDto, index: number): Item => ({
  index,
  key: dto.predictionId !== undefined ? 'predictionId' : 'requestId',
  id: dto.predictionId ?? dto.requestId ?? '',
  row: dto.row ?? 0,
  actual: dto.actual,
});

/** The metric outcome of a verdict. */
function outcomeOf(verdict: Verdict): string {
  if (!(verdict instanceof DomainError)) return verdict.status;
  if (verdict instanceof FeedbackConflictError) return 'conflict';
  return verdict instanceof FeedbackPredictionNotFoundError ? 'unknown' : 'invalid';
}

/**
 * Ground truth sent after the prediction (`POST /feedback`): joined to the prediction log (LogJoinService) and
 * stored with one outcome row per logged entry of the request (the answer and each shadow version's), in one
 * transaction. The same truth again is a duplicate (idempotent: stored and counted once, also against a
 * concurrent identical request, whose unique violation is read as such); a different truth for the row is a
 * conflict. A row is one of a logged request (its primary log entry), not of a request id, which a client may
 * reuse. The items of a list are judged in order: a later item for the same row meets the earlier one's truth.
 */
@Injectable()
export class FeedbackService {
  constructor(
    private readonly config: AppConfig,
    private readonly repository: FeedbackRepository,
    private readonly joiner: LogJoinService,
    private readonly metrics: ServiceMetrics,
    private readonly events: DomainEvents,
  ) {}

  /** One item (answered, or thrown as its error) or a list of items (each judged on its own). */
  async submit(body: FeedbackDto): Promise<FeedbackAnswerDto | FeedbackBatchAnswerDto> {
    if (body.items !== undefined) return this.submitBatch(body.items);
    const [verdict] = await this.judge([itemOf(body, 0)], () => '');
    if (verdict instanceof DomainError) throw verdict;
    return { status: verdict.status, ...verdict.answer };
  }

  private async submitBatch(values: readonly unknown[]): Promise<FeedbackBatchAnswerDto> {
    if (values.length > this.config.FEEDBACK_MAX_ITEMS) {
      this.metrics.feedback('invalid', values.length);
      throw new FeedbackTooManyItemsError(values.length, this.config.FEEDBACK_MAX_ITEMS);
    }
    const parsed = values.map(parseFeedbackItem);
    const items = parsed.flatMap((p, index) => (p instanceof RequestValidationError ? [] : [itemOf(p, index)]));
    if (items.length < parsed.length) this.metrics.feedback('invalid', parsed.length - items.length);
    const judged = await this.judge(items, (index) => `items.${index}.`);
    const verdicts = new Map(items.map((item, i) => [item.index, judged[i]]));
    const results = parsed.map((p, index): FeedbackItemResultDto => {
      const verdict = p instanceof RequestValidationError ? p : (verdicts.get(index) as Verdict);
      if (!(verdict instanceof DomainError)) {
        return { index, status: verdict.status === 'accepted' ? 201 : 200, ...verdict.answer };
      }
      const { code, message, errors } = verdict;
      return { index, status: statusOf(verdict), code, message, ...(errors ? { errors } : {}) };
    });
    const count = (status: number) => results.filter((r) => r.status === status).length;
    const [accepted, duplicates] = [count(201), count(200)];
    return { accepted, duplicates, rejected: results.length - accepted - duplicates, results };
  }

  /** The verdict of each item, in order; `at` prefixes the fields its problems name. */
  private async judge(items: readonly Item[], at: (index: number) => string): Promise<Verdict[]> {
    const joins = await this.joiner.joins(items);
    const checked = items.map((item) => this.check(item, joins[item.key].get(item.id), at(item.index)));
    const joined = checked.filter((c): c is Joined => !(c instanceof DomainError));
    const known = new Map<string, Known>();
    for (const feedback of await this.repository.feedbackOfEntries(joined.map((j) => j.join.primary.id))) {
      known.set(feedbackKey(feedback.logId, feedback.rowIndex), { feedback });
    }
    await this.storeNew(joined, known);
    const unread = joined.map((j) => known.get(j.key) as Known).filter((k) => k.outcomes === undefined);
    const read = new Map<number, OutcomeRow[]>(unread.map((k) => [k.feedback.id, []]));
    for (const row of await this.repository.outcomesOf([...read.keys()])) read.get(row.feedbackId)?.push(row);
    for (const k of unread) k.outcomes = read.get(k.feedback.id);
    const verdicts = checked.map((c) => (c instanceof DomainError ? c : this.verdict(c, known.get(c.key) as Known)));
    this.announce(verdicts);
    return verdicts;
  }

  /** The item's join, or why it cannot be joined: unknown id, row outside the request, actual of the wrong kind. */
  private check(item: Item, join: LogJoin | undefined, at: string): Joined | DomainError {
    if (!join) return new FeedbackPredictionNotFoundError(item.key);
    const { primary } = join;
    if (item.row >= primary.rowCount) return new FeedbackRowOutOfRangeError(primary.rowCount, at);
    const output = Array.isArray(primary.outputs) ? primary.outputs[item.row] : undefined;
    if (outputTask(output) === undefined) return new FeedbackUnusablePredictionError();
    const problem = actualProblem(output, item.actual, `${at}actual`);
    if (problem) return new FeedbackInvalidActualError(problem);
    return { item, join, key: feedbackKey(primary.id, item.row) };
  }

  /**
   * Stores the first item of each row that has no feedback yet, in transactions of STORE_CHUNK items. A chunk that
   * meets a concurrent store of one of its rows (unique violation) is stored item by item instead, and an item
   * that meets one gets the concurrent feedback (a duplicate or a conflict, as if it had come first).
   */
  private async storeNew(joined: readonly Joined[], known: Map<string, Known>): Promise<void> {
    const firsts = new Map<string, Joined>();
    for (const j of joined) if (!known.has(j.key) && !firsts.has(j.key)) firsts.set(j.key, j);
    const pending = [...firsts.values()];
    const receivedAt = new Date();
    const rowsOf = (j: Joined) => feedbackRows(j.join, j.item.row, j.item.actual, receivedAt);
    for (let start = 0; start < pending.length; start += STORE_CHUNK) {
      const chunk = pending.slice(start, start + STORE_CHUNK);
      try {
        const stored = await this.repository.storeAll(chunk.map(rowsOf));
        chunk.forEach((j, i) => known.set(j.key, { ...stored[i], ours: j }));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        for (const j of chunk) known.set(j.key, await this.storeOne(j, rowsOf(j)));
      }
    }
  }

  private async storeOne(joined: Joined, rows: ReturnType<typeof feedbackRows>): Promise<Known> {
    try {
      const [stored] = await this.repository.storeAll([rows]);
      return { ...stored, ours: joined };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const feedback = await this.repository.findFeedback(rows.feedback.logId, rows.feedback.rowIndex);
      if (!feedback) throw error;
      return { feedback };
    }
  }

  private verdict(joined: Joined, known: Known): Verdict {
    if (known.ours === joined) return { status: 'accepted', answer: this.answer(joined, known) };
    if (!sameActual(known.feedback, joined.item.actual)) return new FeedbackConflictError();
    return { status: 'duplicate', answer: this.answer(joined, known) };
  }

  private answer({ item, join: { primary } }: Joined, known: Known): FeedbackJoinDto {
    return {
      requestId: primary.requestId,
      ...(item.key === 'predictionId' ? { predictionId: item.id } : {}),
      row: item.row,
      model: primary.modelName,
      version: primary.modelVersion,
      outcomes: (known.outcomes ?? []).map(outcomeDto),
    };
  }

  /** Counts the verdicts by outcome, and announces the rows accepted per model. */
  private announce(verdicts: readonly Verdict[]): void {
    const accepted = new Map<string, number>();
    for (const verdict of verdicts) {
      this.metrics.feedback(outcomeOf(verdict));
      if (verdict instanceof DomainError || verdict.status !== 'accepted') continue;
      accepted.set(verdict.answer.model, (accepted.get(verdict.answer.model) ?? 0) + 1);
    }
    for (const [model, rows] of accepted) this.events.emit('feedback.accepted', new FeedbackAcceptedEvent(model, rows));
  }
}
