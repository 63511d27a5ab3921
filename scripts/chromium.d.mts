// Types for the test suites and benchmarks that import scripts/chromium.mjs.
export declare const CHROMIUM_FLAGS: readonly string[];
export declare function findChromium(options?: { install?: boolean }): string;
