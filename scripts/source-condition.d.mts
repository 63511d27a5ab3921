// Types for the Vite and Vitest configs that import scripts/source-condition.mjs.
export declare const SOURCE_CONDITION: '@peelrec/source';
export declare const sourceResolve: {
  readonly resolve: { conditions: string[] };
  readonly ssr: { resolve: { conditions: string[] } };
};
