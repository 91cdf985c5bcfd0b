//! `manifest.json`: what was exported, by whom, why, and the name, size and SHA-256 of
//! every other file in the bundle. The signature covers its exact bytes.
//!
//! Owns: the manifest's schema (serde), time formatting (UTC and local RFC 3339) and
//! file hashing. Must not: sign or check signatures.

use std::io::Read as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Identifies the manifest's schema.
pub const FORMAT: &str = "vigil-evidence/1";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const SIGNATURE_FILE: &str = "manifest.sig";
pub const PUBLIC_KEY_FILE: &str = "public_key.pem";
pub const SUMS_FILE: &str = "SHA256SUMS";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub case: String,
    pub reason: String,
    /// The OS user who ran the export.
    pub operator: String,
    pub exported_at: Instant,
    pub vigil_version: String,
    pub requested: Range,
    /// SHA-256 of the public key's DER (SubjectPublicKeyInfo), hex.
    pub key_fingerprint_sha256: String,
    pub cameras: Vec<CameraEntry>,
    /// Cameras that were asked for but have no footage in the range (no files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cameras_without_footage: Vec<CameraWithoutFootage>,
    /// Every file of the bundle but the manifest and its signature.
    pub files: Vec<FileEntry>,
}

/// A moment in UTC and in the exporting machine's local time (with its offset).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Instant {
    pub utc: String,
    pub local: String,
    pub unix_nanos: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Range {
    pub from: Instant,
    pub to: Instant,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CameraEntry {
    pub id: String,
    pub name: String,
    /// The device's identity (make, model, serial) when the site knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub video: String,
    pub still: String,
    pub codec: String,
    /// From the first frame (a keyframe at or before the requested start) to the end
    /// of the last frame.
    pub actual: Range,
    /// The MP4's time 0 is this wall time: a frame at MP4 time t was recorded at
    /// `media_time_zero + t`.
    pub media_time_zero: Instant,
    /// How far into the MP4 the requested start lies, in seconds (the MP4 starts at
    /// the keyframe before it, without an edit list; negative when the footage starts
    /// after the requested start).
    pub requested_start_offset_secs: f64,
    pub frames: u64,
    /// Present when the camera name and time were burned in: the encoder that
    /// re-encoded the pictures (the MP4 then does not hold the recorded bits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burned_in_with: Option<String>,
    pub gaps: Vec<GapEntry>,
}

/// A camera asked for without footage in the range: its gaps cover the whole range
/// (the index's reasons where it has them, `no_recording` elsewhere).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CameraWithoutFootage {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub gaps: Vec<GapEntry>,
}

/// Time inside the requested range with no footage.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GapEntry {
    pub from: Instant,
    pub to: Instant,
    /// `camera_offline`, `disk_full`, `not_running`, `io_error` (from the recording
    /// index) or `no_recording` (no footage and no recorded reason).
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// `ns` (Unix nanoseconds) in UTC and local time, RFC 3339 to the millisecond.
pub fn instant(ns: i64) -> Instant {
    use chrono::{SecondsFormat, TimeZone as _};
    let utc = chrono::Utc.timestamp_nanos(ns);
    Instant {
        utc: utc.to_rfc3339_opts(SecondsFormat::Millis, true),
        local: utc
            .with_timezone(&chrono::Local)
            .to_rfc3339_opts(SecondsFormat::Millis, false),
        unix_nanos: ns,
    }
}

/// Size and SHA-256 (hex) of a file.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, crate::key::hex(&hasher.finalize())))
}

/// `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <name>` per line.
pub fn sums_text(files: &[FileEntry]) -> String {
    files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.name))
        .collect()
}
