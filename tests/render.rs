//! Pixels through the real path: FFmpeg decode → plane upload → WGSL conversion, rendered
//! by egui_kittest's wgpu renderer (lavapipe on machines without a GPU).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use eframe::egui_wgpu;
use egui_kittest::Harness;
use vigil_gpu::{VideoKey, VideoPaint, VideoRenderer, fit_picture};
use vigil_media::{ColourMatrix, ColourRange, Engine, StreamSpec, VideoFrame};

const W: u32 = 320;
const H: u32 = 240;

/// 75 % colour bars plus black: the RGB each bar must come back as.
const BARS: [[u8; 3]; 8] = [
    [191, 191, 191],
    [191, 191, 0],
    [0, 191, 191],
    [0, 191, 0],
    [191, 0, 191],
    [191, 0, 0],
    [0, 0, 191],
    [0, 0, 0],
];

/// Encodes the bars with the ffmpeg CLI as H.264 in the given matrix and range.
fn encode_bars(dir: &Path, matrix: &str, range: &str) -> PathBuf {
    let raw = dir.join("bars.rgb");
    let mut data = Vec::with_capacity((W * H * 3 * 10) as usize);
    for _ in 0..10 {
        for _y in 0..H {
            for x in 0..W {
                data.extend_from_slice(&BARS[(x / (W / 8)) as usize]);
            }
        }
    }
    std::fs::write(&raw, data).unwrap();
    let out = dir.join(format!("bars-{matrix}-{range}.mp4"));
    let colorspace = if matrix == "bt601" {
        "smpte170m"
    } else {
        "bt709"
    };
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
        ])
        .args(["-s", &format!("{W}x{H}"), "-r", "25", "-i"])
        .arg(&raw)
        .args([
            "-vf",
            &format!("scale=out_color_matrix={matrix}:out_range={range},format=yuv420p"),
        ])
        .args([
            "-c:v",
            "libx264",
            "-qp",
            "0",
            "-preset",
            "ultrafast",
            "-bf",
            "0",
        ])
        .args([
            "-colorspace",
            colorspace,
            "-color_primaries",
            colorspace,
            "-color_trc",
            colorspace,
        ])
        .args(["-color_range", range])
        .arg(&out)
        .status()
        .expect("run ffmpeg (install with scripts/deps.sh)");
    assert!(status.success(), "ffmpeg failed to encode the bars");
    out
}

/// Decodes one frame through Vigil's own stream worker.
fn decode_first_frame(path: &Path) -> Box<VideoFrame> {
    let mut engine = Engine::new(common::no_notify());
    let stream = engine.ensure(&StreamSpec::file("bars", "Bars", path));
    let frame = common::wait_for(Duration::from_secs(20), || stream.slot.take_latest())
        .unwrap_or_else(|| panic!("no frame decoded: {:?}", stream.state()));
    engine.shutdown(Duration::from_secs(5));
    frame
}

/// One tile of the test window: the window is split into a grid of equal tiles, at most
/// `GRID_COLUMNS` a row, each drawn by its own `VideoPaint` over the same uploaded frame.
#[derive(Clone, Copy)]
struct Tile {
    fill: bool,
    brightness: f32,
}

const GRID_COLUMNS: usize = 4;

/// Uploads one frame once under one key and draws it in every tile.
struct VideoTiles {
    frame: Box<VideoFrame>,
    tiles: Vec<Tile>,
}

