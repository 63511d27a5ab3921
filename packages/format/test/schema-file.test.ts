import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BlockTableSchema, ManifestV2Schema, ManifestV3Schema } from '../src/index.js';

const committed = (file: string): unknown => JSON.parse(readFileSync(new URL(`../schema/${file}.json`, import.meta.url), 'utf8'));

/** JSON paths of every `additionalProperties: false` in a JSON Schema. */
function closedObjects(node: unknown, path = '#'): string[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => [...(k === 'additionalProperties' && v === false ? [path] : []), ...closedObjects(v, `${path}/${k}`)]);
}

describe('schema/*.json', () => {
  for (const [file, schema] of [
    ['manifest.v2', ManifestV2Schema],
    ['block-table.v2', BlockTableSchema],
    ['manifest.v3', ManifestV3Schema],
  ] as const) {
    it(`${file}.json is the JSON Schema of the zod schema (run \`pnpm --filter @peelrec/format run schema\` after changing it)`, () => {
      // io 'input', as scripts/emit-schema.ts: the schema of the file, not of the parsed value.
      expect(committed(file)).toEqual(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }));
    });

    it(`${file}.json accepts unknown members, as the readers do (README, "Unknown members")`, () => {
      expect(closedObjects(committed(file))).toEqual([]);
    });
  }

  it('manifest.v3.json describes the mixed and sparse kinds at version 3 only', () => {
    const v3 = committed('manifest.v3') as { oneOf: { properties: { kind: { const: string }; formatVersion: { const: number } } }[] };
    expect(v3.oneOf.map((k) => [k.properties.kind.const, k.properties.formatVersion.const])).toEqual([
      ['mixed', 3],
      ['sparse', 3],
    ]);
  });
});
