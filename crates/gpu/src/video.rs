//! GPU side of a wall tile: YUV plane textures, the conversion pipeline and the egui
//! paint callback that draws them.
//!
//! Owns: textures reused while size and layout stay the same, with one bind group of
//! textures and sampler per texture set (group 0); the uniforms of each draw (crop
//! rectangle, brightness, colour matrix) in one buffer shared by all draws, a slot per
//! `VideoPaint` per frame bound at a dynamic offset (group 1), the offset kept in the
//! callback from `prepare` to `paint`. So several tiles can draw
//! the same texture set in one frame, each with its own crop and brightness:
//! egui runs every `prepare` of a frame before any `paint`, so uniforms held per
//! texture set would be overwritten by the last tile prepared. Slots are handed out in
//! `prepare`, written to the GPU in one write in `finish_prepare` (growing the buffer
//! when a frame draws more tiles than it holds), and reused from the next frame's first
//! `prepare`; the staging memory is kept, so a steady wall allocates nothing per frame.
//! The render pipeline is built once for egui's target format.
//! A picture wider or taller than the device's largest texture is refused before any
//! texture is made ([`UploadError::TooLarge`]): wgpu treats such a texture as a fatal
//! validation error, and the camera, not the user, chooses the picture's size.
//! Must not: convert colours on the CPU, hold frames after uploading them, or put GPU
//! objects in the paint callback (it carries a key and numbers).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use eframe::egui_wgpu::{self, wgpu};

use vigil_frame::colour::yuv_to_rgb;
use vigil_frame::{Colour, PlaneLayout, VideoFrame};

pub use vigil_frame::VideoKey;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Uniforms {
    rows: [[f32; 4]; 3],
    uv_rect: [f32; 4],
    params: [f32; 4],
}

/// Why a picture could not be put into textures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadError {
    /// Wider or taller than the largest texture the device makes.
    TooLarge {
        width_px: u32,
        height_px: u32,
        max_px: u32,
    },
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge {
                width_px,
                height_px,
                max_px,
            } => write!(
                f,
                "picture too large ({width_px}×{height_px}; this GPU draws up to {max_px})"
            ),
        }
    }
}

impl std::error::Error for UploadError {}

/// Uniform slots a fresh renderer holds before the first frame that needs more.
const INITIAL_SLOTS: u64 = 16;

/// The textures of one picture key and their bind group (group 0).
struct TileTextures {
    layout: PlaneLayout,
    size: [u32; 2],
    textures: Vec<wgpu::Texture>,
    bind_group: wgpu::BindGroup,
    colour: Colour,
    last_seq: u64,
}

/// The uniforms of every draw of a frame: one buffer, a `stride_bytes`-aligned slot per
/// prepared `VideoPaint`, bound at a dynamic offset (group 1).
struct DrawUniforms {
    layout: wgpu::BindGroupLayout,
    buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    /// Bytes between slots: `Uniforms` rounded up to the device's offset alignment.
    stride_bytes: u64,
    /// This frame's slots as they will be written, `stride_bytes` each; each callback
    /// keeps the offset of its own slot ([`VideoPaint::slot`]).
    staged: Vec<u8>,
    /// Slots were handed out and not yet written: the frame is still preparing.
    preparing: bool,
}

