/** `node:net` in the browser bundle: isIP(), as Node answers it (4, 6 or 0). */

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isIPv6(text: string): boolean {
  const zoneless = text.replace(/%[^%]+$/, '');
  let body = zoneless;
  let groupsWanted = 8;
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && IPV4.test(body.slice(lastColon + 1))) {
    body = body.slice(0, lastColon) + ':0';
    groupsWanted = 7;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!groups.flat().every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = groups.flat().length + (groupsWanted === 7 ? 1 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

export function isIP(text: string): number {
  if (IPV4.test(text)) return 4;
  return isIPv6(text) ? 6 : 0;
}

export default { isIP };
