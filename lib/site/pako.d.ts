// The part of pako 1.x (a port of reference zlib, no types of its own) site/deflate.ts uses.
declare module 'pako' {
  interface DeflateOptions {
    level?: number;
    windowBits?: number;
    memLevel?: number;
    gzip?: boolean;
    /** The size of each piece of output handed to onData (zlib's avail_out per call). */
    chunkSize?: number;
  }
  interface Deflate {
    /** Feeds input; `true` finishes the stream (Z_FINISH), `false` is Z_NO_FLUSH. */
    push(data: Uint8Array, last: boolean): boolean;
    /** Called with each piece of output. */
    onData: (chunk: Uint8Array) => void;
    /** zlib's stream: avail_in is the input given to zlib and not yet read into its window. */
    readonly strm: { readonly avail_in: number };
  }
  const pako: { Deflate: new (options?: DeflateOptions) => Deflate };
  export default pako;
}