impl eframe::App for VideoTiles {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let rs = frame.wgpu_render_state().expect("wgpu render state");
        rs.renderer
            .write()
            .callback_resources
            .get_mut::<VideoRenderer>()
            .expect("video renderer installed")
            .upload(
                &rs.device,
                &rs.queue,
                &VideoKey::Live("bars".into()),
                &self.frame,
            )
            .expect("the bars fit in a texture");
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let area = ui.max_rect();
            let columns = self.tiles.len().min(GRID_COLUMNS);
            let rows = self.tiles.len().div_ceil(columns);
            let size = egui::vec2(area.width() / columns as f32, area.height() / rows as f32);
            for (i, tile) in self.tiles.iter().enumerate() {
                let cell = egui::vec2((i % columns) as f32, (i / columns) as f32);
                let rect = egui::Rect::from_min_size(area.min + cell * size, size);
                let (picture, uv_rect) =
                    fit_picture(rect, self.frame.width, self.frame.height, tile.fill);
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                    picture,
                    VideoPaint::new(VideoKey::Live("bars".into()), uv_rect, tile.brightness),
                ));
            }
        });
    }
}

fn render_tiles(frame: Box<VideoFrame>, tiles: &[Tile]) -> image::RgbaImage {
    let tiles = tiles.to_vec();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(W as f32, H as f32))
        .wgpu()
        .build_eframe(|cc| {
            VideoRenderer::install(cc.wgpu_render_state.as_ref().expect("wgpu"), 1);
            VideoTiles { frame, tiles }
        });
    harness.run_steps(3);
    let image = harness.render().expect("render");
    assert_eq!(image.dimensions(), (W, H));
    image
}

fn render_frame(frame: Box<VideoFrame>, brightness: f32) -> image::RgbaImage {
    render_tiles(
        frame,
        &[Tile {
            fill: false,
            brightness,
        }],
    )
}

/// Largest per-channel difference between a pixel and an RGB colour.
fn colour_diff(got: [u8; 4], expected: [u8; 3]) -> i32 {
    (0..3)
        .map(|c| (i32::from(got[c]) - i32::from(expected[c])).abs())
        .max()
        .unwrap()
}

fn check_bars(matrix: &str, range: &str, expect: (ColourMatrix, ColourRange)) {
    let dir = tempfile::tempdir().unwrap();
    let frame = decode_first_frame(&encode_bars(dir.path(), matrix, range));
    assert_eq!(
        (frame.colour.matrix, frame.colour.range),
        expect,
        "colour description read from the stream"
    );
    let image = render_frame(frame, 1.0);
    for (i, expected) in BARS.iter().enumerate() {
        let x = (W / 8) * i as u32 + W / 16;
        for y in [H / 4, H / 2, 3 * H / 4] {
            let got = image.get_pixel(x, y).0;
            assert!(
                colour_diff(got, *expected) <= 5,
                "{matrix}/{range} bar {i} at ({x},{y}): got {got:?}, expected {expected:?}"
            );
        }
    }
}

#[test]
fn colour_bars_bt601_limited_render_exactly() {
    check_bars("bt601", "tv", (ColourMatrix::Bt601, ColourRange::Limited));
}

#[test]
fn colour_bars_bt709_full_render_exactly() {
    check_bars("bt709", "pc", (ColourMatrix::Bt709, ColourRange::Full));
}

#[test]
fn dimmed_picture_is_darker() {
    let dir = tempfile::tempdir().unwrap();
    let frame = decode_first_frame(&encode_bars(dir.path(), "bt601", "tv"));
    let image = render_frame(frame, 0.35);
    let white = image.get_pixel(W / 16, H / 2).0;
    assert!(
        white[0] < 100 && white[0] > 40,
        "75 % white at 0.35 brightness: {white:?}"
    );
}

