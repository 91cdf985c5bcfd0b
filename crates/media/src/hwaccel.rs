//! Hardware decoding through FFmpeg's hwaccel: one device per type for the whole
//! program (VA-API then CUDA/NVDEC on Linux, D3D11VA/DXVA2 on Windows, VideoToolbox on
//! macOS), created lazily by the first decoder that wants it and shared by reference
//! with every other ([`DeviceRegistry`]); decoded surfaces downloaded as NV12 planes for
//! the normal upload path. Any failure falls back to software for that stream, and a
//! device that could not be created is remembered with its reason, never retried.
//!
//! Owns: the FFI calls hwaccel needs, which ffmpeg-next does not wrap, and the shared
//! device registry. This is the one
//! module of the media engine with `unsafe`; each block says why it is sound. Must not:
//! keep raw pointers beyond the lifetime of the objects that own them.
//!
//! FFmpeg's `enum AVHWDeviceType` and `enum AVPixelFormat` are C `int`s that a newer
//! libavutil extends, while their Rust bindings are closed enums generated from the
//! headers at build time: reading a value they do not know into one is undefined
//! behaviour. So every such value FFmpeg hands us (hardware configs, the formats offered
//! to `get_format`, a frame's format) is read as the `c_int` it is, and becomes a Rust
//! enum only through [`pixel_format_from_int`] / [`device_type_from_int`], which refuse
//! values the bindings lack (as `src/doctor/sys.rs` does for the doctor).

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use ffmpeg_next as ff;
use ffmpeg_next::ffi::{self, AVCodecContext, AVHWDeviceType, AVPixFmtDescriptor, AVPixelFormat};

// The same libavutil symbols the ffmpeg-sys bindings declare, with the enum argument as
// the `c_int` it is in C, so an unknown value can be passed without forming an enum.
// Each returns NULL for a value it does not know.
#[allow(unsafe_code)]
unsafe extern "C" {
    #[link_name = "av_hwdevice_get_type_name"]
    fn hwdevice_get_type_name(kind: c_int) -> *const c_char;
    #[link_name = "av_get_pix_fmt_name"]
    fn get_pix_fmt_name(format: c_int) -> *const c_char;
    #[link_name = "av_pix_fmt_desc_get"]
    fn pix_fmt_desc_get(format: c_int) -> *const AVPixFmtDescriptor;
}

/// A value FFmpeg handed over that this build's bindings have no variant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownValue(pub c_int);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown({})", self.0)
    }
}

impl std::error::Error for UnknownValue {}

/// `AV_PIX_FMT_NONE`, the list terminator.
const PIX_FMT_NONE: c_int = -1;

/// The bindings' `AVPixelFormat` for `value`, or [`UnknownValue`] when it has none.
pub fn pixel_format_from_int(value: c_int) -> Result<AVPixelFormat, UnknownValue> {
    // The C enum assigns no values but `AV_PIX_FMT_NONE = -1` (the rest are aliases,
    // which bindgen makes constants), so its variants are exactly -1 ..= NB, NB being a
    // count, not a format.
    if (PIX_FMT_NONE..AVPixelFormat::AV_PIX_FMT_NB as c_int).contains(&value) {
        // SAFETY: `value` is in the enum's contiguous range of discriminants (above),
        // and `AVPixelFormat` is `#[repr(i32)]` like `c_int`.
        #[allow(unsafe_code)]
        Ok(unsafe { std::mem::transmute::<c_int, AVPixelFormat>(value) })
    } else {
        Err(UnknownValue(value))
    }
}

/// The device type among those Vigil tries that `value` names, or [`UnknownValue`].
pub fn device_type_from_int(value: c_int) -> Result<AVHWDeviceType, UnknownValue> {
    DEVICE_TYPES
        .iter()
        .copied()
        .find(|kind| *kind as c_int == value)
        .ok_or(UnknownValue(value))
}

/// FFmpeg's name of a pixel format (`nv12`), or `unknown(N)`.
pub fn pixel_format_name(value: c_int) -> String {
    // SAFETY: takes a plain int; returns NULL or a static NUL-terminated string.
    #[allow(unsafe_code)]
    let name = unsafe { get_pix_fmt_name(value) };
    static_name(name).unwrap_or_else(|| UnknownValue(value).to_string())
}

