// README "JobIDs".
import { JobID } from '../../src/index.js';

// readme:start
const id = JobID.parse('ƒ2ZQ4h7');   // decimal, 0x hex, dothex, job.kvs, F58 (ƒ or f), mnemonicode words (not emoji: its table is LGPL-only)
console.log(id.dec, id.hex, id.dothex, id.kvs, id.f58, id.f58plain, String(id) /* F58 */, JSON.stringify(id) /* a string */);
// readme:end
