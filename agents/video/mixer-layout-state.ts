import { NotFoundError, ValidationError } from '../../common/errors.js';
import {
  assignRegions,
  buildTemplates,
  chooseTemplate,
  type LayoutSpec,
  type LayoutTemplate,
  type RegionAssignment,
} from './layout/index.js';

/** A requested placement: a stream and the id of a region of the current template. */
export interface RegionRequest {
  stream: string;
  region: string;
}

/**
 * Who is in a mixer and where: inputs in join order, the active input, inputs pinned to regions.
 * Every change is validated first and applied whole, so a refused change leaves it as it was.
 */
export class MixerLayoutState {
  private readonly templates: LayoutTemplate[];
  private readonly order: string[] = [];
  private readonly pinned = new Map<string, string>();
  private active: string | undefined;

  constructor(readonly spec: LayoutSpec) {
    this.templates = buildTemplates(spec.base, spec.maxInput, spec.custom);
  }

  get inputs(): readonly string[] {
    return this.order;
  }

  get activeInput(): string | undefined {
    return this.active;
  }

  get pins(): ReadonlyMap<string, string> {
    return this.pinned;
  }

  has(stream: string): boolean {
    return this.order.includes(stream);
  }

  add(stream: string): void {
    if (!this.has(stream)) this.order.push(stream);
  }

  remove(stream: string): void {
    this.requireInput(stream);
    this.order.splice(this.order.indexOf(stream), 1);
    this.pinned.delete(stream);
    if (this.active === stream) this.active = undefined;
  }

  setActive(stream: string): void {
    this.requireInput(stream);
    this.active = stream;
  }

  /** The template in use for the current inputs (undefined for 'void' without custom ones). */
  currentTemplate(): LayoutTemplate | undefined {
    return chooseTemplate(this.templates, Math.min(this.order.length, this.spec.maxInput));
  }

  assignments(): RegionAssignment[] {
    return assignRegions(this.templates, {
      inputs: this.order,
      maxInput: this.spec.maxInput,
      activeInput: this.active,
      keepActiveInputPrimary: this.spec.keepActiveInputPrimary,
      pinned: this.pinned,
    });
  }

  regionOf(stream: string): string | undefined {
    return this.assignments().find((a) => a.stream === stream)?.region.id;
  }

  /** Moves an input to a region; the input shown there takes the mover's old region (a swap). */
  setRegion(stream: string, regionId: string): void {
    this.requireInput(stream);
    this.requireRegion(regionId);
    const occupant = this.assignments().find((a) => a.region.id === regionId)?.stream;
    const oldRegion = this.regionOf(stream);
    for (const [s, r] of this.pinned) if (r === regionId) this.pinned.delete(s);
    if (occupant !== undefined && occupant !== stream && oldRegion !== undefined) {
      for (const [s, r] of this.pinned) if (r === oldRegion) this.pinned.delete(s);
      this.pinned.set(occupant, oldRegion);
    }
    this.pinned.set(stream, regionId);
  }

  /** Replaces every pin with these placements (REST `info/layout` replace). */
  setLayout(requests: readonly RegionRequest[]): void {
    const streams = new Set<string>();
    const regions = new Set<string>();
    for (const { stream, region } of requests) {
      this.requireInput(stream);
      this.requireRegion(region);
      if (streams.has(stream)) throw new ValidationError(`stream ${stream} is placed twice`);
      if (regions.has(region)) throw new ValidationError(`region ${region} is given twice`);
      streams.add(stream);
      regions.add(region);
    }
    this.pinned.clear();
    for (const { stream, region } of requests) this.pinned.set(stream, region);
  }

  private requireInput(stream: string): void {
    if (!this.has(stream)) throw new NotFoundError(`stream ${stream} is not an input of this mixer`);
  }

  private requireRegion(regionId: string): void {
    const template = this.currentTemplate();
    if (!template?.region.some((r) => r.id === regionId)) {
      const ids = template?.region.map((r) => r.id).join(', ') ?? 'none';
      throw new ValidationError(`region ${regionId} is not in the current layout (regions: ${ids})`);
    }
  }
}