/// Copies a static C string FFmpeg returned, if any.
fn static_name(name: *const c_char) -> Option<String> {
    // SAFETY: NULL or a static NUL-terminated string from FFmpeg, copied at once.
    #[allow(unsafe_code)]
    (!name.is_null()).then(|| {
        unsafe { std::ffi::CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    })
}

/// Set by `--software-decoding` / `VIGIL_HWACCEL=off`: never try hardware decoding.
static FORCE_SOFTWARE: AtomicBool = AtomicBool::new(false);

/// Forces software decoding for streams opened from now on.
pub fn force_software(on: bool) {
    FORCE_SOFTWARE.store(on, Ordering::Relaxed);
}

/// True when hardware decoding may be tried.
pub fn allowed() -> bool {
    !FORCE_SOFTWARE.load(Ordering::Relaxed)
        && std::env::var("VIGIL_HWACCEL").map_or(true, |v| v != "off")
}

/// Device types tried, in order: the platform's own first.
#[cfg(target_os = "linux")]
const DEVICE_TYPES: &[AVHWDeviceType] = &[
    AVHWDeviceType::AV_HWDEVICE_TYPE_VAAPI,
    AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA,
];
#[cfg(target_os = "windows")]
const DEVICE_TYPES: &[AVHWDeviceType] = &[
    AVHWDeviceType::AV_HWDEVICE_TYPE_D3D11VA,
    AVHWDeviceType::AV_HWDEVICE_TYPE_DXVA2,
    AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA,
];
#[cfg(target_os = "macos")]
const DEVICE_TYPES: &[AVHWDeviceType] = &[AVHWDeviceType::AV_HWDEVICE_TYPE_VIDEOTOOLBOX];
#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
const DEVICE_TYPES: &[AVHWDeviceType] = &[];

/// An opened hardware device (a reference-counted FFmpeg buffer).
pub struct HwDevice {
    buffer: *mut ffi::AVBufferRef,
    kind: AVHWDeviceType,
}

// SAFETY: an AVBufferRef to a device context is reference counted with atomics and the
// device context itself is immutable after creation; FFmpeg documents hw device
// contexts as shareable between threads (every decoder takes its own reference with
// av_buffer_ref, which is thread-safe). We only ever unref our reference once, in Drop.
#[allow(unsafe_code)]
unsafe impl Send for HwDevice {}
// SAFETY: as above; through `&HwDevice` only `av_buffer_ref` (atomic) and the type are
// reached, never the context's fields.
#[allow(unsafe_code)]
unsafe impl Sync for HwDevice {}

impl Drop for HwDevice {
    fn drop(&mut self) {
        // SAFETY: `buffer` came from av_hwdevice_ctx_create and is unreffed only here.
        #[allow(unsafe_code)]
        unsafe {
            ffi::av_buffer_unref(&raw mut self.buffer);
        }
    }
}

impl HwDevice {
    /// The device type's name ("vaapi", "cuda").
    pub fn name(&self) -> String {
        device_type_name(self.kind)
    }
}

/// FFmpeg's name of a device type (`vaapi`), or `unknown(N)`.
pub fn device_type_name(kind: AVHWDeviceType) -> String {
    device_type_name_of(kind as c_int)
}

fn device_type_name_of(value: c_int) -> String {
    // SAFETY: takes a plain int; returns NULL or a static NUL-terminated string.
    #[allow(unsafe_code)]
    let name = unsafe { hwdevice_get_type_name(value) };
    static_name(name).unwrap_or_else(|| UnknownValue(value).to_string())
}

/// What one creation attempt left: the shared device, or why there is none.
pub type Created<D> = Result<Arc<D>, String>;

/// One device per type, created at most once, on first use, by whichever thread asks
/// first (a decoder thread, never the UI); concurrent first users wait for that one
/// creation rather than make their own. A failure is kept with its reason and handed
/// to every later caller without retrying. Generic over the device and its creator so
/// the once-only rule is tested with a counting creator; the program's registry
/// ([`open_for`]) creates FFmpeg devices.
pub struct DeviceRegistry<D, C> {
    create: C,
    slots: Mutex<HashMap<c_int, Arc<OnceLock<Created<D>>>>>,
    creations: AtomicUsize,
}

impl<D, C: Fn(AVHWDeviceType) -> Result<D, String>> DeviceRegistry<D, C> {
    pub fn new(create: C) -> Self {
        Self {
            create,
            slots: Mutex::new(HashMap::new()),
            creations: AtomicUsize::new(0),
        }
    }

    /// The shared device of `kind`, created now if nobody asked before.
    pub fn get(&self, kind: AVHWDeviceType) -> Created<D> {
        // The map's lock is held only to find the type's cell; the creation itself runs
        // under the cell's own once-lock, so other types are not held up by it.
        let cell = Arc::clone(
            self.slots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(kind as c_int)
                .or_default(),
        );
        cell.get_or_init(|| {
            self.creations.fetch_add(1, Ordering::Relaxed);
            let started = std::time::Instant::now();
            let created = (self.create)(kind).map(Arc::new);
            let ms = started.elapsed().as_millis();
            match &created {
                Ok(_) => tracing::info!(device = %device_type_name(kind), ms, "hardware device created; shared by every decoder"),
                Err(err) => tracing::info!(device = %device_type_name(kind), ms, %err, "hardware device unavailable; not retried"),
            }
            created
        })
        .clone()
    }

    /// The outcome for `kind` if creation was attempted, without attempting it.
    pub fn peek(&self, kind: AVHWDeviceType) -> Option<Created<D>> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.get(&(kind as c_int)).and_then(|c| c.get().cloned())
    }

    /// How many times the creator ran (once per type at most).
    pub fn creations(&self) -> usize {
        self.creations.load(Ordering::Relaxed)
    }
}

