//! What "Add by ONVIF" learns about a device in one go ([`inspect`]): its identity and
//! MAC, the media profiles with their encoder settings and stream URIs, the snapshot
//! URI, a proposed main and sub stream, and the warnings an installer should see. The
//! proposal is a default; the installer may choose other profiles.
//! Must not: open the streams (the cameras panel tests them), or return a URI with
//! credentials.

use crate::client::Client;
use crate::device::{DeviceInformation, Services};
use crate::error::OnvifError;
use crate::media::{MediaService, Profile};
use crate::transport::{ClientConfig, Credentials};

/// Keyframe intervals longer than this start live view slowly.
pub const MAX_KEYFRAME_INTERVAL_SECS: f64 = 2.0;
/// A device clock further off than this gets a warning.
pub const MAX_CLOCK_OFFSET_SECS: f64 = 5.0;

/// Who the device is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub manufacturer: String,
    pub model: String,
    pub firmware: String,
    pub serial: String,
    pub hardware_id: String,
    /// The first enabled interface's MAC (`aa:bb:cc:dd:ee:ff`).
    pub mac: Option<String>,
}

impl DeviceIdentity {
    fn new(info: DeviceInformation, mac: Option<String>) -> Self {
        Self {
            manufacturer: info.manufacturer,
            model: info.model,
            firmware: info.firmware,
            serial: info.serial,
            hardware_id: info.hardware_id,
            mac,
        }
    }
}

/// A profile and its stream URI (without credentials), when the device gave one.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectedProfile {
    pub profile: Profile,
    pub stream_uri: Option<String>,
}

/// The proposed main and sub stream, as profile tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposal {
    pub main: Option<String>,
    pub sub: Option<String>,
}

/// Something the installer should know before saving the camera.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// A proposed stream's keyframes are further apart than 2 s.
    SlowKeyframes { profile: String, interval_secs: f64 },
    /// Nothing smaller than the main stream: every tile decodes the main stream.
    NoSubStream,
    /// A proposed stream is H.265; `hardware_decoder` is what the caller knows of this
    /// machine (None: not known).
    H265 {
        profile: String,
        hardware_decoder: Option<bool>,
    },
    /// The device's clock is this far from ours (device minus ours).
    ClockOff { offset_secs: f64 },
    /// No service is offered over HTTPS.
    PlainHttpOnly,
    /// A call that is not essential failed; what was learnt is still returned.
    CallFailed { message: String },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SlowKeyframes {
                profile,
                interval_secs,
            } => write!(
                f,
                "profile {profile}: keyframe interval {interval_secs:.1} s (over 2 s): live view starts slowly; set the GOP to at most 2 s of frames"
            ),
            Self::NoSubStream => write!(
                f,
                "no sub-stream: the device offers no profile smaller than the main one, so small tiles decode the main stream"
            ),
            Self::H265 {
                profile,
                hardware_decoder: None,
            } => write!(
                f,
                "H.265: check this machine has a hardware decoder (profile {profile})"
            ),
            Self::H265 {
                profile,
                hardware_decoder: Some(false),
            } => write!(
                f,
                "H.265: this machine has no hardware decoder for it (profile {profile}); decoding costs CPU, prefer H.264"
            ),
            Self::H265 { profile, .. } => {
                write!(f, "H.265 (profile {profile}) decoded in hardware")
            }
            Self::ClockOff { offset_secs } => write!(
                f,
                "the camera's clock is off by {offset_secs:+.0} s (more than 5 s): set NTP on the camera"
            ),
            Self::PlainHttpOnly => write!(
                f,
                "plain HTTP only: the device offers no HTTPS, so ONVIF traffic is not encrypted"
            ),
            Self::CallFailed { message } => write!(f, "{message}"),
        }
    }
}

/// Everything [`inspect`] learnt.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// The device as errors and the UI name it (`HOST[:PORT]`).
    pub host: String,
    pub device: DeviceIdentity,
    pub profiles: Vec<InspectedProfile>,
    pub snapshot_uri: Option<String>,
    pub proposal: Proposal,
    pub warnings: Vec<Warning>,
    /// Device clock minus ours.
    pub clock_offset_secs: f64,
    /// The media service the profiles came from.
    pub media: MediaService,
    pub services: Services,
}

