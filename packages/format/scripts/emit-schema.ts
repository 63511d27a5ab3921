// Regenerates the JSON Schemas of formats v2 (manifest.json and the block tables) and v3 (manifest.json of the mixed
// and sparse kinds) from the zod schemas, for exporters in other languages.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { ManifestV3Schema } from '../src/kinds-schema.js';
import { BlockTableSchema, FORMAT_VERSION, KINDS_VERSION, ManifestV2Schema } from '../src/schema.js';

for (const [file, schema] of [
  [`manifest.v${FORMAT_VERSION}`, ManifestV2Schema],
  [`block-table.v${FORMAT_VERSION}`, BlockTableSchema],
  [`manifest.v${KINDS_VERSION}`, ManifestV3Schema],
] as const) {
  const url = new URL(`../schema/${file}.json`, import.meta.url);
  // io 'input': the files a reader accepts, unknown members included (README, "Unknown members"); the 'output' schema
  // describes parsed values, from which zod has stripped them, so it says additionalProperties: false.
  writeFileSync(url, `${JSON.stringify(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }), null, 2)}\n`);
  console.log(`wrote ${url.pathname}`);
}
