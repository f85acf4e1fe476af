import type { LayoutTemplate, RegionAssignment } from './layout-types.js';

export interface AssignOptions {
  /** Inputs in mix order (the order they joined). */
  inputs: readonly string[];
  maxInput: number;
  /** The active speaker's stream, if any. */
  activeInput?: string;
  keepActiveInputPrimary: boolean;
  /** Inputs pinned to a region id (stream-control set-region, REST layout PATCH). */
  pinned?: ReadonlyMap<string, string>;
}

/** The template for `count` inputs: the first with enough regions, else the largest. */
export function chooseTemplate(
  templates: readonly LayoutTemplate[],
  count: number,
): LayoutTemplate | undefined {
  return templates.find((t) => t.region.length >= count) ?? templates[templates.length - 1];
}

/**
 * Places inputs into regions. At most maxInput inputs are shown (the first ones in mix order,
 * with the active input kept among them when it must be primary). The active input takes the
 * primary (first) region when keepActiveInputPrimary is set; pinned inputs take their region
 * when the chosen template has it; the rest fill the free regions in order.
 */
export function assignRegions(
  templates: readonly LayoutTemplate[],
  options: AssignOptions,
): RegionAssignment[] {
  const { maxInput, activeInput, keepActiveInputPrimary, pinned } = options;
  if (maxInput < 1) return [];
  let shown = options.inputs.slice(0, Math.max(0, maxInput));
  const activeFirst =
    keepActiveInputPrimary && activeInput !== undefined && options.inputs.includes(activeInput);
  if (activeFirst && !shown.includes(activeInput!)) shown = [...shown.slice(0, -1), activeInput!];
  const template = chooseTemplate(templates, shown.length);
  if (!template || shown.length === 0) return [];
  const free = [...template.region];
  const out: RegionAssignment[] = [];
  const take = (stream: string, regionId?: string): void => {
    const at = regionId === undefined ? 0 : free.findIndex((r) => r.id === regionId);
    if (at < 0 || free.length === 0) return;
    out.push({ stream, region: free[at]! });
    free.splice(at, 1);
  };
  const placed = new Set<string>();
  if (activeFirst) {
    take(activeInput!, template.region[0]!.id);
    placed.add(activeInput!);
  }
  for (const stream of shown) {
    const regionId = pinned?.get(stream);
    if (placed.has(stream) || regionId === undefined) continue;
    if (free.some((r) => r.id === regionId)) {
      take(stream, regionId);
      placed.add(stream);
    }
  }
  for (const stream of shown) {
    if (placed.has(stream)) continue;
    take(stream);
    placed.add(stream);
  }
  return out;
}
