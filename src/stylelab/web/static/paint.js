// Style Lab canvas: brushes, undo/redo and export. No dependencies.
//
// Two canvases of the same size are stacked: `paper` holds the painting
// (transparent where nothing is painted, so the photo underlay can show
// through), `wet` holds the stroke in progress for brushes that must not build
// up within one stroke (pencil, marker, acrylic), that build up on purpose (airbrush) or that
// change when they dry (watercolour). On pointerup the wet stroke is
// composited onto the paper and the changed rectangle goes on the undo stack.

export const BRUSHES = ["pencil", "marker", "acrylic", "watercolour", "airbrush", "eraser", "fill"];
export const UNDO_LIMIT = 60;
const UNDO_BYTES = 400 * 1024 * 1024;

function clamp(value, low, high) {
  return Math.max(low, Math.min(high, value));
}

function parseColour(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function rgba([r, g, b], alpha = 1) {
  return `rgba(${r | 0},${g | 0},${b | 0},${alpha})`;
}

// Deterministic lattice noise in [0, 1).
function hash(x, y) {
  let h = (x * 374761393 + y * 668265263) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

// Smooth value noise (bilinear between lattice points `cell` pixels apart): paper grain.
function grain(x, y, cell = 5) {
  const gx = x / cell, gy = y / cell;
  const ix = Math.floor(gx), iy = Math.floor(gy);
  const fx = gx - ix, fy = gy - iy;
  const top = hash(ix, iy) * (1 - fx) + hash(ix + 1, iy) * fx;
  const bottom = hash(ix, iy + 1) * (1 - fx) + hash(ix + 1, iy + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

// Separable running-sum box blur of a Float32Array (w × h), radius r, in place-ish.
function boxBlur(source, w, h, r) {
  if (r < 1) return Float32Array.from(source);
  const temp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const size = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    let sum = 0;
    const row = y * w;
    for (let x = -r; x <= r; x++) sum += source[row + clamp(x, 0, w - 1)];
    for (let x = 0; x < w; x++) {
      temp[row + x] = sum / size;
      sum += source[row + Math.min(x + r + 1, w - 1)] - source[row + Math.max(x - r, 0)];
    }
  }
  for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let y = -r; y <= r; y++) sum += temp[clamp(y, 0, h - 1) * w + x];
    for (let y = 0; y < h; y++) {
      out[y * w + x] = sum / size;
      sum += temp[Math.min(y + r + 1, h - 1) * w + x] - temp[Math.max(y - r, 0) * w + x];
    }
  }
  return out;
}

function sameBytes(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class Rect {
  constructor() {
    this.x0 = Infinity; this.y0 = Infinity; this.x1 = -Infinity; this.y1 = -Infinity;
  }
  add(x, y, radius) {
    this.x0 = Math.min(this.x0, x - radius); this.y0 = Math.min(this.y0, y - radius);
    this.x1 = Math.max(this.x1, x + radius); this.y1 = Math.max(this.y1, y + radius);
  }
  clipped(width, height, pad = 2) {
    const x = clamp(Math.floor(this.x0 - pad), 0, width);
    const y = clamp(Math.floor(this.y0 - pad), 0, height);
    const x1 = clamp(Math.ceil(this.x1 + pad), 0, width);
    const y1 = clamp(Math.ceil(this.y1 + pad), 0, height);
    return x1 > x && y1 > y ? { x, y, w: x1 - x, h: y1 - y } : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Flood fill helpers (RGBA bytes of the paint layer, transparent where the paper is bare).

const BARE_PAPER_ALPHA = 13; // under 5 % paint: the click was on the paper
const WALL_ALPHA = 128; // paint at least half opaque bounds a fill behind the paint
const OPAQUE_ALPHA = 230; // paint 90 % opaque or more: a fill behind it would hardly show, so it is not entered

// A test "is pixel p about the colour at byte offset `start`", colours as seen on white paper.
function similarColour(data, start, tolerance) {
  const seen = (i, c) => data[i + c] * (data[i + 3] / 255) + 255 * (1 - data[i + 3] / 255);
  const reference = [0, 1, 2].map((c) => seen(start, c));
  return (p) => Math.abs(seen(p * 4, 0) - reference[0]) + Math.abs(seen(p * 4, 1) - reference[1])
    + Math.abs(seen(p * 4, 2) - reference[2]) <= tolerance;
}

// The area a fill started on bare paper goes behind: the paper and faint paint connected to (x, y)
// up to paint at least half opaque (so outlines bound it), plus the translucent paint (half to 90 %
// opaque) touching that area, as a whole (so an airbrush blob or a watercolour wash gets the colour
// under its core too, not only under its soft rim). It does not spread from a stroke's core into the
// faint paint on its far side, nor through nearly opaque paint: the inside of an outlined shape, and
// what touches the outline inside, stay as they were.
function behindRegion(data, x, y, width, height) {
  const alpha = (p) => data[p * 4 + 3];
  const translucent = (p) => alpha(p) >= WALL_ALPHA && alpha(p) < OPAQUE_ALPHA;
  const mask = floodRegion((p) => alpha(p) < WALL_ALPHA, [[x, y]], width, height);
  const seeds = [];
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const p = j * width + i;
      if (mask[p] || !translucent(p)) continue;
      const touches = (i > 0 && mask[p - 1]) || (i < width - 1 && mask[p + 1])
        || (j > 0 && mask[p - width]) || (j < height - 1 && mask[p + width]);
      if (touches) seeds.push([i, j]);
    }
  }
  return floodRegion(translucent, seeds, width, height, mask);
}

// `mask` (new if not given) with the pixels connected to `seeds` for which inside(p) holds set to 1
// (scanline flood fill; pixels already set are not entered again).
function floodRegion(inside, seeds, width, height, mask = new Uint8Array(width * height)) {
  const stack = [...seeds];
  while (stack.length) {
    const [sx, sy] = stack.pop();
    const row = sy * width;
    if (mask[row + sx] || !inside(row + sx)) continue;
    let left = sx;
    while (left > 0 && !mask[row + left - 1] && inside(row + left - 1)) left--;
    let right = sx;
    while (right < width - 1 && !mask[row + right + 1] && inside(row + right + 1)) right++;
    for (let i = left; i <= right; i++) {
      mask[row + i] = 1;
      if (sy > 0 && !mask[row - width + i]) stack.push([i, sy - 1]);
      if (sy < height - 1 && !mask[row + width + i]) stack.push([i, sy + 1]);
    }
  }
  return mask;
}

// `mask` grown by `steps` pixels (4-neighbourhood each step); `rect` receives the grown extent.
function grow(mask, width, height, steps, rect) {
  let current = mask;
  for (let step = 0; step < steps; step++) {
    const next = Uint8Array.from(current);
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        if (!current[j * width + i]) continue;
        if (i > 0) next[j * width + i - 1] = 1;
        if (i < width - 1) next[j * width + i + 1] = 1;
        if (j > 0) next[(j - 1) * width + i] = 1;
        if (j < height - 1) next[(j + 1) * width + i] = 1;
      }
    }
    current = next;
  }
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) if (current[j * width + i]) rect.add(i, j, 0);
  }
  return current;
}

