/**
 * OWT's view layout vocabulary (room config `views[].video.layout`, StreamInfo `info.layout`).
 * Areas are fractions of the canvas, written as strings like '1/3' or as numbers.
 */

export type FractionValue = string | number;

export interface RegionArea {
  left: FractionValue;
  top: FractionValue;
  width: FractionValue;
  height: FractionValue;
}

export interface Region {
  id: string;
  shape: 'rectangle';
  area: RegionArea;
}

/** One arrangement for a given number of inputs; the first region is the primary one. */
export interface LayoutTemplate {
  region: Region[];
}

export type BaseTemplate = 'fluid' | 'lecture' | 'void';
export type FitPolicy = 'letterbox' | 'crop';

export interface RgbColor {
  r: number;
  g: number;
  b: number;
}

/** What a mixer needs from a view's video settings to lay out its inputs. */
export interface LayoutSpec {
  base: BaseTemplate;
  /** OWT: `templates.custom`; each replaces the base template with as many regions, or is added. */
  custom?: LayoutTemplate[];
  fitPolicy: FitPolicy;
  maxInput: number;
  bgColor: RgbColor;
  keepActiveInputPrimary: boolean;
}

/** A rectangle in canvas or picture pixels; all four numbers even (I420). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An input placed in a region (what StreamInfo `info.layout` reports). */
export interface RegionAssignment {
  stream: string;
  region: Region;
}
