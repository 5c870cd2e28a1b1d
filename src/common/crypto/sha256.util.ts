import { createHash } from 'node:crypto';

/** Hex sha256 of bytes or text: dataset versions and artifact checksums. */
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