// New colour (at `alpha`) over the paint at byte offset i.
function compositeOver(data, i, [r, g, b], alpha) {
  const under = data[i + 3] / 255;
  const out = alpha + under * (1 - alpha);
  if (out <= 0) return;
  data[i] = (r * alpha + data[i] * under * (1 - alpha)) / out;
  data[i + 1] = (g * alpha + data[i + 1] * under * (1 - alpha)) / out;
  data[i + 2] = (b * alpha + data[i + 2] * under * (1 - alpha)) / out;
  data[i + 3] = out * 255;
}

// The paint at byte offset i over the new colour (at `alpha`): the fill goes behind it.
function compositeBehind(data, i, [r, g, b], alpha) {
  const paint = data[i + 3] / 255;
  const out = paint + alpha * (1 - paint);
  if (out <= 0) return;
  data[i] = (data[i] * paint + r * alpha * (1 - paint)) / out;
  data[i + 1] = (data[i + 1] * paint + g * alpha * (1 - paint)) / out;
  data[i + 2] = (data[i + 2] * paint + b * alpha * (1 - paint)) / out;
  data[i + 3] = out * 255;
}

// ---------------------------------------------------------------------------------------------
// Brushes. Each gets the painter's settings at the start of a stroke and is fed
// dabs (x, y, pressure) spaced along the path, plus the segment they came from.

// Each brush class also says what its footprint is at full pressure, in canvas pixels (`footprint`):
// the outline shown under the pointer.
const round = (diameter) => ({ shape: "round", width: diameter, height: diameter });

