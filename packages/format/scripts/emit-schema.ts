// Regenerates the JSON Schemas of format v2 (manifest.json and the block tables) from the zod schemas, for exporters in other languages.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { BlockTableSchema, FORMAT_VERSION, ManifestSchema } from '../src/schema.js';

for (const [name, schema] of [
  ['manifest', ManifestSchema],
  ['block-table', BlockTableSchema],
] as const) {
  const url = new URL(`../schema/${name}.v${FORMAT_VERSION}.json`, import.meta.url);
  // io 'input': the files a reader accepts, unknown members included (README, "Unknown members"); the 'output' schema
  // describes parsed values, from which zod has stripped them, so it says additionalProperties: false.
  writeFileSync(url, `${JSON.stringify(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }), null, 2)}\n`);
  console.log(`wrote ${url.pathname}`);
}
