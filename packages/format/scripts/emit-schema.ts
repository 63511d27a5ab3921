// Regenerates schema/manifest.v1.json (JSON Schema) from the zod schema, for exporters in other languages.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { ManifestSchema } from '../src/schema.js';

const url = new URL('../schema/manifest.v1.json', import.meta.url);
writeFileSync(url, JSON.stringify(z.toJSONSchema(ManifestSchema, { target: 'draft-2020-12' }), null, 2) + '\n');
console.log(`wrote ${url.pathname}`);