class Pencil {
  // On the wet layer, so that the dabs overlapping along the stroke (every half pixel) make it as dark
  // as the opacity says when it dries, not nearly black at any opacity.
  constructor(s) {
    this.s = s; this.wet = true; this.blend = "normal";
    this.radius = Pencil.radius(s.size);
  }
  static radius(size) { return Math.max(0.6, size * 0.25); }
  static footprint(size) { return round(2 * Pencil.radius(size)); }
  spacing() { return 0.5; }
  dab(ctx, x, y, p) {
    // graphite: a scatter of single pixels, denser with pressure
    const r = this.radius * (0.6 + 0.4 * p);
    const count = Math.max(2, Math.round(r * r * 2.2));
    ctx.fillStyle = rgba(this.s.colour);
    ctx.globalAlpha = clamp(0.25 + 0.35 * p, 0.02, 1);
    for (let i = 0; i < count; i++) {
      const angle = Math.random() * 2 * Math.PI;
      const dist = Math.sqrt(Math.random()) * r;
      ctx.fillRect(x + Math.cos(angle) * dist - 0.5, y + Math.sin(angle) * dist - 0.5, 1, 1);
    }
    ctx.globalAlpha = 1;
    return r;
  }
}

class Marker {
  constructor(s) {
    this.s = s; this.wet = true; this.blend = "multiply";
  }
  spacing(r) { return Math.max(0.5, r * 0.15); }
  dab(ctx, x, y, p) {
    // full strength on the wet layer; the opacity is applied once when it dries
    const r = (this.s.size / 2) * (0.75 + 0.25 * p);
    ctx.fillStyle = rgba(this.s.colour);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
    return r;
  }
}

