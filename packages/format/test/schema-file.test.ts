import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BlockTableSchema, ManifestSchema } from '../src/index.js';

const committed = (name: string): unknown => JSON.parse(readFileSync(new URL(`../schema/${name}.v2.json`, import.meta.url), 'utf8'));

/** JSON paths of every `additionalProperties: false` in a JSON Schema. */
function closedObjects(node: unknown, path = '#'): string[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => [...(k === 'additionalProperties' && v === false ? [path] : []), ...closedObjects(v, `${path}/${k}`)]);
}

describe('schema/*.v2.json', () => {
  for (const [name, schema] of [
    ['manifest', ManifestSchema],
    ['block-table', BlockTableSchema],
  ] as const) {
    it(`${name}.v2.json is the JSON Schema of the zod schema (run \`pnpm --filter @peelrec/format run schema\` after changing it)`, () => {
      // io 'input', as scripts/emit-schema.ts: the schema of the file, not of the parsed value.
      expect(committed(name)).toEqual(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }));
    });

    it(`${name}.v2.json accepts unknown members, as the readers do (README, "Unknown members")`, () => {
      expect(closedObjects(committed(name))).toEqual([]);
    });
  }
});
