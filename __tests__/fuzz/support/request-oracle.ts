/**
 * The request properties' oracle: what an answer must (not) be. See requests.test.ts for the list.
 */
import { DEFAULT_FAULT_STATUS, type FaultKind } from '../../../lib/index';
import type { Answer } from './http-harness';
import { CANARY_HEADER, SECRET_MARKER } from './http-servers';

export interface Allowances {
  /** Further documented 500s, by the site's log lines (e.g. a broken .htaccess). */
  readonly allowed500?: (logs: readonly string[]) => boolean;
  /** Statuses the rules ask for themselves (`[R=503]`). */
  readonly requested?: ReadonlySet<number>;
}

/** '' when the answer satisfies the property, otherwise what is wrong with it. */
export function violation(answer: Answer, boundMs: number, allow: Allowances = {}): string {
  if (answer.kind === 'timeout') {
    const seen = answer.collected;
    if (!seen) return `no answer within ${boundMs} ms, and the server thread is blocked`;
    return `no answer within ${boundMs} ms; the server thread had ${seen.crashes.join('\n') || 'no crash'}${seen.record?.error ? `; next(err): ${seen.record.error.message}` : ''}`;
  }
  if (answer.kind === 'unsendable') return '';
  const { record, crashes } = answer.collected;
  if (crashes.length > 0) return `the server thread had ${crashes.join('\n')}`;
  if (answer.kind === 'closed')
    return `the connection was closed without an answer (${answer.error})${record?.error ? `; next(err): ${record.error.message}` : ''}`;
  if (answer.headers[CANARY_HEADER] !== undefined)
    return 'SSRF: the answer came from the canary service, which no rule names';
  if (answer.body.includes(SECRET_MARKER)) return 'a file outside the document root was served';
  const status = answer.status;
  if (status < 500) return '';
  const fault = record?.fault;
  if (fault && fault.status === status && DEFAULT_FAULT_STATUS[fault.kind as FaultKind] === status)
    return '';
  if (status === 500 && record?.error?.ours) return '';
  if (status === 500 && !record?.error && record?.logs.some((l) => / 500 \w/.test(l))) return '';
  if (status === 500 && !record?.error && record && allow.allowed500?.(record.logs)) return '';
  if (allow.requested?.has(status) && !record?.error) return '';
  // rewrite() hands a 5xx the rules ask for to next(err) as ERR_STATUS_FLAG with that status
  // (README, Errors): the app's error handler answers it, as Apache's ErrorDocument would
  if (allow.requested?.has(status) && requestedStatusError(record?.error, status)) return '';
  const why = record?.error
    ? `next(err) got ${record.error.message}`
    : fault
      ? `proxy fault ${JSON.stringify(fault)}`
      : `logs: ${JSON.stringify(record?.logs ?? [])}`;
  return `undocumented ${status}: ${why}`;
}

/** The error rewrite() passes on for a status the rules asked for (`[R=503]`). */
function requestedStatusError(
  error: { code?: string; status?: number; ours: boolean } | undefined,
  status: number,
): boolean {
  return !!error && error.ours && error.code === 'ERR_STATUS_FLAG' && error.status === status;
}
