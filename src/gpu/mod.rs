//! GPU side of the wall: YUV plane textures and the WGSL conversion shader, drawn
//! through egui-wgpu paint callbacks. Also the CPU twin of the conversion, used only
//! for snapshots and tests.

pub mod colour;
pub mod snapshot;
pub mod video;

pub use video::{VideoKey, VideoPaint, VideoRenderer, fit_picture};
