export { refineUserGroups, carveValidation, REFINE_DEFAULTS, type RefineOptions, type RefinedGroups, type RefineInput } from './refine-groups.js';
export { keepMask } from './refine-core.mjs';