/// Creates an FFmpeg device of `kind` on the default adapter.
fn create_device(kind: AVHWDeviceType) -> Result<HwDevice, String> {
    let mut buffer: *mut ffi::AVBufferRef = std::ptr::null_mut();
    // SAFETY: out-pointer to a local; NULL device name and options mean defaults.
    #[allow(unsafe_code)]
    let result = unsafe {
        ffi::av_hwdevice_ctx_create(
            &raw mut buffer,
            kind,
            std::ptr::null(),
            std::ptr::null_mut(),
            0,
        )
    };
    if result >= 0 && !buffer.is_null() {
        Ok(HwDevice { buffer, kind })
    } else {
        Err(ff::Error::from(result).to_string())
    }
}

type Creator = fn(AVHWDeviceType) -> Result<HwDevice, String>;

/// The program's devices: one per type on the default adapter.
static DEVICES: LazyLock<DeviceRegistry<HwDevice, Creator>> =
    LazyLock::new(|| DeviceRegistry::new(create_device as Creator));

/// How many FFmpeg hardware devices this process has tried to create (one per type at
/// most, however many streams).
pub fn device_creations() -> usize {
    DEVICES.creations()
}

/// Each device type tried so far with its outcome: `Ok(name)` or `Err("name: reason")`.
pub fn device_outcomes() -> Vec<Result<String, String>> {
    DEVICE_TYPES
        .iter()
        .filter_map(|&kind| {
            DEVICES.peek(kind).map(|outcome| {
                outcome
                    .map(|d| d.name())
                    .map_err(|err| format!("{}: {err}", device_type_name(kind)))
            })
        })
        .collect()
}

/// The shared hardware device that `codec` can decode on (the first type that works
/// here), with the pixel format the decoder produces on it. The first caller of a type
/// creates its device; later callers share it or get the remembered failure.
pub fn open_for(codec: ff::codec::Id) -> Result<(Arc<HwDevice>, AVPixelFormat), String> {
    let decoder = ff::decoder::find(codec).ok_or("no decoder")?;
    let mut errors = Vec::new();
    for &kind in DEVICE_TYPES {
        let Some(pix_fmt) = hw_pixel_format(&decoder, kind) else {
            continue;
        };
        match DEVICES.get(kind) {
            Ok(device) => return Ok((device, pix_fmt)),
            Err(err) => errors.push(format!("{}: {err}", device_type_name(kind))),
        }
    }
    Err(if errors.is_empty() {
        "no hardware decoder for this codec".to_owned()
    } else {
        errors.join("; ")
    })
}