class Acrylic {
  // A flat of bristles laid across the stroke, each with its own width, tint and paint
  // load. The flat turns gradually through corners and keeps its face when dragged back,
  // so every bristle draws one continuous trail. Bristles meet the paper one after another
  // (a ragged start), the outer ones carry less paint (soft edges), `paint` runs down with
  // the distance travelled and the bristles go dry one by one: dry-brush streaks at the end.
  // The trails go on the wet layer, which dries at the opacity: on the paper, where they overlap (each
  // trail's pieces, neighbouring bristles), they built up to nearly black at any opacity.
  constructor(s) {
    this.s = s; this.wet = true; this.blend = "normal";
    this.paint = 1;
    this.travelled = 0;
    this.normal = null;
    const count = Acrylic.bristleCount(s.size);
    this.bristles = Array.from({ length: count }, (_, i) => {
      const across = (i + Math.random()) / count - 0.5;
      const shade = (Math.random() - 0.5) * 24;
      return {
        across: across * s.size,
        width: (0.8 + Math.random() * 1.4) * Math.max(1, s.size / count) * 1.6,
        colour: s.colour.map((c) => clamp(c + shade, 0, 255)),
        load: (0.75 + Math.random() * 0.5) * (1 - 0.5 * (2 * across) ** 4),
        dryAt: Math.random() * 0.5,
        touchAt: Math.random() ** 2 * 0.4 * s.size,
        last: null,
      };
    });
    this.reach = Math.max(150, s.size * 25); // pixels of travel until the brush is dry
    this.turnLength = 0.3 * s.size + 4; // pixels of travel for the flat to follow a change of direction
  }
  static bristleCount(size) { return clamp(Math.round(size * 0.9), 6, 80); }
  // a flat: as wide as the brush across the stroke, as thick as its thicker bristles along it
  static footprint(size) {
    return { shape: "flat", width: size, height: 3 * Math.max(1, size / Acrylic.bristleCount(size)) };
  }
  spacing() { return 2; }
  dab() {
    return this.s.size / 2 + 4; // the bristles touch down as the brush starts to move
  }
  turn(x0, y0, x1, y1, distance) {
    let nx = -(y1 - y0) / distance, ny = (x1 - x0) / distance;
    if (!this.normal) {
      this.normal = { x: nx, y: ny };
      return;
    }
    if (nx * this.normal.x + ny * this.normal.y < 0) { nx = -nx; ny = -ny; }
    const k = Math.min(1, distance / this.turnLength);
    const x = this.normal.x + (nx - this.normal.x) * k, y = this.normal.y + (ny - this.normal.y) * k;
    const length = Math.hypot(x, y) || 1;
    this.normal = { x: x / length, y: y / length };
  }
  segment(ctx, x0, y0, x1, y1, p) {
    const distance = Math.hypot(x1 - x0, y1 - y0);
    if (distance < 0.01) return this.dab();
    this.turn(x0, y0, x1, y1, distance);
    this.paint = Math.max(0, this.paint - distance / this.reach);
    this.travelled += distance;
    ctx.lineCap = "round";
    const spread = 0.7 + 0.3 * p; // pressing harder splays the bristles
    this.bristles.forEach((b, index) => {
      const to = { x: x1 + this.normal.x * b.across * spread, y: y1 + this.normal.y * b.across * spread };
      const from = b.last || to;
      b.last = to;
      if (this.travelled < b.touchAt) return;
      const load = this.paint * b.load;
      const wetness = clamp((load - b.dryAt) / 0.2, 0, 1);
      if (wetness <= 0) return;
      // a drying bristle skips over the paper's tooth: broken dry-brush streaks
      if (load < 0.75 && grain(this.travelled / 3, index * 17, 1) < 0.75 - load) return;
      const streak = 0.8 + 0.2 * grain(this.travelled / 2, index * 31, 6); // uneven paint along a trail
      ctx.globalAlpha = clamp(wetness * streak * (0.6 + 0.4 * p), 0, 1); // the opacity comes when it dries
      ctx.strokeStyle = rgba(b.colour);
      ctx.lineWidth = b.width * (0.6 + 0.4 * p);
      ctx.beginPath();
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    return this.s.size / 2 + 4;
  }
}

class Watercolour {
  constructor(s) {
    this.s = s; this.wet = true; this.blend = "multiply"; this.previewOpacity = 0.35;
    this.wobble = Math.random() * 10;
  }
  spacing(r) { return Math.max(1, r * 0.2); }
  dab(ctx, x, y, p, travelled) {
    const r = (this.s.size / 2) * (0.8 + 0.2 * p) * (0.9 + 0.16 * grain(travelled, this.wobble * 97, 40));
    ctx.fillStyle = rgba(this.s.colour);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
    return r * 1.8; // room for the bleed when it dries
  }
  // Turn the wet mask into a translucent wash: pigment gathers at the edge of the
  // wet area (darker rim), bleeds softly outwards and settles into the paper grain.
  dry(wet, rect) {
    const { x, y, w, h } = rect;
    const source = wet.getImageData(x, y, w, h);
    const mask = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) mask[i] = source.data[i * 4 + 3] / 255;
    const size = this.s.size;
    const soft = boxBlur(mask, w, h, Math.max(1, Math.round(size * 0.06)));
    const body = boxBlur(boxBlur(mask, w, h, Math.max(2, Math.round(size * 0.22))), w, h,
      Math.max(1, Math.round(size * 0.1)));
    const bleed = boxBlur(mask, w, h, Math.max(2, Math.round(size * 0.45)));
    const out = new ImageData(w, h);
    const [r, g, b] = this.s.colour;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const k = j * w + i;
        const edge = clamp((soft[k] - body[k]) * 3, 0, 1);
        const outside = bleed[k] * (1 - soft[k]);
        const paper = 0.75 + 0.35 * grain(x + i, y + j) + 0.1 * hash(x + i, y + j);
        const alpha = clamp(this.s.opacity * paper * (0.32 * soft[k] + 0.55 * edge + 0.18 * outside), 0, 1);
        if (alpha <= 0) continue;
        const darken = 1 - 0.25 * edge;
        out.data[k * 4] = r * darken; out.data[k * 4 + 1] = g * darken; out.data[k * 4 + 2] = b * darken;
        out.data[k * 4 + 3] = alpha * 255;
      }
    }
    return out;
  }
}

class Airbrush {
  constructor(s) {
    this.s = s; this.wet = true; this.blend = "normal"; this.continuous = true;
  }
  spacing(r) { return Math.max(1, r * 0.25); }
  dab(ctx, x, y, p) {
    const r = this.s.size / 2;
    const flow = 0.015 + 0.035 * p; // many overlapping dabs: builds up slowly, soft falloff
    const gradient = ctx.createRadialGradient(x, y, 0, x, y, r);
    gradient.addColorStop(0, rgba(this.s.colour, flow));
    gradient.addColorStop(1, rgba(this.s.colour, 0));
    ctx.fillStyle = gradient;
    ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
    // overspray: a few fine droplets, thicker near the centre
    ctx.fillStyle = rgba(this.s.colour, 0.5);
    for (let i = 0; i < 4; i++) {
      const angle = Math.random() * 2 * Math.PI;
      const dist = Math.abs(gaussian()) * r * 0.55;
      ctx.fillRect(x + Math.cos(angle) * dist, y + Math.sin(angle) * dist, 1, 1);
    }
    return r + 1;
  }
}

