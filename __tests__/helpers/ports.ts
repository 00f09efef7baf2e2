/**
 * Ports for tests, shared with the conformance recorder: see `deadPort` in conformance/harness.cjs
 * (outside the ephemeral range, so no other server of the run is given it while a test relies on
 * nothing listening there).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs') as { deadPort: () => Promise<number> };

export const deadPort: () => Promise<number> = harness.deadPort;
