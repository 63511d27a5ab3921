// The workspace packages (@peelrec/format, @peelrec/runtime) export dist/ as published, and their TypeScript
// sources under the `@peelrec/source` condition, so the workspace needs no build step. Every tool that
// resolves them names the condition: tsconfig.base.json (customConditions), Node (`--conditions`, or
// source-hooks.mjs where flags cannot be passed) and the Vite and Vitest configs, through `sourceResolve`.
export const SOURCE_CONDITION = '@peelrec/source';

/**
 * Vite config fragment: the condition first, then Vite's defaults (defaultClientConditions for the browser,
 * defaultServerConditions for Vitest's node environment, which resolves as SSR).
 */
export const sourceResolve = Object.freeze({
  resolve: { conditions: [SOURCE_CONDITION, 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, 'module', 'node', 'development|production'] } },
});
