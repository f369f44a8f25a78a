//! Chart images: a bar, line or pie chart of a query's first dimension and measure, rasterized into PNG.
//!
//! No text is drawn; the picture only has to be a real, decodable image whose content follows the data, so tests
//! can compare bytes and sizes.

use std::f64::consts::TAU;

/// Largest side accepted, to keep a bad parameter from allocating gigabytes.
pub const MAX_SIDE: u32 = 4000;

const PALETTE: [[u8; 4]; 6] = [
    [0x4a, 0x80, 0xbc, 0xff],
    [0xe5, 0x7c, 0x3a, 0xff],
    [0x5b, 0xa8, 0x5a, 0xff],
    [0xc4, 0x4e, 0x52, 0xff],
    [0x8c, 0x6b, 0xb1, 0xff],
    [0xd9, 0xb3, 0x3b, 0xff],
];
const WHITE: [u8; 4] = [0xff; 4];
const AXIS: [u8; 4] = [0x66, 0x66, 0x66, 0xff];

/// How the data is drawn, from the query's `vis_config.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bars,
    Line,
    Pie,
    /// Tables and single values: horizontal bands, one per row.
    Bands,
}

impl ChartKind {
    pub fn for_vis(vis_type: &str) -> ChartKind {
        match vis_type {
            "looker_line" | "looker_area" | "looker_scatter" => ChartKind::Line,
            "looker_pie" | "looker_donut_multiples" => ChartKind::Pie,
            "looker_column" | "looker_bar" => ChartKind::Bars,
            _ => ChartKind::Bands,
        }
    }
}

struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            pixels: WHITE.repeat((width * height) as usize),
        }
    }

    fn set(&mut self, x: i64, y: i64, color: [u8; 4]) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            let at = ((y as u32 * self.width + x as u32) * 4) as usize;
            self.pixels[at..at + 4].copy_from_slice(&color);
        }
    }

    fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, color: [u8; 4]) {
        for y in y0.round() as i64..y1.round() as i64 {
            for x in x0.round() as i64..x1.round() as i64 {
                self.set(x, y, color);
            }
        }
    }

    /// A line two pixels thick.
    fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), color: [u8; 4]) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as i64;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            self.rect(x - 1.0, y - 1.0, x + 1.0, y + 1.0, color);
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("PNG header for a valid size");
        writer
            .write_image_data(&self.pixels)
            .expect("PNG data of the declared size");
        writer.finish().expect("PNG end");
        out
    }
}

/// Renders `values` (one per row) as a PNG of exactly `width` x `height` (clamped to 1..=[`MAX_SIDE`]).
pub fn render(kind: ChartKind, values: &[f64], width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
    let mut canvas = Canvas::new(width, height);
    let (w, h) = (f64::from(width), f64::from(height));
    let margin = (w.min(h) * 0.08).max(1.0);
    let max = values
        .iter()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = values.len().max(1) as f64;
    match kind {
        ChartKind::Bars => {
            let slot = (w - 2.0 * margin) / n;
            for (i, v) in values.iter().enumerate() {
                let top = h - margin - (h - 2.0 * margin) * (v.max(0.0) / max);
                let x = margin + slot * i as f64;
                canvas.rect(x + slot * 0.1, top, x + slot * 0.9, h - margin, PALETTE[0]);
            }
        }
        ChartKind::Line => {
            let point = |i: usize, v: f64| {
                let x = margin + (w - 2.0 * margin) * (i as f64 / (n - 1.0).max(1.0));
                (x, h - margin - (h - 2.0 * margin) * (v.max(0.0) / max))
            };
            for (i, pair) in values.windows(2).enumerate() {
                canvas.line(point(i, pair[0]), point(i + 1, pair[1]), PALETTE[0]);
            }
            if let [only] = values {
                let (x, y) = point(0, *only);
                canvas.rect(x - 2.0, y - 2.0, x + 2.0, y + 2.0, PALETTE[0]);
            }
        }
        ChartKind::Pie => draw_pie(&mut canvas, values, margin),
        ChartKind::Bands => {
            let band = (h - 2.0 * margin) / n;
            for (i, v) in values.iter().enumerate() {
                let y = margin + band * i as f64;
                let right = margin + (w - 2.0 * margin) * (v.max(0.0) / max);
                canvas.rect(
                    margin,
                    y + band * 0.15,
                    right,
                    y + band * 0.85,
                    PALETTE[i % PALETTE.len()],
                );
            }
        }
    }
    if kind != ChartKind::Pie {
        canvas.line((margin, h - margin), (w - margin, h - margin), AXIS);
        canvas.line((margin, margin), (margin, h - margin), AXIS);
    }
    canvas.encode()
}