impl Inspection {
    /// Whether a proposed stream is H.265 (then the caller may find out whether this
    /// machine decodes it in hardware and say so with
    /// [`Inspection::set_h265_hardware_decoder`]).
    pub fn proposes_h265(&self) -> bool {
        self.warnings
            .iter()
            .any(|w| matches!(w, Warning::H265 { .. }))
    }

    /// Records whether this machine has a hardware H.265 decoder: with one, the H.265
    /// warnings go; without, they say so instead of "check".
    pub fn set_h265_hardware_decoder(&mut self, available: bool) {
        if available {
            self.warnings.retain(|w| !matches!(w, Warning::H265 { .. }));
        } else {
            for w in &mut self.warnings {
                if let Warning::H265 {
                    hardware_decoder, ..
                } = w
                {
                    *hardware_decoder = Some(false);
                }
            }
        }
    }
}

/// How [`inspect_with`] runs.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    pub config: ClientConfig,
    /// Whether this machine decodes H.265 in hardware, when the caller knows.
    pub h265_hardware_decoder: Option<bool>,
}

/// Inspects the device at `host` (`HOST[:PORT]` or a device service URL) with
/// `user`/`password` (no credentials when `user` is empty), with default limits.
pub fn inspect(host: &str, user: &str, password: &str) -> Result<Inspection, OnvifError> {
    let credentials = (!user.is_empty()).then(|| Credentials::new(user, password));
    inspect_with(host, credentials, &InspectOptions::default())
}

fn supported(profile: &Profile) -> bool {
    profile
        .video
        .as_ref()
        .is_some_and(|v| v.codec == "H264" || v.codec == "H265")
}

/// The proposal: main is the highest resolution (H.264/H.265 before other codecs, then
/// frame rate, then bitrate); sub is the smallest resolution below it, or the main
/// profile itself when there is none (then `no_sub` is true). Profiles without a
/// stream URI are considered only when none has one.
pub fn propose(profiles: &[InspectedProfile]) -> (Proposal, bool) {
    let with_uri: Vec<&InspectedProfile> = profiles
        .iter()
        .filter(|p| p.profile.video.is_some() && p.stream_uri.is_some())
        .collect();
    let candidates: Vec<&InspectedProfile> = if with_uri.is_empty() {
        profiles
            .iter()
            .filter(|p| p.profile.video.is_some())
            .collect()
    } else {
        with_uri
    };
    let key = |p: &InspectedProfile| {
        let v = p.profile.video.as_ref();
        (
            supported(&p.profile),
            v.map_or(0, |v| v.pixels()),
            v.and_then(|v| v.fps).map_or(0, |f| (f * 1000.0) as u64),
            v.and_then(|v| v.bitrate_kbps).unwrap_or(0),
        )
    };
    // max_by_key keeps the last of equals: reverse so the device's first profile wins.
    let Some(main) = candidates.iter().rev().max_by_key(|p| key(p)) else {
        return (Proposal::default(), false);
    };
    let main_pixels = key(main).1;
    let sub = candidates
        .iter()
        .filter(|p| key(p).1 < main_pixels)
        .min_by_key(|p| {
            let (ok, pixels, fps, _) = key(p);
            (!ok, pixels, u64::MAX - fps)
        });
    let proposal = Proposal {
        main: Some(main.profile.token.clone()),
        sub: Some(sub.unwrap_or(main).profile.token.clone()),
    };
    (proposal, sub.is_none())
}