/// The hardware pixel format `decoder` outputs on a device of `kind`, if it can.
fn hw_pixel_format(decoder: &ff::Codec, kind: AVHWDeviceType) -> Option<AVPixelFormat> {
    for index in 0..64 {
        // SAFETY: the codec pointer is valid for the program's life (static AVCodec);
        // avcodec_get_hw_config returns NULL past the last entry.
        #[allow(unsafe_code)]
        let config = unsafe { ffi::avcodec_get_hw_config(decoder.as_ptr(), index) };
        if config.is_null() {
            return None;
        }
        // SAFETY: `config` points to a static AVCodecHWConfig. Its enum fields are read
        // through raw pointers as the C ints they are (see the module comment), never
        // as the bindings' enums.
        #[allow(unsafe_code)]
        let (methods, device_type, pix_fmt) = unsafe {
            (
                std::ptr::addr_of!((*config).methods).read(),
                std::ptr::addr_of!((*config).device_type)
                    .cast::<c_int>()
                    .read(),
                std::ptr::addr_of!((*config).pix_fmt).cast::<c_int>().read(),
            )
        };
        let by_device = (methods & ffi::AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX as c_int) != 0;
        if by_device && device_type_from_int(device_type) == Ok(kind) {
            match pixel_format_from_int(pix_fmt) {
                Ok(format) => return Some(format),
                Err(unknown) => tracing::debug!(
                    device = %device_type_name_of(device_type),
                    format = %unknown,
                    "hardware format unknown to this build; skipped"
                ),
            }
        }
    }
    None
}

/// Attaches `device` to a decoder context before it is opened, so it decodes to
/// `pix_fmt` surfaces when the hardware accepts the stream (else software, per FFmpeg).
pub fn attach(
    context: &mut ff::codec::context::Context,
    device: &HwDevice,
    pix_fmt: AVPixelFormat,
) -> Result<(), String> {
    // SAFETY: the context is not opened yet and we hold it exclusively; hw_device_ctx
    // takes its own reference (av_buffer_ref), which avcodec_free_context releases.
    // `opaque` carries a plain integer, never dereferenced.
    #[allow(unsafe_code)]
    unsafe {
        let ctx = context.as_mut_ptr();
        let reference = ffi::av_buffer_ref(device.buffer);
        if reference.is_null() {
            return Err("out of memory".to_owned());
        }
        (*ctx).hw_device_ctx = reference;
        (*ctx).opaque = pix_fmt as i32 as isize as *mut c_void;
        (*ctx).get_format = Some(get_format);
    }
    Ok(())
}

/// FFmpeg's format negotiation callback: the wanted hardware format when offered,
/// otherwise the first software format (hardware refused this stream).
#[allow(unsafe_code)]
unsafe extern "C" fn get_format(
    ctx: *mut AVCodecContext,
    formats: *const AVPixelFormat,
) -> AVPixelFormat {
    let mut offered = Vec::new();
    // SAFETY: FFmpeg passes a valid context and a list terminated by AV_PIX_FMT_NONE.
    // The list is read as C ints (a newer FFmpeg may offer formats the bindings lack);
    // the bound guards against a list without its terminator.
    unsafe {
        let wanted = (*ctx).opaque as isize as c_int;
        let mut p = formats.cast::<c_int>();
        while *p != PIX_FMT_NONE && offered.len() < 512 {
            offered.push(*p);
            p = p.add(1);
        }
        choose_format(wanted, &offered)
    }
}

/// The selection rule of [`get_format`], without pointers: `wanted` when offered, else
/// the first software format the bindings know, else `AV_PIX_FMT_NONE` (decoding fails
/// cleanly rather than produce frames in a format Vigil cannot name).
fn choose_format(wanted: c_int, offered: &[c_int]) -> AVPixelFormat {
    let pick = offered
        .iter()
        .find(|f| **f == wanted)
        .or_else(|| {
            offered
                .iter()
                .find(|f| pixel_format_from_int(**f).is_ok() && !is_hw_format(**f))
        })
        .copied()
        .unwrap_or(PIX_FMT_NONE);
    pixel_format_from_int(pick).unwrap_or(AVPixelFormat::AV_PIX_FMT_NONE)
}

fn is_hw_format(format: c_int) -> bool {
    // SAFETY: takes a plain int; returns a static descriptor or NULL.
    #[allow(unsafe_code)]
    let desc = unsafe { pix_fmt_desc_get(format) };
    // SAFETY: non-null static descriptor.
    #[allow(unsafe_code)]
    let flags = if desc.is_null() {
        0
    } else {
        unsafe { (*desc).flags }
    };
    flags & u64::try_from(ffi::AV_PIX_FMT_FLAG_HWACCEL).unwrap_or(0) != 0
}

