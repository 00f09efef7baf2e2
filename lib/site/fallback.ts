/**
 * mod_dir's `FallbackResource` (modules/mappers/mod_dir.c `fixup_dflt`), recorded from Apache
 * 2.4.71 in conformance case 187: a request that maps to nothing on disk (and has no handler) is
 * served by a sub-request for the fallback URL, which is taken over (a fast internal redirect)
 * when it maps to a file. A relative URL is relative to the request's directory. The sub-request
 * runs its own fixups, so a fallback that is missing falls back again, up to the nesting limit.
 */
import type { RuleSet } from '../compile/ruleset.js';
import { escapeUri } from '../common/escape.js';

/** The request-target of the fallback sub-request, or undefined when none applies. */
export function fallbackTarget(
  config: Pick<RuleSet, 'fallbackResource'> | undefined,
  uri: string,
  args: string | null,
): string | undefined {
  const name = config?.fallbackResource;
  if (!name) return undefined;
  // ap_sub_req_method_uri: a relative URL is joined to the escaped directory of r->uri
  const path = name.startsWith('/')
    ? name
    : escapeUri(uri.slice(0, uri.lastIndexOf('/') + 1)) + name;
  return args !== null ? `${path}?${args}` : path;
}
