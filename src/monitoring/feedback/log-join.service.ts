import { Injectable } from '@nestjs/common';
import { PredictionLogService } from '../../prediction/prediction-log.service';
import type { PredictionKey } from './feedback.errors';
import { FeedbackRepository } from './feedback.repository';
import { byRequest, joinOf, latestByPredictionId, LogJoin } from './log-join.util';

/** The joins found, per id: by request id, and by the client's prediction id. */
export type Joins = Record<PredictionKey, Map<string, LogJoin>>;

/** An id a feedback item names its prediction by. */
export interface PredictionRef {
  key: PredictionKey;
  id: string;
}

/**
 * Finds the logged entries ground truth joins to (see joinOf): by request id, the request's latest primary entry;
 * by the client's prediction id, the latest primary entry it named; each with its shadows. What this process has
 * answered is written first (`settle`: its queued log entries and the shadow predictions still waiting to be
 * scored), so feedback that follows its prediction at once joins it and all of its shadows.
 */
@Injectable()
export class LogJoinService {
  constructor(
    private readonly repository: FeedbackRepository,
    private readonly log: PredictionLogService,
  ) {}

  async joins(refs: readonly PredictionRef[]): Promise<Joins> {
    const ids = (key: PredictionKey) => [...new Set(refs.filter((r) => r.key === key).map((r) => r.id))];
    await this.log.settle(new Set(refs.map((r) => r.id)));
    return this.lookUp(ids('requestId'), ids('predictionId'));
  }

  private async lookUp(requestIds: readonly string[], predictionIds: readonly string[]): Promise<Joins> {
    const named = latestByPredictionId(await this.repository.primariesByPredictionId(predictionIds));
    const wanted = [...requestIds, ...[...named.values()].map((e) => e.requestId)];
    const groups = byRequest(await this.repository.entriesOfRequests(wanted));
    const joins: Joins = { requestId: new Map(), predictionId: new Map() };
    for (const id of requestIds) {
      const join = joinOf(groups.get(id) ?? []);
      if (join) joins.requestId.set(id, join);
    }
    for (const [id, primary] of named) {
      const join = joinOf(groups.get(primary.requestId) ?? [primary], primary);
      if (join) joins.predictionId.set(id, join);
    }
    return joins;
  }
}
