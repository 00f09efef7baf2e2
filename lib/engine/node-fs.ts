/**
 * The default FsView: the real file system through node:fs. The only engine module that touches
 * node:fs; explain() injects a virtual tree instead, so a browser bundle never calls it.
 */
import { lstatSync, statSync } from 'node:fs';
import { fsPath } from '../common/bytes.js';
import type { FsView } from './state.js';

// throwIfNoEntry: a missing file is the common case on this path; exceptions would cost ~10 µs each
export const nodeFs: FsView = {
  stat(p) {
    try {
      return statSync(fsPath(p), { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  },
  lstat(p) {
    try {
      return lstatSync(fsPath(p), { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  },
};