impl DrawUniforms {
    fn new(device: &wgpu::Device) -> Self {
        let size_bytes = std::mem::size_of::<Uniforms>() as u64;
        let alignment = u64::from(device.limits().min_uniform_buffer_offset_alignment).max(1);
        let stride_bytes = size_bytes.div_ceil(alignment) * alignment;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("vigil_yuv_uniforms_layout"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: true,
                    min_binding_size: wgpu::BufferSize::new(size_bytes),
                },
                count: None,
            }],
        });
        let (buffer, bind_group) =
            Self::create_buffer(device, &layout, stride_bytes * INITIAL_SLOTS);
        Self {
            layout,
            buffer,
            bind_group,
            stride_bytes,
            staged: Vec::new(),
            preparing: false,
        }
    }

    fn create_buffer(
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        size_bytes: u64,
    ) -> (wgpu::Buffer, wgpu::BindGroup) {
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("vigil_yuv_uniforms"),
            size: size_bytes,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("vigil_yuv_uniforms_bind_group"),
            layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &buffer,
                    offset: 0,
                    size: wgpu::BufferSize::new(std::mem::size_of::<Uniforms>() as u64),
                }),
            }],
        });
        (buffer, bind_group)
    }

    /// Gives the callback at `callback` a slot holding `uniforms`. The first call of a
    /// frame takes back the previous frame's slots.
    /// Stages `uniforms` in the next slot and returns its dynamic offset.
    fn push(&mut self, uniforms: &Uniforms) -> Option<u32> {
        if !self.preparing {
            self.staged.clear();
            self.preparing = true;
        }
        let start = self.staged.len();
        let (Ok(offset), Ok(stride)) = (u32::try_from(start), usize::try_from(self.stride_bytes))
        else {
            return None;
        };
        self.staged.resize(start + stride, 0);
        let bytes = bytemuck::bytes_of(uniforms);
        self.staged[start..start + bytes.len()].copy_from_slice(bytes);
        Some(offset)
    }

    /// Writes this frame's slots, growing the buffer first if they do not fit. Later
    /// calls in the same frame find nothing to do.
    fn flush(&mut self, device: &wgpu::Device, queue: &wgpu::Queue) {
        if !self.preparing {
            return;
        }
        self.preparing = false;
        let needed_bytes = self.staged.len() as u64;
        if needed_bytes > self.buffer.size() {
            let slots = needed_bytes.div_ceil(self.stride_bytes).next_power_of_two();
            let (buffer, bind_group) =
                Self::create_buffer(device, &self.layout, slots * self.stride_bytes);
            self.buffer = buffer;
            self.bind_group = bind_group;
        }
        if !self.staged.is_empty() {
            queue.write_buffer(&self.buffer, 0, &self.staged);
        }
    }

    /// Dynamic offset of the slot written for the callback at `callback` this frame.
    /// `offset` when its slot was written into the buffer this frame.
    fn written(&self, offset: u32) -> Option<u32> {
        if self.preparing || offset == NO_SLOT {
            return None;
        }
        (u64::from(offset) + self.stride_bytes <= self.buffer.size()).then_some(offset)
    }
}

/// Lives in egui-wgpu's `callback_resources`; one per renderer.
pub struct VideoRenderer {
    pipeline: wgpu::RenderPipeline,
    bind_group_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    srgb_target: bool,
    tiles: HashMap<VideoKey, TileTextures>,
    uniforms: DrawUniforms,
}

impl VideoRenderer {
    /// Builds the pipeline for `render_state` and stores the renderer in its callback
    /// resources. `msaa_samples` must match egui's renderer (1 unless configured).
    pub fn install(render_state: &egui_wgpu::RenderState, msaa_samples: u32) {
        let renderer = Self::new(
            &render_state.device,
            render_state.target_format,
            msaa_samples,
        );
        render_state
            .renderer
            .write()
            .callback_resources
            .insert(renderer);
    }