class Eraser {
  // The dabs build a mask at full strength on the (hidden) wet layer; the paper shows the paint as it
  // was before the stroke with that mask taken out at the eraser's opacity (see Painter.erase), so
  // overlapping dabs take away no more than the opacity says.
  constructor(s) {
    this.s = s; this.wet = false; this.mask = true;
  }
  spacing(r) { return Math.max(0.5, r * 0.2); }
  dab(ctx, x, y, p) {
    const r = (this.s.size / 2) * (0.7 + 0.3 * p);
    const gradient = ctx.createRadialGradient(x, y, r * 0.6, x, y, r);
    gradient.addColorStop(0, "rgba(0,0,0,1)");
    gradient.addColorStop(1, "rgba(0,0,0,0)");
    ctx.fillStyle = gradient;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
    return r;
  }
}

function gaussian() {
  return Math.sqrt(-2 * Math.log(Math.random() || 1e-9)) * Math.cos(2 * Math.PI * Math.random());
}

Marker.footprint = round;
Watercolour.footprint = round;
Airbrush.footprint = round;
Eraser.footprint = round;

const BRUSH_CLASSES = { pencil: Pencil, marker: Marker, acrylic: Acrylic, watercolour: Watercolour,
  airbrush: Airbrush, eraser: Eraser };

// ---------------------------------------------------------------------------------------------

export class Painter {
  constructor(paper, wet) {
    this.paper = paper;
    this.wet = wet;
    this.ctx = paper.getContext("2d", { willReadFrequently: true });
    this.wetCtx = wet.getContext("2d", { willReadFrequently: true });
    this.brush = "pencil";
    this.size = 12;
    this.opacity = 0.9;
    this.colour = "#2b2b2b";
    this.undoStack = [];
    this.redoStack = [];
    this.stroke = null;
    this.picking = false; // a click takes a colour instead of painting (the picker tool, or Alt held)
    this.onPick = () => {}; // (x, y) in canvas pixels: a click while picking, or with Alt
    this.onChange = () => {};
    this.onEdit = () => {}; // the paint changed (stroke, fill, clear, undo, redo): time to save
    for (const type of ["pointerdown", "pointermove", "pointerup", "pointercancel", "lostpointercapture"]) {
      wet.addEventListener(type, (event) => this.handle(event));
    }
    wet.addEventListener("contextmenu", (event) => event.preventDefault());
  }

  resize(width, height) {
    for (const canvas of [this.paper, this.wet]) {
      canvas.width = width;
      canvas.height = height;
    }
    this.undoStack = [];
    this.redoStack = [];
    this.onChange();
  }

  settings() {
    return { size: this.size, opacity: this.opacity, colour: parseColour(this.colour) };
  }

  // The current brush's footprint in canvas pixels ({shape, width, height}), null for the fill.
  footprint() {
    const brush = BRUSH_CLASSES[this.brush];
    return brush ? brush.footprint(this.size) : null;
  }

  // Which way a flat brush's face points now (radians, the line across the bristles), or null.
  flatAngle() {
    const normal = this.stroke && this.stroke.brush.normal;
    return normal ? Math.atan2(normal.y, normal.x) : null;
  }

  point(event) {
    const box = this.wet.getBoundingClientRect();
    const x = ((event.clientX - box.left) * this.wet.width) / box.width;
    const y = ((event.clientY - box.top) * this.wet.height) / box.height;
    // pens report pressure; mice report 0.5 while pressed and touch often 0 or 1: treat those as full
    const pressure = event.pointerType === "pen" ? clamp(event.pressure || 0, 0.05, 1) : 1;
    return { x, y, pressure };
  }