fn draw_pie(canvas: &mut Canvas, values: &[f64], margin: f64) {
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    if total <= 0.0 {
        return;
    }
    let (w, h) = (f64::from(canvas.width), f64::from(canvas.height));
    let (cx, cy) = (w / 2.0, h / 2.0);
    let radius = (w.min(h) / 2.0 - margin).max(1.0);
    // Cumulative end angle of each sector, as a fraction of the full turn.
    let mut ends = Vec::new();
    let mut acc = 0.0;
    for v in values {
        acc += v.max(0.0) / total;
        ends.push(acc);
    }
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
            if dx * dx + dy * dy > radius * radius {
                continue;
            }
            let turn = (dy.atan2(dx).rem_euclid(TAU)) / TAU;
            let sector = ends
                .iter()
                .position(|end| turn <= *end)
                .unwrap_or(ends.len() - 1);
            canvas.set(i64::from(x), i64::from(y), PALETTE[sector % PALETTE.len()]);
        }
    }
}

/// A dashboard image: each tile's chart laid out in a grid of two columns.
pub fn render_grid(tiles: &[(ChartKind, Vec<f64>)], width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
    let mut canvas = Canvas::new(width, height);
    let columns = tiles.len().clamp(1, 2) as u32;
    let rows = (tiles.len() as u32).div_ceil(columns).max(1);
    let (tile_w, tile_h) = ((width / columns).max(1), (height / rows).max(1));
    for (i, (kind, values)) in tiles.iter().enumerate() {
        let tile = decode_rgba(&render(*kind, values, tile_w, tile_h));
        let (ox, oy) = ((i as u32 % columns) * tile_w, (i as u32 / columns) * tile_h);
        for y in 0..tile_h {
            for x in 0..tile_w {
                let at = ((y * tile_w + x) * 4) as usize;
                let px = [tile[at], tile[at + 1], tile[at + 2], tile[at + 3]];
                canvas.set(i64::from(ox + x), i64::from(oy + y), px);
            }
        }
    }
    canvas.encode()
}

/// Decodes a PNG produced by [`render`] back into RGBA pixels.
fn decode_rgba(bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("our own PNG decodes");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size fits")];
    reader
        .next_frame(&mut pixels)
        .expect("our own PNG has a frame");
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_and_pixels(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info.width, info.height, pixels)
    }

    #[test]
    fn each_kind_draws_something_of_the_asked_size() {
        for kind in [
            ChartKind::Bars,
            ChartKind::Line,
            ChartKind::Pie,
            ChartKind::Bands,
        ] {
            let (w, h, pixels) = size_and_pixels(&render(kind, &[3.0, 1.0, 2.0], 120, 80));
            assert_eq!((w, h), (120, 80));
            assert!(
                pixels.chunks(4).any(|p| p != WHITE),
                "{kind:?} drew nothing"
            );
        }
    }

    #[test]
    fn different_data_gives_different_images() {
        assert_ne!(
            render(ChartKind::Bars, &[1.0, 2.0], 50, 50),
            render(ChartKind::Bars, &[2.0, 1.0], 50, 50)
        );
        let (w, h, _) = size_and_pixels(&render_grid(
            &vec![(ChartKind::Pie, vec![1.0]); 3],
            200,
            100,
        ));
        assert_eq!((w, h), (200, 100));
    }
}
