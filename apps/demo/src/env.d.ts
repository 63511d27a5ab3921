/// <reference types="vite/client" />
/** Manifest URL of the model this build serves by default (see vite.config.ts, PEELREC_MODEL_DIR). */
declare const __PEELREC_DEFAULT_MANIFEST__: string;
