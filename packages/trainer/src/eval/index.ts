export { evaluateRanking, type RankingInput, type RankingMetrics } from './ranking.js';
export { holdoutSplit } from './holdout.js';
