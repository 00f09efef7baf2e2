/**
 * The two Node globals the engine touches, for the browser bundle (esbuild `inject`):
 * `process.env` (no variables: `%{ENV:X}` of the OS environment is empty) and the Buffer
 * conversions between UTF-8 text and byte strings (common/bytes.ts, compile.ts).
 */

type Encoding = 'utf8' | 'utf-8' | 'latin1' | 'binary';

class ByteArray extends Uint8Array {
  static override from(value: unknown, encoding?: unknown): ByteArray {
    if (typeof value !== 'string')
      return new ByteArray(Uint8Array.from(value as ArrayLike<number>));
    const enc = (encoding ?? 'utf8') as Encoding;
    if (enc === 'latin1' || enc === 'binary') {
      const out = new ByteArray(value.length);
      for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i) & 0xff;
      return out;
    }
    return new ByteArray(new TextEncoder().encode(value));
  }

  static isBuffer(value: unknown): boolean {
    return value instanceof ByteArray;
  }

  override toString(encoding?: Encoding): string {
    if (encoding === 'latin1' || encoding === 'binary') {
      let out = '';
      for (let i = 0; i < this.length; i++) out += String.fromCharCode(this[i]);
      return out;
    }
    return new TextDecoder('utf-8').decode(this);
  }
}

export const Buffer = ByteArray;

export const process = {
  env: {} as Record<string, string | undefined>,
  cwd: (): string => '/',
  platform: 'browser',
};
