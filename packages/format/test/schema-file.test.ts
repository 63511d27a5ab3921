import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManifestSchema } from '../src/index.js';

describe('schema/manifest.v1.json', () => {
  it('is the JSON Schema of the zod schema (run `pnpm --filter @peelrec/format run schema` after changing it)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/manifest.v1.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(z.toJSONSchema(ManifestSchema, { target: 'draft-2020-12' }));
  });
});