/// A frame's pixel format as the C int it is.
fn frame_format_int(frame: &ff::util::frame::video::Video) -> c_int {
    // SAFETY: the wrapper holds a valid AVFrame; `format` is a plain `c_int` field.
    #[allow(unsafe_code)]
    unsafe {
        (*frame.as_ptr()).format
    }
}

/// The frame's pixel format when this build knows it: check before anything that reads
/// it as an enum (ffmpeg-next's `format()`), so an unknown one is a skipped frame.
pub fn frame_format(frame: &ff::util::frame::video::Video) -> Result<AVPixelFormat, UnknownValue> {
    pixel_format_from_int(frame_format_int(frame))
}

/// True when `frame` lives in GPU memory and must be downloaded.
pub fn is_hw_frame(frame: &ff::util::frame::video::Video) -> bool {
    is_hw_format(frame_format_int(frame))
}

/// Frames a decoder downloads into, at most this many (one is in use at a time: the
/// converter copies it out before the next download).
pub const DOWNLOAD_FRAMES: usize = 2;

/// A decoder's download buffers: hardware frames are transferred into frames already
/// allocated for their size and format, reused round robin, instead of buffers
/// allocated afresh for every frame. A size or format change reallocates that frame.
#[derive(Default)]
pub struct DownloadPool {
    frames: Vec<ff::util::frame::video::Video>,
    next: usize,
    allocations: u64,
}

impl DownloadPool {
    /// A frame with buffers for `width`×`height` in `format` (C int), reused when one
    /// in the pool already has them; else emptied, for FFmpeg to allocate on transfer.
    fn slot(
        &mut self,
        width: u32,
        height: u32,
        format: c_int,
    ) -> &mut ff::util::frame::video::Video {
        if self.frames.len() < DOWNLOAD_FRAMES {
            self.frames.push(ff::util::frame::video::Video::empty());
        }
        let index = self.next % self.frames.len();
        self.next = self.next.wrapping_add(1);
        let frame = &mut self.frames[index];
        let fits = !frame_data_is_empty(frame)
            && frame.width() == width
            && frame.height() == height
            && frame_format_int(frame) == format;
        if !fits {
            // SAFETY: a valid AVFrame owned by its wrapper; unref frees its buffers.
            #[allow(unsafe_code)]
            unsafe {
                ffi::av_frame_unref(frame.as_mut_ptr());
            }
            self.allocations += 1;
        }
        frame
    }