/// One frame, one key, two tiles side by side: each tile keeps its own brightness even
/// though both draw the same textures in the same frame.
#[test]
fn same_picture_in_two_tiles_keeps_each_brightness() {
    let dir = tempfile::tempdir().unwrap();
    let frame = decode_first_frame(&encode_bars(dir.path(), "bt601", "tv"));
    let live = Tile {
        fill: true,
        brightness: 1.0,
    };
    let dimmed = Tile {
        fill: true,
        brightness: 0.35,
    };
    let image = render_tiles(frame, &[live, dimmed]);
    // Each 160-px tile filled with the 320×240 picture shows its middle half: bars 2..=5,
    // 40 px each. Bar 2 is 75 % cyan.
    let cyan = BARS[2];
    let dim_cyan = cyan.map(|c| (f32::from(c) * 0.35).round() as u8);
    for y in [H / 4, H / 2, 3 * H / 4] {
        let left = image.get_pixel(20, y).0;
        assert!(
            colour_diff(left, cyan) <= 5,
            "live tile at (20,{y}): got {left:?}, expected {cyan:?}"
        );
        let right = image.get_pixel(W / 2 + 20, y).0;
        assert!(
            colour_diff(right, dim_cyan) <= 12,
            "dimmed tile at ({},{y}): got {right:?}, expected about {dim_cyan:?}",
            W / 2 + 20
        );
    }
}

/// One frame, one key, two tiles side by side: one letterboxed (whole picture, bars above
/// and below), one filled (cropped to its middle half). Each shows its own part.
#[test]
fn same_picture_in_two_tiles_keeps_each_crop() {
    let dir = tempfile::tempdir().unwrap();
    let frame = decode_first_frame(&encode_bars(dir.path(), "bt601", "tv"));
    let letterboxed = Tile {
        fill: false,
        brightness: 1.0,
    };
    let filled = Tile {
        fill: true,
        brightness: 1.0,
    };
    let image = render_tiles(frame, &[letterboxed, filled]);
    // Letterboxed: the whole picture in 160×120 at y 60..180, bars 20 px wide.
    for (i, expected) in BARS.iter().enumerate() {
        let x = 20 * i as u32 + 10;
        for y in [H / 2 - 40, H / 2, H / 2 + 40] {
            let got = image.get_pixel(x, y).0;
            assert!(
                colour_diff(got, *expected) <= 8,
                "letterboxed bar {i} at ({x},{y}): got {got:?}, expected {expected:?}"
            );
        }
    }
    // Above the letterboxed picture nothing of it is drawn.
    let above = image.get_pixel(10, 20).0;
    assert!(
        colour_diff(above, BARS[0]) > 40,
        "letterbox band at (10,20) shows the picture: {above:?}"
    );
    // Filled: bars 2..=5 across 160 px, 40 px each, over the whole height.
    for (j, expected) in BARS[2..6].iter().enumerate() {
        let x = W / 2 + 40 * j as u32 + 20;
        for y in [10, H / 2, H - 10] {
            let got = image.get_pixel(x, y).0;
            assert!(
                colour_diff(got, *expected) <= 8,
                "filled bar {} at ({x},{y}): got {got:?}, expected {expected:?}",
                j + 2
            );
        }
    }
}

/// More tiles of one picture than the renderer's first uniform buffer holds (16): the
/// buffer grows and every tile still keeps its own brightness.
#[test]
fn twenty_tiles_of_one_picture_each_keep_their_brightness() {
    let dir = tempfile::tempdir().unwrap();
    let frame = decode_first_frame(&encode_bars(dir.path(), "bt601", "tv"));
    let brightness = |i: u32| if i.is_multiple_of(2) { 1.0 } else { 0.35 };
    let tiles: Vec<Tile> = (0..20)
        .map(|i| Tile {
            fill: true,
            brightness: brightness(i),
        })
        .collect();
    let image = render_tiles(frame, &tiles);
    // A 4×5 grid of 80×48 tiles, each filled with the 320×240 picture cropped to its
    // middle 80 % of rows: eight bars 10 px wide. Bar 0 is 75 % white.
    for i in 0..20 {
        let (x, y) = (80 * (i % 4) + 5, 48 * (i / 4) + 24);
        let expected = BARS[0].map(|c| (f32::from(c) * brightness(i)).round() as u8);
        let got = image.get_pixel(x, y).0;
        assert!(
            colour_diff(got, expected) <= 12,
            "tile {i} at ({x},{y}): got {got:?}, expected about {expected:?}"
        );
    }
}
