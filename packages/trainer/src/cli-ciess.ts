/** The `methods` command's --ciess-* flags: CIESS's settings (methods/ciess/settings.ts). */
import { type Command, Option } from 'commander';
import { intAtLeast, num } from './cli-common.js';
import { ACCOUNTINGS } from './methods/bet/settings.js';
import { CIESS_DEFAULTS, type CiessSettings, LAMBDA_RULES } from './methods/ciess/settings.js';

export interface CiessFlags {
  ciessEpisodes?: number;
  ciessIterations?: number;
  ciessEpochs?: number;
  ciessTop?: number;
  ciessRetrainEpochs?: number;
  ciessUpdates?: number;
  ciessLambda?: number;
  ciessLambdaRule?: CiessSettings['lambdaRule'];
  ciessAtBudget?: boolean;
  ciessAccounting?: CiessSettings['accounting'];
}

export function addCiessOptions(cmd: Command): Command {
  const d = CIESS_DEFAULTS;
  return cmd
    .option('--ciess-episodes <M>', `CIESS: episodes, each from the full table (default ${d.episodes})`, intAtLeast('ciess episodes', 1))
    .option('--ciess-iterations <T>', `CIESS: iterations an episode, one fine-tuned evaluation each (default ${d.iterations})`, intAtLeast('ciess iterations', 1))
    .option('--ciess-epochs <h>', `CIESS: fine-tuning epochs of each evaluation (default ${d.epochs})`, intAtLeast('ciess epochs', 0))
    .option('--ciess-top <l>', `CIESS: assignments meeting the budget retrained after the search (default ${d.top})`, intAtLeast('ciess top', 1))
    .option('--ciess-retrain-epochs <n>', 'CIESS: fine-tuning epochs of each retrained and the projected assignment (default: --finetune-epochs)', intAtLeast('ciess retrain epochs', 0))
    .option('--ciess-updates <U>', `CIESS: TD3 updates after each iteration (default ${d.updates})`, intAtLeast('ciess updates', 0))
    .option(
      '--ciess-at-budget',
      "CIESS: scale every assignment onto the budget before it is evaluated and serve the best as validated (default: the paper's free sizes, λ moved toward the budget, the final assignment projected onto it)",
    )
    .option('--ciess-lambda <λ>', `CIESS: the reward's size weight at the start (default ${d.lambda})`, num('ciess lambda'))
    .addOption(
      new Option(
        '--ciess-lambda-rule <rule>',
        `CIESS: when λ moves toward the budget: episode (held through an episode, moved by its last assignment) or iteration (after every one) (default: iteration in the device accounting, episode in the papers', as validation chose on Gowalla)`,
      ).choices([...LAMBDA_RULES]),
    )
    .addOption(
      new Option('--ciess-accounting <a>', 'CIESS: device (item bytes, users full) or paper (user + item parameters at sparsity 1 − budget; reported, not exported)').choices([...ACCOUNTINGS]),
    );
}

export function ciessOverrides(f: CiessFlags): Partial<CiessSettings> {
  return {
    ...(f.ciessEpisodes !== undefined ? { episodes: f.ciessEpisodes } : {}),
    ...(f.ciessIterations !== undefined ? { iterations: f.ciessIterations } : {}),
    ...(f.ciessEpochs !== undefined ? { epochs: f.ciessEpochs } : {}),
    ...(f.ciessTop !== undefined ? { top: f.ciessTop } : {}),
    ...(f.ciessRetrainEpochs !== undefined ? { retrainEpochs: f.ciessRetrainEpochs } : {}),
    ...(f.ciessUpdates !== undefined ? { updates: f.ciessUpdates } : {}),
    ...(f.ciessLambda !== undefined ? { lambda: f.ciessLambda } : {}),
    ...(f.ciessLambdaRule ? { lambdaRule: f.ciessLambdaRule } : {}),
    ...(f.ciessAtBudget ? { atBudget: true } : {}),
    ...(f.ciessAccounting ? { accounting: f.ciessAccounting } : {}),
  };
}
