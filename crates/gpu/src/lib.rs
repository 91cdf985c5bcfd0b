//! GPU side of the wall: YUV plane textures and the WGSL conversion shader, drawn
//! through egui-wgpu paint callbacks.
//!
//! Owns: textures, the pipeline and the per-draw uniforms. Must not: know FFmpeg or
//! SQL, or convert colours on the CPU for display (`vigil_frame::colour` builds the
//! matrix; the CPU twin is for snapshots and tests).

pub mod video;

pub use video::{UploadError, VideoKey, VideoPaint, VideoRenderer, fit_picture};
