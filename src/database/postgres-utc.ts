import { defaults, types } from 'pg';

/** pg's type id of `timestamp without time zone`. */
const TIMESTAMP_OID = 1114;

/** The session option of every connection to PostgreSQL: timestamps without a time zone mean UTC. */
export const POSTGRES_UTC_SESSION = '-c TimeZone=UTC';

/**
 * Makes pg (process-wide, in this thread) write Dates as UTC and read `timestamp without time zone` back as UTC, so
 * replicas and threads in different time zones agree. Every connection also sets POSTGRES_UTC_SESSION.
 */
export function usePostgresUtc(): void {
  defaults.parseInputDatesAsUTC = true;
  types.setTypeParser(TIMESTAMP_OID, (text: string) => new Date(`${text.replace(' ', 'T')}Z`));
}