    /// Frames whose buffers were (re)allocated so far.
    pub fn allocations(&self) -> u64 {
        self.allocations
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Downloads a hardware frame (NV12 for 8-bit streams) into a pooled frame, with
    /// its timestamps and colour description.
    pub fn download(
        &mut self,
        hw: &ff::util::frame::video::Video,
    ) -> Result<&ff::util::frame::video::Video, String> {
        let sw_format = hw_sw_format(hw);
        let sw = self.slot(hw.width(), hw.height(), sw_format);
        // SAFETY: both frames are valid AVFrames owned by their wrappers. An `sw` with
        // buffers of the hardware frame's size and software format is written in place;
        // an empty one is allocated by transfer_data itself.
        #[allow(unsafe_code)]
        let result = unsafe {
            let r = ffi::av_hwframe_transfer_data(sw.as_mut_ptr(), hw.as_ptr(), 0);
            if r >= 0 {
                ffi::av_frame_copy_props(sw.as_mut_ptr(), hw.as_ptr())
            } else {
                r
            }
        };
        if result < 0 {
            // SAFETY: as above; a half-written frame is not kept for reuse.
            #[allow(unsafe_code)]
            unsafe {
                ffi::av_frame_unref(sw.as_mut_ptr());
            }
            return Err(format!(
                "download from the GPU failed: {}",
                ff::Error::from(result)
            ));
        }
        Ok(sw)
    }
}

fn frame_data_is_empty(frame: &ff::util::frame::video::Video) -> bool {
    // SAFETY: reads a pointer field of a valid AVFrame.
    #[allow(unsafe_code)]
    unsafe {
        (*frame.as_ptr()).buf[0].is_null()
    }
}

/// The software format a hardware frame downloads to by default (its frames context's
/// `sw_format`), as a C int; `AV_PIX_FMT_NONE` when it has no frames context.
fn hw_sw_format(hw: &ff::util::frame::video::Video) -> c_int {
    // SAFETY: `hw_frames_ctx` is NULL or a buffer whose data is an AVHWFramesContext
    // (FFmpeg's contract for hardware frames); `sw_format` is read as the C int it is.
    #[allow(unsafe_code)]
    unsafe {
        let frames = (*hw.as_ptr()).hw_frames_ctx;
        if frames.is_null() || (*frames).data.is_null() {
            return PIX_FMT_NONE;
        }
        let ctx = (*frames).data.cast::<ffi::AVHWFramesContext>();
        std::ptr::addr_of!((*ctx).sw_format).cast::<c_int>().read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_format_prefers_the_hardware_one_then_software() {
        let vaapi = AVPixelFormat::AV_PIX_FMT_VAAPI;
        let yuv = AVPixelFormat::AV_PIX_FMT_YUV420P;
        let (vaapi_n, yuv_n) = (vaapi as c_int, yuv as c_int);
        assert_eq!(choose_format(vaapi_n, &[vaapi_n, yuv_n]), vaapi);
        // The device can't take this stream: FFmpeg offers only software formats.
        assert_eq!(choose_format(vaapi_n, &[yuv_n]), yuv);
        // A different hardware format is never picked by mistake.
        let cuda_n = AVPixelFormat::AV_PIX_FMT_CUDA as c_int;
        assert_eq!(choose_format(vaapi_n, &[cuda_n, yuv_n]), yuv);
        // A format newer than the bindings is passed over, not turned into an enum.
        let newer = AVPixelFormat::AV_PIX_FMT_NB as c_int + 3;
        assert_eq!(choose_format(vaapi_n, &[newer, yuv_n]), yuv);
        assert_eq!(
            choose_format(vaapi_n, &[newer]),
            AVPixelFormat::AV_PIX_FMT_NONE
        );
        assert!(is_hw_format(vaapi_n));
        assert!(!is_hw_format(yuv_n));
        assert!(!is_hw_format(newer));
    }

    #[test]
    fn values_the_bindings_lack_are_unknown_not_enums() {
        let nb = AVPixelFormat::AV_PIX_FMT_NB as c_int;
        for value in [nb, nb + 7, 100_000, -2, c_int::MIN, c_int::MAX] {
            let err = pixel_format_from_int(value).expect_err("out of range");
            assert_eq!(err.to_string(), format!("unknown({value})"));
        }
        assert_eq!(
            pixel_format_from_int(AVPixelFormat::AV_PIX_FMT_NV12 as c_int),
            Ok(AVPixelFormat::AV_PIX_FMT_NV12)
        );
        assert_eq!(
            pixel_format_from_int(-1),
            Ok(AVPixelFormat::AV_PIX_FMT_NONE)
        );
        assert_eq!(
            pixel_format_from_int(nb - 1).map(|f| f as c_int),
            Ok(nb - 1)
        );
        assert_eq!(pixel_format_name(nb + 7), format!("unknown({})", nb + 7));
        assert_eq!(
            pixel_format_name(AVPixelFormat::AV_PIX_FMT_NV12 as c_int),
            "nv12"
        );
        assert_eq!(
            device_type_from_int(4242)
                .expect_err("not a type")
                .to_string(),
            "unknown(4242)"
        );
        assert_eq!(device_type_name_of(4242), "unknown(4242)");
        for kind in DEVICE_TYPES {
            assert_eq!(device_type_from_int(*kind as c_int), Ok(*kind));
            assert!(!device_type_name(*kind).starts_with("unknown"));
        }
    }

    #[test]
    fn no_device_here_is_a_clear_error_not_a_crash() {
        ff::init().ok();
        // CI machines have neither a VA-API render node nor CUDA: opening must fail
        // cleanly (on a machine with one, it must succeed and name its type).
        match open_for(ff::codec::Id::H264) {
            Ok((device, _)) => assert!(!device.name().is_empty()),
            Err(message) => assert!(!message.is_empty()),
        }
    }

    /// Counts its calls; hands out numbered devices or fails, as told.
    fn counting(
        fail: bool,
    ) -> DeviceRegistry<usize, impl Fn(AVHWDeviceType) -> Result<usize, String>> {
        let calls = AtomicUsize::new(0);
        DeviceRegistry::new(move |_kind| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            // Long enough that the other threads arrive while this creation runs (the
            // result does not depend on it: they must wait either way).
            std::thread::sleep(std::time::Duration::from_millis(50));
            if fail {
                Err(format!("no device (attempt {n})"))
            } else {
                Ok(n)
            }
        })
    }

    fn from_many_threads<D: Send + Sync, C: Fn(AVHWDeviceType) -> Result<D, String> + Sync>(
        registry: &DeviceRegistry<D, C>,
        threads: usize,
    ) -> Vec<Created<D>> {
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        registry.get(AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        })
    }

