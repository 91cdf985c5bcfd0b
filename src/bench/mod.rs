//! Benchmarks: the engine run headless against real inputs, figures written as JSON.
//! Benchmarks are not tests; `scripts/bench-live.sh` compares them with bare FFmpeg.

pub mod live;
pub mod proc;
pub mod scrub;
pub mod timeline;
