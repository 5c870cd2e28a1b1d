/** A well-formed model of another library that uses something the service cannot serve exactly (and so refuses). */
export class UnsupportedModelError extends Error {
  readonly code = 'ML.UNSUPPORTED_MODEL';

  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}
