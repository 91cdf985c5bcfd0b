//! Detection cost per 640×360 frame on synthetic frames, without a decoder:
//! `cargo run --release -p vigil-detect --example cost`. `vigil detect` prints the
//! same figure against decoding the real stream in the same run.
use std::time::Instant;
use vigil_detect::{Detector, Luma, Settings};
fn main() {
    let (w, h) = (640usize, 360usize);
    let frames: Vec<Vec<u8>> = (0..50)
        .map(|n| {
            (0..w * h)
                .map(|i| (((i % w + n * 3) % 251) ^ ((i / w) % 7)) as u8)
                .collect()
        })
        .collect();
    let mut detector = Detector::new(&Settings::default());
    let count = 2000;
    let started = Instant::now();
    for n in 0..count {
        let data = &frames[n % frames.len()];
        let luma = Luma {
            width: w,
            height: h,
            stride: w,
            data,
        };
        let _ = detector.push(n as f64 / 25.0, &luma);
    }
    let ms = started.elapsed().as_secs_f64() * 1e3 / count as f64;
    println!(
        "detect {ms:.3} ms/frame = {:.2} % of one core at 25 fps",
        ms * 2.5
    );
}
