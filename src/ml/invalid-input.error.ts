/** Thrown when training data, parameters or a prediction matrix have the wrong shape or values. */
export class InvalidInputError extends Error {
  readonly code = 'ML.INVALID_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
