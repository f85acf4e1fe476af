/** The video mixer's layout engine: OWT templates, custom regions, fit policies. Pure functions. */
export { type AssignOptions, assignRegions, chooseTemplate } from './assign-regions.js';
export { buildTemplates, fluidTemplates, lectureTemplates } from './base-templates.js';
export {
  type CompositionPlan,
  type PlanInput,
  type PlannedLayer,
  type PlanOptions,
  planComposition,
  rgbToYuv,
} from './composition-plan.js';
export { type FitResult, fitInto } from './fit-policy.js';
export { formatRatio, parseFraction, type Ratio } from './fraction.js';
export type * from './layout-types.js';
export { regionToPixels } from './region-geometry.js';
