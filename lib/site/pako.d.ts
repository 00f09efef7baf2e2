// The part of pako 1.x (a port of reference zlib, no types of its own) site/deflate.ts uses.
declare module 'pako' {
  interface DeflateOptions {
    level?: number;
    windowBits?: number;
    memLevel?: number;
    gzip?: boolean;
  }
  interface Deflate {
    /** Feeds input; `true` finishes the stream (Z_FINISH), `false` is Z_NO_FLUSH. */
    push(data: Uint8Array, last: boolean): boolean;
    /** Called with each piece of output. */
    onData: (chunk: Uint8Array) => void;
  }
  const pako: { Deflate: new (options?: DeflateOptions) => Deflate };
  export default pako;
}
