export type { CSR, Dataset, ItemMeta } from './types.js';
export { DataError } from './errors.js';
export { loadLightGCN } from './lightgcn.js';
export { loadDelimited, type DelimitedOptions } from './delimited.js';
export { splitInteractions, type SplitStrategy, type Interaction } from './split.js';
export { describeReport, type LoadReport } from './report.js';
export { csrFromPairs, columnCounts, rowOf, rowCount } from './csr.js';
export { keepTrainedItems, type TrainedCatalog } from './catalog.js';
export { Random } from './random.js';
