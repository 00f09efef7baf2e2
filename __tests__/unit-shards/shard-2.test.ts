/** Half of the unit tables in one jest file (see shard.ts for why). */
import { runShard } from './shard';

runShard(1, 2);
