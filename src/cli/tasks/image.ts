/**
 * The CPU-bound job of `weft demo cpu`: image processing on a generated image.
 *
 * The image (a deterministic pattern plus noise, `width` x `height`, 8-bit gray)
 * is split in horizontal tiles. Each task renders its tile plus a halo of
 * `radius` rows, blurs it with a (2r+1)x(2r+1) Gaussian kernel, runs a Sobel
 * edge filter over the result and returns a checksum of its rows, so every
 * model can be checked to compute the same image. Nothing but numbers crosses
 * between threads or processes: the cost measured is the computing.
 */
import { defineTasks } from '../../index.js';
import { begin, finish, type Stamp } from './_stamp.js';

/** One tile of the image: rows [y0, y1) of a width x height picture. */
export interface TileSpec {
  width: number;
  height: number;
  y0: number;
  y1: number;
  radius: number;
}
/** What a tile reports back. */
export interface TileResult extends Stamp {
  checksum: number;
  y0: number;
  y1: number;
}

/** The generated picture: concentric rings, diagonal stripes and hashed noise, 0..255. */
function pixel(x: number, y: number, w: number, h: number): number {
  const dx = x - w / 2,
    dy = y - h / 2;
  const ring = Math.sin(Math.sqrt(dx * dx + dy * dy) / 6) * 70;
  const stripe = ((x + y) >> 5) & 1 ? 40 : -40;
  let n = (x * 374761393 + y * 668265263) | 0;
  n = Math.imul(n ^ (n >>> 13), 1274126177);
  const noise = ((n ^ (n >>> 16)) & 63) - 32;
  const v = 128 + ring + stripe + noise;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function gaussianKernel(r: number): Float64Array {
  const size = 2 * r + 1,
    sigma = Math.max(r / 2, 0.8);
  const k = new Float64Array(size * size);
  let sum = 0;
  for (let j = -r; j <= r; j++)
    for (let i = -r; i <= r; i++) {
      const v = Math.exp(-(i * i + j * j) / (2 * sigma * sigma));
      k[(j + r) * size + (i + r)] = v;
      sum += v;
    }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** Renders, blurs and edge-detects one tile; returns a checksum of its output rows. */
function processTile(t: TileSpec): TileResult {
  const b = begin();
  const { width: w, height: h, y0, y1, radius: r } = t;
  const halo = r + 1; // blur needs r rows, Sobel one more
  const top = Math.max(0, y0 - halo),
    bottom = Math.min(h, y1 + halo);
  const rows = bottom - top;
  const src = new Float64Array(w * rows);
  for (let y = 0; y < rows; y++) for (let x = 0; x < w; x++) src[y * w + x] = pixel(x, y + top, w, h);
  // Gaussian blur (direct 2-D convolution: the expensive part, on purpose), edges clamped.
  const k = gaussianKernel(r),
    size = 2 * r + 1;
  const blur = new Float64Array(w * rows);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = -r; j <= r; j++) {
        let yy = y + top + j;
        yy = (yy < 0 ? 0 : yy >= h ? h - 1 : yy) - top;
        if (yy < 0) yy = 0;
        else if (yy >= rows) yy = rows - 1;
        const row = yy * w,
          krow = (j + r) * size + r;
        for (let i = -r; i <= r; i++) {
          let xx = x + i;
          xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
          acc += src[row + xx]! * k[krow + i]!;
        }
      }
      blur[y * w + x] = acc;
    }
  }
  // Sobel edge magnitude over the tile's own rows; checksum of the 8-bit result.
  let checksum = 0;
  for (let y = y0; y < y1; y++) {
    const ly = y - top;
    const up = Math.max(ly - 1, 0) * w,
      mid = ly * w,
      dn = Math.min(ly + 1, rows - 1) * w;
    for (let x = 0; x < w; x++) {
      const xl = x > 0 ? x - 1 : 0,
        xr = x < w - 1 ? x + 1 : w - 1;
      const gx = blur[up + xr]! + 2 * blur[mid + xr]! + blur[dn + xr]! - blur[up + xl]! - 2 * blur[mid + xl]! - blur[dn + xl]!;
      const gy = blur[dn + xl]! + 2 * blur[dn + x]! + blur[dn + xr]! - blur[up + xl]! - 2 * blur[up + x]! - blur[up + xr]!;
      const m = Math.min(255, Math.round(Math.sqrt(gx * gx + gy * gy)));
      checksum = (Math.imul(checksum, 31) + m) | 0;
    }
  }
  return { ...finish(b), checksum: checksum >>> 0, y0, y1 };
}

export default defineTasks(import.meta.url, { processTile });
