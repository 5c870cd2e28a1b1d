import type { DriftReportDto } from './dto/monitoring.dto';

/** A periodic drift check (every DRIFT_CHECK_INTERVAL_S) judged a served model (the drift retraining trigger). */
export class DriftCheckedEvent {
  constructor(readonly report: DriftReportDto) {}
}

declare module '../common/events/domain-events' {
  interface DomainEventMap {
    'drift.checked': DriftCheckedEvent;
  }
}
