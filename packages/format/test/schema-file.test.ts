import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BlockTableSchema, ManifestSchema } from '../src/index.js';

describe('schema/*.v2.json', () => {
  for (const [name, schema] of [['manifest', ManifestSchema], ['block-table', BlockTableSchema]] as const) {
    it(`${name}.v2.json is the JSON Schema of the zod schema (run \`pnpm --filter @peelrec/format run schema\` after changing it)`, () => {
      const committed = JSON.parse(readFileSync(new URL(`../schema/${name}.v2.json`, import.meta.url), 'utf8'));
      expect(committed).toEqual(z.toJSONSchema(schema, { target: 'draft-2020-12' }));
    });
  }
});
