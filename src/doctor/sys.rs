//! The doctor's only `unsafe`: FFmpeg's hardware-device API.
//!
//! Owns: three small wrappers that turn C calls into plain Rust values.
//! Must not: hold on to any FFmpeg object after returning (everything created here is
//! freed here), or grow beyond what the doctor needs.
//!
//! Why `unsafe` is needed: ffmpeg-next has no safe wrapper for
//! `av_hwdevice_iterate_types`, `av_hwdevice_ctx_create` or `avcodec_get_hw_config`
//! (`media::hwaccel` wraps only what decoding needs: the device types Vigil tries).
//! Why it is sound is written at each block. One hazard is handled throughout: FFmpeg's `enum AVHWDeviceType` is a
//! C `int` that a newer libavutil may extend, while its Rust binding is a closed Rust
//! enum, so reading an unknown value into it would be undefined behaviour. The device
//! type therefore crosses the boundary as a plain `c_int` (own declarations below, same
//! C symbols, same ABI) and is never stored in the Rust enum.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};

use ffmpeg_next::ffi::{AVBufferRef, AVCodecHWConfig, AVDictionary};

// The same libavutil/libavcodec symbols the ffmpeg-sys bindings declare, with the
// device type as the `c_int` it is in C (see the module comment).
unsafe extern "C" {
    #[link_name = "av_hwdevice_iterate_types"]
    fn hwdevice_iterate_types(prev: c_int) -> c_int;
    #[link_name = "av_hwdevice_get_type_name"]
    fn hwdevice_get_type_name(kind: c_int) -> *const c_char;
    #[link_name = "av_hwdevice_ctx_create"]
    fn hwdevice_ctx_create(
        device_ctx: *mut *mut AVBufferRef,
        kind: c_int,
        device: *const c_char,
        opts: *mut AVDictionary,
        flags: c_int,
    ) -> c_int;
}

/// `AV_HWDEVICE_TYPE_NONE`: starts and ends the iteration.
const HWDEVICE_TYPE_NONE: c_int = 0;
/// `AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX`: the decoder takes a device context.
const HW_CONFIG_METHOD_HW_DEVICE_CTX: c_int = 0x01;

/// A hardware device type FFmpeg was built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HwType {
    /// FFmpeg's numeric id.
    pub id: c_int,
    /// FFmpeg's name for it (`vaapi`), or `type <id>` if it has none.
    pub name: String,
}

/// Every hardware device type this libavutil supports, in FFmpeg's order.
pub fn hw_device_types() -> Vec<HwType> {
    let mut out = Vec::new();
    let mut id = HWDEVICE_TYPE_NONE;
    loop {
        // SAFETY: takes and returns a plain int; any int is accepted (unknown ones
        // make it return the first type or NONE).
        id = unsafe { hwdevice_iterate_types(id) };
        // The bound guards against a library that never returns NONE.
        if id == HWDEVICE_TYPE_NONE || out.len() >= 64 {
            break;
        }
        // SAFETY: returns NULL or a pointer to a static NUL-terminated string, which is
        // copied before anything else happens.
        let name = unsafe {
            let ptr = hwdevice_get_type_name(id);
            (!ptr.is_null()).then(|| CStr::from_ptr(ptr).to_string_lossy().into_owned())
        };
        out.push(HwType {
            id,
            name: name.unwrap_or_else(|| format!("type {id}")),
        });
    }
    out
}

/// Tries to open the default device of this type; Ok when FFmpeg could.
/// The device is released again before returning.
pub fn open_hw_device(id: c_int) -> Result<(), ffmpeg_next::Error> {
    let mut ctx: *mut AVBufferRef = std::ptr::null_mut();
    // SAFETY: `ctx` is a valid out-pointer; NULL device name and options mean "the
    // default device"; `id` came from `av_hwdevice_iterate_types`.
    let ret =
        unsafe { hwdevice_ctx_create(&raw mut ctx, id, std::ptr::null(), std::ptr::null_mut(), 0) };
    if !ctx.is_null() {
        // SAFETY: `ctx` is the one reference FFmpeg handed us; unref frees the
        // device and sets `ctx` to NULL. Nothing else holds it.
        unsafe { ffmpeg_next::ffi::av_buffer_unref(&raw mut ctx) };
    }
    if ret < 0 {
        Err(ffmpeg_next::Error::from(ret))
    } else {
        Ok(())
    }
}

/// Device type ids a decoder can use through a device context
/// (`avcodec_get_hw_config`).
pub fn decoder_hw_device_ids(codec: &ffmpeg_next::Codec) -> Vec<c_int> {
    let mut out = Vec::new();
    for index in 0..64 {
        // SAFETY: `codec` wraps a valid, static `AVCodec`; FFmpeg returns NULL past
        // the last config, or a pointer to a static config that lives as long as the
        // library.
        let config: *const AVCodecHWConfig =
            unsafe { ffmpeg_next::ffi::avcodec_get_hw_config(codec.as_ptr(), index) };
        if config.is_null() {
            break;
        }
        // SAFETY: `config` is valid (above). The fields are read through raw pointers
        // as the C ints they are, so an enum value this binding does not know is just
        // a number, never an invalid Rust enum.
        let (methods, device_type) = unsafe {
            (
                std::ptr::addr_of!((*config).methods).read(),
                std::ptr::addr_of!((*config).device_type)
                    .cast::<c_int>()
                    .read(),
            )
        };
        if methods & HW_CONFIG_METHOD_HW_DEVICE_CTX != 0 && !out.contains(&device_type) {
            out.push(device_type);
        }
    }
    out
}
