// Writes docs/scenario.schema.json, the published JSON Schema of scenario files, from the one the loader uses
// (lab/scenarios/file/schema.ts, compiled in dist/). `npm run schema` after changing the format; a test checks
// that the two are the same.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { SCENARIO_SCHEMA } = await import(join(root, 'dist', 'lab', 'scenarios', 'file', 'schema.js'));
writeFileSync(join(root, 'docs', 'scenario.schema.json'), `${JSON.stringify(SCENARIO_SCHEMA, null, 2)}\n`);