    #[test]
    fn downloads_reuse_a_small_pool_of_frames() {
        let nv12 = AVPixelFormat::AV_PIX_FMT_NV12 as c_int;
        let mut pool = DownloadPool::default();
        // Stand in for FFmpeg's allocation on the first transfer into an empty frame.
        let fill = |frame: &mut ff::util::frame::video::Video, w, h| {
            if frame_data_is_empty(frame) {
                *frame = ff::util::frame::video::Video::new(ff::format::Pixel::NV12, w, h);
            }
        };
        for _ in 0..100 {
            let frame = pool.slot(1920, 1080, nv12);
            fill(frame, 1920, 1080);
        }
        assert_eq!(pool.len(), DOWNLOAD_FRAMES, "bounded");
        assert_eq!(
            pool.allocations(),
            DOWNLOAD_FRAMES as u64,
            "100 downloads, each pooled frame allocated once"
        );
        // The stream changes size: each frame is reallocated once, then reused.
        for _ in 0..100 {
            let frame = pool.slot(1280, 720, nv12);
            fill(frame, 1280, 720);
            assert_eq!((frame.width(), frame.height()), (1280, 720));
        }
        assert_eq!(pool.len(), DOWNLOAD_FRAMES);
        assert_eq!(pool.allocations(), 2 * DOWNLOAD_FRAMES as u64);
        // A different format does not reuse the NV12 buffers.
        let p010 = AVPixelFormat::AV_PIX_FMT_P010LE as c_int;
        let frame = pool.slot(1280, 720, p010);
        assert!(frame_data_is_empty(frame));
    }

    #[test]
    fn concurrent_first_users_share_one_creation() {
        let registry = counting(false);
        let got = from_many_threads(&registry, 16);
        assert_eq!(registry.creations(), 1, "one creation for 16 decoders");
        let first = got[0].as_ref().expect("created");
        for device in &got {
            let device = device.as_ref().expect("created");
            assert!(
                Arc::ptr_eq(first, device),
                "every decoder shares the one device"
            );
        }
        assert_eq!(**first, 0);
        // Another type is a separate device.
        assert!(registry.get(AVHWDeviceType::AV_HWDEVICE_TYPE_VAAPI).is_ok());
        assert_eq!(registry.creations(), 2);
        assert!(registry.get(AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA).is_ok());
        assert_eq!(registry.creations(), 2);
    }

    #[test]
    fn a_failed_creation_is_remembered_with_its_reason() {
        let registry = counting(true);
        assert!(
            registry
                .peek(AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA)
                .is_none()
        );
        let got = from_many_threads(&registry, 16);
        assert_eq!(
            registry.creations(),
            1,
            "failed once, never retried per stream"
        );
        for outcome in got {
            assert_eq!(outcome.err().as_deref(), Some("no device (attempt 0)"));
        }
        let later = registry.get(AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA);
        assert_eq!(later.err().as_deref(), Some("no device (attempt 0)"));
        assert_eq!(registry.creations(), 1);
        assert!(
            registry
                .peek(AVHWDeviceType::AV_HWDEVICE_TYPE_CUDA)
                .is_some()
        );
    }

    #[test]
    fn the_program_creates_each_device_type_once_for_many_streams() {
        ff::init().ok();
        // Sixteen streams open at once, as a 4×4 wall does: whether devices exist here
        // (a GPU machine) or not (CI), FFmpeg is asked at most once per type.
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| open_for(ff::codec::Id::H264).map(|_| ()));
            }
        });
        assert!(open_for(ff::codec::Id::HEVC).is_ok() || !device_outcomes().is_empty());
        assert!(
            device_creations() <= DEVICE_TYPES.len(),
            "{} creations for {} types",
            device_creations(),
            DEVICE_TYPES.len()
        );
        assert!(!device_outcomes().is_empty());
    }
}
