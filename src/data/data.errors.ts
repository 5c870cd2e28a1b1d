import { DomainError, FieldProblem } from '../common/errors/domain.error';

/** A data file cannot be used: wrong header, no rows, too many bad rows, unreadable. Names the file. */
export class DataFileError extends DomainError {
  readonly code = 'DATA.INVALID_FILE';
  readonly kind = 'unprocessable';

  constructor(
    readonly file: string,
    reason: string,
    errors?: FieldProblem[],
  ) {
    super(`${file}: ${reason}`, errors);
  }
}

/** The data could not be fetched (no local file and the download failed). */
export class DataSourceUnavailableError extends DomainError {
  readonly code = 'DATA.SOURCE_UNAVAILABLE';
  readonly kind = 'unavailable';
}

export class DatasetNotFoundError extends DomainError {
  readonly code = 'DATA.DATASET_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(version: string) {
    super(`No dataset with version ${version}`);
  }
}
