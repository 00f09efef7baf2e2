/**
 * The page's whole state in the URL's hash, so a link reproduces the case: JSON, deflated with the
 * browser's CompressionStream when it has one (`#z=`), else plain (`#j=`), in base64url.
 */
import { DEFAULT_STATE, type PlaygroundState } from './model.js';

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: GenerativeStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

type GenerativeStream = CompressionStream | DecompressionStream;

export async function encodeState(state: PlaygroundState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === 'function')
    return 'z=' + toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
  return 'j=' + toBase64Url(json);
}

/** The state a hash holds; anything missing or malformed falls back to the default's field. */
export async function decodeState(hash: string): Promise<PlaygroundState | undefined> {
  const body = hash.replace(/^#/, '');
  try {
    let bytes: Uint8Array;
    if (body.startsWith('z=') && typeof DecompressionStream === 'function')
      bytes = await pipe(fromBase64Url(body.slice(2)), new DecompressionStream('deflate-raw'));
    else if (body.startsWith('j=')) bytes = fromBase64Url(body.slice(2));
    else return undefined;
    return sanitize(JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

function sanitize(raw: Record<string, unknown>): PlaygroundState {
  const d = DEFAULT_STATE;
  return {
    rules: str(raw.rules, d.rules),
    context: raw.context === 'server' ? 'server' : 'directory',
    directory: str(raw.directory, d.directory),
    method: str(raw.method, d.method),
    url: str(raw.url, d.url),
    headers: str(raw.headers, d.headers),
    files: Array.isArray(raw.files)
      ? raw.files.filter((f): f is string => typeof f === 'string')
      : d.files,
  };
}
