/** Thrown by `fromJSON` when a stored model does not have the expected shape. */
export class ModelFormatError extends Error {
  readonly code = 'ML.INVALID_MODEL_FORMAT';

  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}
