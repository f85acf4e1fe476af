import { assignRegions } from './assign-regions.js';
import { buildTemplates } from './base-templates.js';
import { type FitResult, fitInto } from './fit-policy.js';
import type { LayoutSpec, PixelRect, RegionAssignment, RgbColor } from './layout-types.js';
import { regionToPixels } from './region-geometry.js';

export interface PlanInput {
  stream: string;
  /** Size of the input's latest picture (0x0 while none has arrived yet). */
  width: number;
  height: number;
}

export interface PlannedLayer extends FitResult {
  stream: string;
  regionId: string;
  /** The whole region on the canvas (dest lies inside it). */
  region: PixelRect;
}

export interface CompositionPlan {
  width: number;
  height: number;
  background: [number, number, number];
  /** What StreamInfo `info.layout` reports. */
  layout: RegionAssignment[];
  /** What the compositor draws, in region order. */
  layers: PlannedLayer[];
}

export interface PlanOptions {
  spec: LayoutSpec;
  canvasWidth: number;
  canvasHeight: number;
  inputs: readonly PlanInput[];
  activeInput?: string;
  pinned?: ReadonlyMap<string, string>;
}

/** Everything a mixer needs for one output frame, from the view's layout spec and its inputs. */
export function planComposition(options: PlanOptions): CompositionPlan {
  const { spec, canvasWidth, canvasHeight } = options;
  const templates = buildTemplates(spec.base, spec.maxInput, spec.custom);
  const layout = assignRegions(templates, {
    inputs: options.inputs.map((i) => i.stream),
    maxInput: spec.maxInput,
    activeInput: options.activeInput,
    keepActiveInputPrimary: spec.keepActiveInputPrimary,
    pinned: options.pinned,
  });
  const sizes = new Map(options.inputs.map((i) => [i.stream, i]));
  const layers: PlannedLayer[] = [];
  for (const { stream, region } of layout) {
    const input = sizes.get(stream)!;
    const rect = regionToPixels(region, canvasWidth, canvasHeight);
    const fit = fitInto(input.width, input.height, rect, spec.fitPolicy);
    if (fit) layers.push({ stream, regionId: region.id, region: rect, ...fit });
  }
  return { width: canvasWidth, height: canvasHeight, background: rgbToYuv(spec.bgColor), layout, layers };
}

/** BT.601 limited-range YUV of an RGB colour. */
export function rgbToYuv(rgb: RgbColor): [number, number, number] {
  const { r, g, b } = rgb;
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  return [
    clamp(16 + 0.257 * r + 0.504 * g + 0.098 * b),
    clamp(128 - 0.148 * r - 0.291 * g + 0.439 * b),
    clamp(128 + 0.439 * r - 0.368 * g - 0.071 * b),
  ];
}