    /// A renderer for `device`, drawing into `target_format` targets (also used headless
    /// by the benchmark, which only uploads).
    pub fn new(
        device: &wgpu::Device,
        target_format: wgpu::TextureFormat,
        msaa_samples: u32,
    ) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("vigil_yuv"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../../shaders/yuv.wgsl").into()),
        });
        let texture_entry = |binding: u32| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                multisampled: false,
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
            },
            count: None,
        };
        let bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("vigil_yuv_textures_layout"),
            entries: &[
                texture_entry(0),
                texture_entry(1),
                texture_entry(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let uniforms = DrawUniforms::new(device);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("vigil_yuv_pipeline_layout"),
            bind_group_layouts: &[Some(&bind_group_layout), Some(&uniforms.layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("vigil_yuv_pipeline"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                buffers: &[],
                compilation_options: wgpu::PipelineCompilationOptions::default(),
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState {
                count: msaa_samples.max(1),
                mask: !0,
                alpha_to_coverage_enabled: false,
            },
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
                compilation_options: wgpu::PipelineCompilationOptions::default(),
            }),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("vigil_yuv_sampler"),
            address_mode_u: wgpu::AddressMode::ClampToEdge,
            address_mode_v: wgpu::AddressMode::ClampToEdge,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        Self {
            pipeline,
            bind_group_layout,
            sampler,
            srgb_target: target_format.is_srgb(),
            tiles: HashMap::new(),
            uniforms,
        }
    }

    /// Uploads `frame`'s planes into `key`'s textures, creating or recreating them only
    /// when the size or plane layout changed. A frame already uploaded is skipped.
    /// A picture larger than `device` can hold is refused, and `key`'s textures (of an
    /// earlier, smaller picture) are dropped so nothing stale is drawn.
    pub fn upload(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        key: &VideoKey,
        frame: &VideoFrame,
    ) -> Result<(), UploadError> {
        if frame.width == 0 || frame.height == 0 {
            return Ok(());
        }
        let max_px = device.limits().max_texture_dimension_2d;
        let too_large = frame.width > max_px
            || frame.height > max_px
            || frame
                .planes
                .iter()
                .take(frame.layout.plane_count())
                .any(|p| p.width > max_px || p.height > max_px);
        if too_large {
            self.tiles.remove(key);
            return Err(UploadError::TooLarge {
                width_px: frame.width,
                height_px: frame.height,
                max_px,
            });
        }
        let size = [frame.width, frame.height];
        let stale = self
            .tiles
            .get(key)
            .is_none_or(|t| t.size != size || t.layout != frame.layout);
        if stale {
            let tile = self.create_tile(device, frame);
            self.tiles.insert(key.clone(), tile);
        }
        let Some(tile) = self.tiles.get_mut(key) else {
            return Ok(());
        };
        if tile.last_seq == frame.seq && !stale {
            return Ok(());
        }
        for (texture, plane) in tile
            .textures
            .iter()
            .zip(&frame.planes)
            .take(frame.layout.plane_count())
        {
            let Ok(stride) = u32::try_from(plane.stride) else {
                continue;
            };
            queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &plane.data,
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(stride),
                    rows_per_image: Some(plane.height),
                },
                texture.size(),
            );
        }
        tile.colour = frame.colour;
        tile.last_seq = frame.seq;
        Ok(())
    }

    fn create_tile(&self, device: &wgpu::Device, frame: &VideoFrame) -> TileTextures {
        let plane_texture = |plane: usize, format: wgpu::TextureFormat| {
            let p = &frame.planes[plane];
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some("vigil_yuv_plane"),
                size: wgpu::Extent3d {
                    width: p.width.max(1),
                    height: p.height.max(1),
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let textures = match frame.layout {
            PlaneLayout::I420 => vec![
                plane_texture(0, wgpu::TextureFormat::R8Unorm),
                plane_texture(1, wgpu::TextureFormat::R8Unorm),
                plane_texture(2, wgpu::TextureFormat::R8Unorm),
            ],
            PlaneLayout::Nv12 => {
                // The third binding is unused for NV12; a 1×1 texture fills it.
                vec![
                    plane_texture(0, wgpu::TextureFormat::R8Unorm),
                    plane_texture(1, wgpu::TextureFormat::Rg8Unorm),
                    device.create_texture(&wgpu::TextureDescriptor {
                        label: Some("vigil_yuv_unused"),
                        size: wgpu::Extent3d {
                            width: 1,
                            height: 1,
                            depth_or_array_layers: 1,
                        },
                        mip_level_count: 1,
                        sample_count: 1,
                        dimension: wgpu::TextureDimension::D2,
                        format: wgpu::TextureFormat::R8Unorm,
                        usage: wgpu::TextureUsages::TEXTURE_BINDING,
                        view_formats: &[],
                    }),
                ]
            }
        };
        let views: Vec<wgpu::TextureView> = textures
            .iter()
            .map(|t| t.create_view(&wgpu::TextureViewDescriptor::default()))
            .collect();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("vigil_yuv_textures_bind_group"),
            layout: &self.bind_group_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[2]),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        });
        TileTextures {
            layout: frame.layout,
            size: [frame.width, frame.height],
            textures,
            bind_group,
            colour: frame.colour,
            last_seq: u64::MAX,
        }
    }

    /// Frees the textures of `key`.
    pub fn forget(&mut self, key: &VideoKey) {
        self.tiles.remove(key);
    }
}

/// A callback without a uniform slot this frame.
const NO_SLOT: u32 = u32::MAX;

/// The paint callback of one tile: which textures, which part of them, how bright.
pub struct VideoPaint {
    pub key: VideoKey,
    /// Visible part of the picture in texture coordinates: [u0, v0, u1, v1].
    pub uv_rect: [f32; 4],
    /// 1 for a live picture; less to dim a picture that is no longer live.
    pub brightness: f32,
    /// Dynamic offset of this draw's uniform slot, set in `prepare`, read in `paint`.
    slot: AtomicU32,
}