/// [`inspect`] with explicit credentials and options.
pub fn inspect_with(
    host: &str,
    credentials: Option<Credentials>,
    options: &InspectOptions,
) -> Result<Inspection, OnvifError> {
    let span = tracing::info_span!("onvif_inspect", host = %host);
    let _entered = span.enter();
    let client = Client::connect(host, credentials, options.config)?;
    let mut warnings = Vec::new();
    let info = client.get_device_information()?;
    let mac = match client.get_network_interfaces() {
        Ok(interfaces) => interfaces
            .iter()
            .filter(|i| i.enabled)
            .chain(interfaces.iter())
            .find_map(|i| i.mac.clone()),
        Err(e) => {
            warnings.push(Warning::CallFailed {
                message: format!("MAC unknown: {e}"),
            });
            None
        }
    };
    let media = client.preferred_media();
    let profiles = client.get_profiles(media)?;
    let mut inspected = Vec::with_capacity(profiles.len());
    for profile in profiles {
        let stream_uri = if profile.video.is_some() {
            match client.get_stream_uri(media, &profile.token) {
                Ok(uri) => Some(uri),
                Err(e) => {
                    warnings.push(Warning::CallFailed {
                        message: format!("profile {}: no stream URI: {e}", profile.token),
                    });
                    None
                }
            }
        } else {
            None
        };
        inspected.push(InspectedProfile {
            profile,
            stream_uri,
        });
    }
    let (proposal, no_sub) = propose(&inspected);
    let snapshot_uri = match &proposal.main {
        Some(token) => match client.get_snapshot_uri(media, token) {
            Ok(uri) => Some(uri),
            Err(e) => {
                warnings.push(Warning::CallFailed {
                    message: format!("no snapshot URI: {e}"),
                });
                None
            }
        },
        None => None,
    };
    if no_sub {
        warnings.push(Warning::NoSubStream);
    }
    let mut proposed: Vec<&str> = proposal.main.iter().map(String::as_str).collect();
    if let Some(sub) = &proposal.sub
        && !proposed.contains(&sub.as_str())
    {
        proposed.push(sub);
    }
    for token in proposed {
        let Some(video) = inspected
            .iter()
            .find(|p| p.profile.token == token)
            .and_then(|p| p.profile.video.as_ref())
        else {
            continue;
        };
        if let Some(interval_secs) = video.keyframe_interval_secs()
            && interval_secs > MAX_KEYFRAME_INTERVAL_SECS
        {
            warnings.push(Warning::SlowKeyframes {
                profile: token.to_owned(),
                interval_secs,
            });
        }
        if video.codec == "H265" && options.h265_hardware_decoder != Some(true) {
            warnings.push(Warning::H265 {
                profile: token.to_owned(),
                hardware_decoder: options.h265_hardware_decoder,
            });
        }
    }
    let clock_offset_secs = client.clock_offset().as_seconds_f64();
    if clock_offset_secs.abs() > MAX_CLOCK_OFFSET_SECS {
        warnings.push(Warning::ClockOff {
            offset_secs: clock_offset_secs,
        });
    }
    if !client.services().any_https() {
        warnings.push(Warning::PlainHttpOnly);
    }
    Ok(Inspection {
        host: client.host().to_owned(),
        device: DeviceIdentity::new(info, mac),
        profiles: inspected,
        snapshot_uri,
        proposal,
        warnings,
        clock_offset_secs,
        media,
        services: client.services().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::VideoEncoder;

    fn p(token: &str, codec: &str, w: u32, h: u32, uri: bool) -> InspectedProfile {
        InspectedProfile {
            profile: Profile {
                token: token.into(),
                name: token.into(),
                video: Some(VideoEncoder {
                    codec: codec.into(),
                    width: w,
                    height: h,
                    fps: Some(25.0),
                    gop: Some(50),
                    bitrate_kbps: None,
                }),
                ptz_configuration: None,
                service: MediaService::Media,
            },
            stream_uri: uri.then(|| format!("rtsp://cam/{token}")),
        }
    }

    #[test]
    fn main_is_largest_and_sub_smallest() {
        let profiles = [
            p("mid", "H264", 1280, 720, true),
            p("main", "H264", 1920, 1080, true),
            p("tiny", "H264", 352, 288, true),
            p("mjpeg4k", "JPEG", 3840, 2160, true),
        ];
        let (proposal, no_sub) = propose(&profiles);
        assert_eq!(proposal.main.as_deref(), Some("main"));
        assert_eq!(proposal.sub.as_deref(), Some("tiny"));
        assert!(!no_sub);
    }

    #[test]
    fn one_profile_is_both_and_says_so() {
        let (proposal, no_sub) = propose(&[p("only", "H265", 1920, 1080, true)]);
        assert_eq!(proposal.main.as_deref(), Some("only"));
        assert_eq!(proposal.sub.as_deref(), Some("only"));
        assert!(no_sub);
    }

    #[test]
    fn profiles_with_a_stream_uri_win() {
        let (proposal, _) = propose(&[
            p("big_without_uri", "H264", 3840, 2160, false),
            p("main", "H264", 1920, 1080, true),
            p("sub", "H264", 640, 360, true),
        ]);
        assert_eq!(proposal.main.as_deref(), Some("main"));
        assert_eq!(proposal.sub.as_deref(), Some("sub"));
        assert_eq!(propose(&[]).0, Proposal::default());
    }
}
