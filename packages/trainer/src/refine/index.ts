export { refineUserGroups, carveValidation, REFINE_DEFAULTS, type RefineOptions, type RefinedGroups, type RefineInput, type ValidationSplit } from './refine-groups.js';
export { keepMask } from './block-selection.mjs';