impl VideoPaint {
    pub fn new(key: VideoKey, uv_rect: [f32; 4], brightness: f32) -> Self {
        Self {
            key,
            uv_rect,
            brightness,
            slot: AtomicU32::new(NO_SLOT),
        }
    }
}

impl egui_wgpu::CallbackTrait for VideoPaint {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        _queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(renderer) = resources.get_mut::<VideoRenderer>() else {
            return Vec::new();
        };
        if let Some(tile) = renderer.tiles.get(&self.key) {
            let uniforms = Uniforms {
                rows: yuv_to_rgb(tile.colour),
                uv_rect: self.uv_rect,
                params: [
                    self.brightness,
                    if tile.layout == PlaneLayout::Nv12 {
                        1.0
                    } else {
                        0.0
                    },
                    if renderer.srgb_target { 1.0 } else { 0.0 },
                    0.0,
                ],
            };
            let slot = renderer.uniforms.push(&uniforms).unwrap_or(NO_SLOT);
            self.slot.store(slot, Ordering::Relaxed);
        }
        Vec::new()
    }

    fn finish_prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(renderer) = resources.get_mut::<VideoRenderer>() {
            renderer.uniforms.flush(device, queue);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(renderer) = resources.get::<VideoRenderer>() else {
            return;
        };
        let Some(tile) = renderer.tiles.get(&self.key) else {
            return;
        };
        let Some(offset) = renderer.uniforms.written(self.slot.load(Ordering::Relaxed)) else {
            return;
        };
        render_pass.set_pipeline(&renderer.pipeline);
        render_pass.set_bind_group(0, &tile.bind_group, &[]);
        render_pass.set_bind_group(1, &renderer.uniforms.bind_group, &[offset]);
        render_pass.draw(0..4, 0..1);
    }
}

/// Texture coordinates and screen rectangle for showing a `width`×`height` picture in
/// `tile`: letterboxed (whole picture, bars) or filled (cropped to cover the tile).
pub fn fit_picture(
    tile: egui::Rect,
    width: u32,
    height: u32,
    fill: bool,
) -> (egui::Rect, [f32; 4]) {
    if width == 0 || height == 0 || tile.width() <= 0.0 || tile.height() <= 0.0 {
        return (tile, [0.0, 0.0, 1.0, 1.0]);
    }
    #[allow(clippy::cast_precision_loss)]
    let picture_aspect = width as f32 / height as f32;
    let tile_aspect = tile.width() / tile.height();
    if fill {
        if picture_aspect > tile_aspect {
            let visible = tile_aspect / picture_aspect;
            let u0 = (1.0 - visible) / 2.0;
            (tile, [u0, 0.0, u0 + visible, 1.0])
        } else {
            let visible = picture_aspect / tile_aspect;
            let v0 = (1.0 - visible) / 2.0;
            (tile, [0.0, v0, 1.0, v0 + visible])
        }
    } else {
        let size = if picture_aspect > tile_aspect {
            egui::vec2(tile.width(), tile.width() / picture_aspect)
        } else {
            egui::vec2(tile.height() * picture_aspect, tile.height())
        };
        (
            egui::Rect::from_center_size(tile.center(), size),
            [0.0, 0.0, 1.0, 1.0],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_keeps_aspect_and_centres() {
        let tile = egui::Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(400.0, 400.0));
        let (rect, uv) = fit_picture(tile, 1920, 1080, false);
        assert_eq!(uv, [0.0, 0.0, 1.0, 1.0]);
        assert!((rect.width() - 400.0).abs() < 0.01);
        assert!((rect.height() - 225.0).abs() < 0.01);
        assert!((rect.center().y - 200.0).abs() < 0.01);
    }

    #[test]
    fn fill_crops_the_long_side() {
        let tile = egui::Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(400.0, 400.0));
        let (rect, uv) = fit_picture(tile, 1600, 800, true);
        assert_eq!(rect, tile);
        assert!((uv[0] - 0.25).abs() < 1e-6 && (uv[2] - 0.75).abs() < 1e-6);
        assert_eq!((uv[1], uv[3]), (0.0, 1.0));
    }
}
