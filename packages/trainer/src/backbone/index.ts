export { trainBackbone, type BackboneOptions, type Embeddings, type EpochStats } from './train.js';
export { smoothOneHop } from './smooth.js';
export { blockCrossCorrelation } from './diversity.js';