  handle(event) {
    if (event.type === "pointerdown") {
      if (this.stroke && event.pointerType === "touch" && event.pointerId !== this.stroke.pointer) {
        this.cancel(); // a second finger: a pinch or a scroll, not a stroke
        return;
      }
      if (event.button !== 0 || this.stroke) return;
      event.preventDefault();
      if (this.picking || event.altKey) {
        const at = this.point(event);
        this.onPick(at.x, at.y);
        return;
      }
      try {
        this.wet.setPointerCapture(event.pointerId);
      } catch (error) {
        // a pointer the browser does not know (synthetic events); the stroke still works
      }
      const at = this.point(event);
      if (this.brush === "fill") {
        this.fill(at.x, at.y);
        return;
      }
      this.begin(at, event.pointerId);
    } else if (event.type === "pointermove") {
      if (!this.stroke || event.pointerId !== this.stroke.pointer) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const sample of events.length ? events : [event]) this.extend(this.point(sample));
    } else if (this.stroke && event.pointerId === this.stroke.pointer) {
      this.end();
    }
  }

  begin(at, pointer) {
    const brush = new BRUSH_CLASSES[this.brush](this.settings());
    const before = this.ctx.getImageData(0, 0, this.paper.width, this.paper.height);
    this.stroke = { brush, pointer, before, rect: new Rect(), last: at, travelled: 0, carry: 0, timer: null };
    this.wet.style.opacity = brush.mask ? "0" : brush.wet ? String(brush.previewOpacity ?? this.opacity) : "1";
    this.wet.style.mixBlendMode = brush.blend || "normal";
    this.place(at);
    if (brush.continuous) {
      // an airbrush keeps spraying while it is held still
      this.stroke.timer = setInterval(() => this.stroke && this.place(this.stroke.last), 40);
    }
  }

  target(brush) {
    return brush.wet || brush.mask ? this.wetCtx : this.ctx;
  }

  place(at) {
    const { brush, rect } = this.stroke;
    const reach = brush.dab(this.target(brush), at.x, at.y, at.pressure, this.stroke.travelled);
    rect.add(at.x, at.y, reach);
    if (brush.mask) this.erase(at.x, at.y, reach);
  }

  // Around a new eraser dab: the paper before the stroke, less the stroke's mask at the eraser's opacity.
  erase(x, y, reach) {
    const { width, height } = this.paper;
    const x0 = clamp(Math.floor(x - reach - 1), 0, width), y0 = clamp(Math.floor(y - reach - 1), 0, height);
    const w = clamp(Math.ceil(x + reach + 1), 0, width) - x0, h = clamp(Math.ceil(y + reach + 1), 0, height) - y0;
    if (w <= 0 || h <= 0) return;
    this.ctx.putImageData(this.stroke.before, 0, 0, x0, y0, w, h);
    this.ctx.save();
    this.ctx.globalCompositeOperation = "destination-out";
    this.ctx.globalAlpha = this.stroke.brush.s.opacity;
    this.ctx.drawImage(this.wet, x0, y0, w, h, x0, y0, w, h);
    this.ctx.restore();
  }

  extend(at) {
    const stroke = this.stroke;
    const { brush, last } = stroke;
    const distance = Math.hypot(at.x - last.x, at.y - last.y);
    if (distance < 0.01) return;
    if (brush.segment) {
      // short pieces, so paint load and pressure change smoothly along a fast stroke
      const pieces = Math.ceil(distance / 3);
      let from = last;
      for (let i = 1; i <= pieces; i++) {
        const t = i / pieces;
        const to = { x: last.x + (at.x - last.x) * t, y: last.y + (at.y - last.y) * t,
          pressure: last.pressure + (at.pressure - last.pressure) * t };
        const reach = brush.segment(this.target(brush), from.x, from.y, to.x, to.y, to.pressure);
        stroke.rect.add(to.x, to.y, reach);
        stroke.rect.add(from.x, from.y, reach);
        from = to;
      }
    } else {
      // dabs at even spacing along the path, carrying the remainder to the next segment
      const spacing = brush.spacing(this.size / 2);
      let along = spacing - stroke.carry;
      while (along <= distance) {
        const t = along / distance;
        const pressure = last.pressure + (at.pressure - last.pressure) * t;
        stroke.travelled += spacing;
        this.place({ x: last.x + (at.x - last.x) * t, y: last.y + (at.y - last.y) * t, pressure });
        along += spacing;
      }
      stroke.carry = distance - (along - spacing);
    }
    stroke.last = at;
  }

  end() {
    const stroke = this.stroke;
    this.stroke = null;
    clearInterval(stroke.timer);
    const { width, height } = this.paper;
    const rect = stroke.rect.clipped(width, height);
    if (stroke.brush.wet && rect) this.dry(stroke.brush, rect);
    this.wetCtx.clearRect(0, 0, width, height);
    if (rect) this.record(rect, stroke.before);
  }

  // Take back the stroke in progress as if it had never begun (no undo step).
  cancel() {
    const stroke = this.stroke;
    this.stroke = null;
    clearInterval(stroke.timer);
    this.ctx.putImageData(stroke.before, 0, 0);
    this.wetCtx.clearRect(0, 0, this.wet.width, this.wet.height);
  }

  dry(brush, rect) {
    this.ctx.save();
    this.ctx.globalCompositeOperation = brush.blend === "multiply" ? "multiply" : "source-over";
    if (brush.dry) {
      const layer = makeCanvas(rect.w, rect.h);
      layer.getContext("2d").putImageData(brush.dry(this.wetCtx, rect), 0, 0);
      this.ctx.drawImage(layer, rect.x, rect.y);
    } else {
      this.ctx.globalAlpha = this.opacity;
      this.ctx.drawImage(this.wet, rect.x, rect.y, rect.w, rect.h, rect.x, rect.y, rect.w, rect.h);
    }
    this.ctx.restore();
  }

  // Undo entries keep only the changed rectangle, before and after.
  record(rect, beforeFull) {
    const before = new ImageData(rect.w, rect.h);
    for (let row = 0; row < rect.h; row++) {
      const from = ((rect.y + row) * beforeFull.width + rect.x) * 4;
      before.data.set(beforeFull.data.subarray(from, from + rect.w * 4), row * rect.w * 4);
    }
    const after = this.ctx.getImageData(rect.x, rect.y, rect.w, rect.h);
    if (sameBytes(before.data, after.data)) return; // nothing changed (an eraser on blank paper): no undo step
    this.push({ ...rect, before, after });
  }

  push(entry) {
    this.undoStack.push(entry);
    this.redoStack = [];
    let bytes = this.undoStack.reduce((sum, e) => sum + e.before.data.length * 2, 0);
    while (this.undoStack.length > UNDO_LIMIT || (bytes > UNDO_BYTES && this.undoStack.length > 1)) {
      const dropped = this.undoStack.shift();
      bytes -= dropped.before.data.length * 2;
    }
    this.onChange();
    this.onEdit();
  }

  undo() {
    if (this.stroke) return; // mid-stroke: its "before" picture would be stale
    const entry = this.undoStack.pop();
    if (!entry) return;
    this.ctx.putImageData(entry.before, entry.x, entry.y);
    this.redoStack.push(entry);
    this.onChange();
    this.onEdit();
  }

  redo() {
    if (this.stroke) return; // mid-stroke: its "before" picture would be stale
    const entry = this.redoStack.pop();
    if (!entry) return;
    this.ctx.putImageData(entry.after, entry.x, entry.y);
    this.undoStack.push(entry);
    this.onChange();
    this.onEdit();
  }

  clear() {
    if (this.stroke) return;
    const { width, height } = this.paper;
    const before = this.ctx.getImageData(0, 0, width, height);
    this.ctx.clearRect(0, 0, width, height);
    this.record({ x: 0, y: 0, w: width, h: height }, before);
  }

  // Flood fill from (x, y). Started on paint, it recolours the connected area of about the clicked
  // colour (as seen on white paper), grown by one pixel to cover antialiased rims. Started on bare
  // paper, it paints *behind* the strokes (see behindRegion): the strokes are composited over the
  // new colour, so soft and translucent ones keep their look instead of leaving jagged rims of the
  // old white paper.
  fill(x, y, tolerance = 40) {
    const { width, height } = this.paper;
    x = Math.floor(x); y = Math.floor(y);
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const image = this.ctx.getImageData(0, 0, width, height);
    const data = image.data;
    const behind = data[(y * width + x) * 4 + 3] < BARE_PAPER_ALPHA;
    const region = behind ? behindRegion(data, x, y, width, height)
      : floodRegion(similarColour(data, (y * width + x) * 4, tolerance), [[x, y]], width, height);
    const rect = new Rect();
    const grown = grow(region, width, height, behind ? 0 : 1, rect);
    const box = rect.clipped(width, height, 1);
    if (!box) return;
    const before = this.ctx.getImageData(0, 0, width, height);
    const colour = parseColour(this.colour);
    const blend = behind ? compositeBehind : compositeOver;
    for (let p = 0; p < width * height; p++) {
      if (grown[p]) blend(data, p * 4, colour, this.opacity);
    }
    this.ctx.putImageData(image, 0, 0);
    this.record(box, before);
  }

  // The paint layer as it is (transparent where unpainted), as a PNG blob: what a draft keeps.
  layerBlob() {
    return new Promise((resolve) => this.paper.toBlob(resolve, "image/png"));
  }

  // Put a saved paint layer back, under anything painted since; it is not an undo step.
  loadLayer(image) {
    this.ctx.save();
    this.ctx.globalCompositeOperation = "destination-over";
    this.ctx.drawImage(image, 0, 0, this.paper.width, this.paper.height);
    this.ctx.restore();
  }

  // The colour the paint at canvas pixel (x, y) has on white paper (what the saved drawing shows), as #rrggbb.
  colourAt(x, y) {
    x = clamp(Math.floor(x), 0, this.paper.width - 1);
    y = clamp(Math.floor(y), 0, this.paper.height - 1);
    const [r, g, b, a] = this.ctx.getImageData(x, y, 1, 1).data;
    const onWhite = (c) => Math.round(c * (a / 255) + 255 * (1 - a / 255));
    return hexColour([r, g, b].map(onWhite));
  }

  // The drawing on white paper, as a PNG blob.
  toBlob() {
    const flat = makeCanvas(this.paper.width, this.paper.height);
    const ctx = flat.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, flat.width, flat.height);
    ctx.drawImage(this.paper, 0, 0);
    return new Promise((resolve) => flat.toBlob(resolve, "image/png"));
  }

  isBlank() {
    const { data } = this.ctx.getImageData(0, 0, this.paper.width, this.paper.height);
    for (let i = 3; i < data.length; i += 4) if (data[i]) return false;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// The brush's outline under a mouse or a pen: an element laid over the canvas (never painted into
// it), as large as the brush at the canvas's on-screen scale. Hidden off the canvas, for the fill and
// under a finger, which covers it anyway, and while a click picks a colour. A flat brush's outline turns across the way it moves.
// Pointer events only note where the pointer is; the outline moves once per frame, so painting does
// not wait for it (and its style changes never force a layout in the middle of a stroke).

export class BrushOutline {
  constructor(painter, element) {
    this.painter = painter;
    this.element = element;
    this.key = ""; // shape and on-screen size last set, so a move only moves it
    this.last = null; // the pointer's last client position
    this.frame = 0; // the animation frame that will move the outline, if one is asked for
    this.heading = { x: 0, y: 1, from: null }; // across the hover motion, for a flat brush
    const wet = painter.wet;
    for (const type of ["pointerover", "pointerdown", "pointermove", "pointerup"]) {
      wet.addEventListener(type, (event) => this.follow(event), { passive: true });
    }
    for (const type of ["pointerleave", "pointercancel"]) wet.addEventListener(type, () => this.hide());
  }

  hide() {
    this.last = null;
    this.heading.from = null;
    if (!this.element.hidden) this.element.hidden = true;
  }

  // Size or brush changed under a still pointer: redraw where it is.
  refresh() {
    if (this.last) this.schedule();
  }

  follow(event) {
    if (event.pointerType === "touch") {
      this.hide();
      return;
    }
    this.last = { x: event.clientX, y: event.clientY };
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.last) this.place(this.last.x, this.last.y);
    });
  }

  place(clientX, clientY) {
    const footprint = this.painter.picking ? null : this.painter.footprint();
    if (!footprint) {
      if (!this.element.hidden) this.element.hidden = true;
      return;
    }
    const box = this.painter.wet.getBoundingClientRect();
    const scale = box.width / this.painter.wet.width;
    const x = clientX - box.left, y = clientY - box.top;
    const width = Math.max(4, footprint.width * scale), height = Math.max(3, footprint.height * scale);
    const key = `${footprint.shape} ${width} ${height}`;
    const style = this.element.style;
    if (key !== this.key) {
      this.key = key;
      this.element.dataset.shape = footprint.shape;
      style.width = `${width}px`;
      style.height = `${height}px`;
    }
    let turn = "";
    if (footprint.shape === "flat") {
      // the bar lies along the flat's face: across the stroke, or across the hover motion
      const angle = this.painter.flatAngle() ?? this.hoverAngle(x, y);
      turn = ` rotate(${angle}rad)`;
    }
    style.transform = `translate(${x}px, ${y}px) translate(-50%, -50%)${turn}`;
    if (this.element.hidden) this.element.hidden = false;
  }

  // The face's direction while hovering: across the last few pixels of motion (at first, across a
  // stroke to the right).
  hoverAngle(x, y) {
    const heading = this.heading;
    if (!heading.from) heading.from = { x, y };
    const dx = x - heading.from.x, dy = y - heading.from.y;
    const distance = Math.hypot(dx, dy);
    if (distance >= 6) {
      heading.x = -dy / distance; heading.y = dx / distance;
      heading.from = { x, y };
    }
    return Math.atan2(heading.y, heading.x);
  }
}

export function hexColour(rgb) {
  return `#${rgb.map((c) => clamp(Math.round(c), 0, 255).toString(16).padStart(2, "0")).join("")}`;
}

function makeCanvas(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}
