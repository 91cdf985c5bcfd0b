//! Hardware decoding through FFmpeg's hwaccel: a device per decoder (VA-API then
//! CUDA/NVDEC on Linux, D3D11VA/DXVA2 on Windows, VideoToolbox on macOS), decoded
//! surfaces downloaded as NV12 planes for the normal upload path. Any failure falls
//! back to software for that stream.
//!
//! Owns: the FFI calls hwaccel needs, which ffmpeg-next does not wrap. This is the one
//! module of the media engine with `unsafe`; each block says why it is sound. Must not:
//! keep raw pointers beyond the lifetime of the objects that own them.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

use ffmpeg_next as ff;
use ffmpeg_next::ffi::{self, AVCodecContext, AVHWDeviceType, AVPixelFormat};

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
// contexts as shareable between threads. We only ever unref it once, in Drop.
#[allow(unsafe_code)]
unsafe impl Send for HwDevice {}

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

/// FFmpeg's name of a device type.
pub fn device_type_name(kind: AVHWDeviceType) -> String {
    // SAFETY: av_hwdevice_get_type_name returns a static string or NULL.
    #[allow(unsafe_code)]
    let name = unsafe { ffi::av_hwdevice_get_type_name(kind) };
    if name.is_null() {
        return "unknown".to_owned();
    }
    // SAFETY: non-null, NUL-terminated static string from FFmpeg.
    #[allow(unsafe_code)]
    unsafe { std::ffi::CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}

/// Opens the first hardware device that works here and that `codec` can decode on,
/// with the pixel format the decoder produces on it.
pub fn open_for(codec: ff::codec::Id) -> Result<(HwDevice, AVPixelFormat), String> {
    let decoder = ff::decoder::find(codec).ok_or("no decoder")?;
    let mut errors = Vec::new();
    for &kind in DEVICE_TYPES {
        let Some(pix_fmt) = hw_pixel_format(&decoder, kind) else {
            continue;
        };
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
            return Ok((HwDevice { buffer, kind }, pix_fmt));
        }
        errors.push(format!(
            "{}: {}",
            device_type_name(kind),
            ff::Error::from(result)
        ));
    }
    Err(if errors.is_empty() {
        "no hardware decoder for this codec".to_owned()
    } else {
        errors.join("; ")
    })
}

/// The hardware pixel format `decoder` outputs on a device of `kind`, if it can.
fn hw_pixel_format(decoder: &ff::Codec, kind: AVHWDeviceType) -> Option<AVPixelFormat> {
    for index in 0.. {
        // SAFETY: the codec pointer is valid for the program's life (static AVCodec);
        // avcodec_get_hw_config returns NULL past the last entry.
        #[allow(unsafe_code)]
        let config = unsafe { ffi::avcodec_get_hw_config(decoder.as_ptr(), index) };
        if config.is_null() {
            return None;
        }
        // SAFETY: non-null pointer to a static AVCodecHWConfig.
        #[allow(unsafe_code)]
        let config = unsafe { &*config };
        let by_device = (config.methods & ffi::AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX as i32) != 0;
        if by_device && config.device_type == kind {
            return Some(config.pix_fmt);
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
    unsafe {
        let wanted = (*ctx).opaque as isize as i32;
        let mut p = formats;
        while *p != AVPixelFormat::AV_PIX_FMT_NONE {
            offered.push(*p);
            p = p.add(1);
        }
        choose_format(wanted, &offered)
    }
}

/// The selection rule of [`get_format`], without pointers.
fn choose_format(wanted: i32, offered: &[AVPixelFormat]) -> AVPixelFormat {
    if let Some(f) = offered.iter().find(|f| **f as i32 == wanted) {
        return *f;
    }
    offered
        .iter()
        .copied()
        .find(|f| !is_hw_format(*f))
        .unwrap_or(AVPixelFormat::AV_PIX_FMT_NONE)
}

fn is_hw_format(format: AVPixelFormat) -> bool {
    // SAFETY: av_pix_fmt_desc_get returns a static descriptor or NULL.
    #[allow(unsafe_code)]
    let desc = unsafe { ffi::av_pix_fmt_desc_get(format) };
    // SAFETY: non-null static descriptor.
    #[allow(unsafe_code)]
    let flags = if desc.is_null() {
        0
    } else {
        unsafe { (*desc).flags }
    };
    flags & u64::try_from(ffi::AV_PIX_FMT_FLAG_HWACCEL).unwrap_or(0) != 0
}

/// True when `frame` lives in GPU memory and must be downloaded.
pub fn is_hw_frame(frame: &ff::util::frame::video::Video) -> bool {
    is_hw_format(frame.format().into())
}

/// Downloads a hardware frame into `sw` (NV12 for 8-bit streams), with its timestamps
/// and colour description.
pub fn download(
    hw: &ff::util::frame::video::Video,
    sw: &mut ff::util::frame::video::Video,
) -> Result<(), String> {
    // SAFETY: both frames are valid AVFrames owned by their wrappers; transfer_data
    // allocates `sw`'s buffers itself (sw is unreffed first so no buffer leaks).
    #[allow(unsafe_code)]
    let result = unsafe {
        ffi::av_frame_unref(sw.as_mut_ptr());
        let r = ffi::av_hwframe_transfer_data(sw.as_mut_ptr(), hw.as_ptr(), 0);
        if r >= 0 {
            ffi::av_frame_copy_props(sw.as_mut_ptr(), hw.as_ptr())
        } else {
            r
        }
    };
    if result < 0 {
        return Err(format!(
            "download from the GPU failed: {}",
            ff::Error::from(result)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_format_prefers_the_hardware_one_then_software() {
        let vaapi = AVPixelFormat::AV_PIX_FMT_VAAPI;
        let yuv = AVPixelFormat::AV_PIX_FMT_YUV420P;
        assert_eq!(choose_format(vaapi as i32, &[vaapi, yuv]), vaapi);
        // The device can't take this stream: FFmpeg offers only software formats.
        assert_eq!(choose_format(vaapi as i32, &[yuv]), yuv);
        // A different hardware format is never picked by mistake.
        assert_eq!(
            choose_format(vaapi as i32, &[AVPixelFormat::AV_PIX_FMT_CUDA, yuv]),
            yuv
        );
        assert!(is_hw_format(vaapi));
        assert!(!is_hw_format(yuv));
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
}
