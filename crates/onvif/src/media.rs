//! Media (ver10) and Media2 (ver20) calls: GetProfiles with each profile's video
//! encoder settings (codec, resolution, frame rate, GOP, bitrate) and whether it has a
//! PTZ configuration, GetStreamUri (RTP unicast over RTSP) and GetSnapshotUri. URIs come
//! back checked and without credentials.
//! Must not: choose streams (that is `inspect`).

use crate::client::Client;
use crate::error::{ErrorKind, OnvifError};
use crate::sanitize::{clean_uri, display_safe};
use crate::wsse::escape;
use crate::xml::Element;

const MEDIA_NS: &str = "http://www.onvif.org/ver10/media/wsdl";
const MEDIA2_NS: &str = "http://www.onvif.org/ver20/media/wsdl";

/// Which media service answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaService {
    Media,
    Media2,
}

/// A profile's video encoder settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VideoEncoder {
    /// "H264", "H265", "JPEG", "MPEG4" (upper case, as the device names it).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// The frame rate limit.
    pub fps: Option<f64>,
    /// Frames between keyframes (GovLength).
    pub gop: Option<u32>,
    pub bitrate_kbps: Option<u32>,
}

impl VideoEncoder {
    /// Width × height.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Seconds between keyframes, when GOP and frame rate are known.
    pub fn keyframe_interval_secs(&self) -> Option<f64> {
        let fps = self.fps.filter(|f| *f > 0.0)?;
        Some(f64::from(self.gop?) / fps)
    }
}

/// A media profile.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Profile {
    pub token: String,
    pub name: String,
    pub video: Option<VideoEncoder>,
    /// The token of its PTZ configuration, when it has one.
    pub ptz_configuration: Option<String>,
    pub service: MediaService,
}

fn number<T: std::str::FromStr>(e: &Element, path: &[&str]) -> Option<T> {
    e.text_at(path)?.trim().parse().ok()
}

/// Codec names as Vigil writes them: Media2 says "H265"/"H264" (or MIME names such as
/// "H.265"), Media says "H264".
fn codec(raw: &str) -> String {
    let upper = raw.trim().to_ascii_uppercase().replace('.', "");
    match upper.as_str() {
        "HEVC" => "H265".to_owned(),
        "AVC" => "H264".to_owned(),
        _ => display_safe(&upper),
    }
}

fn encoder_media1(e: &Element) -> Option<VideoEncoder> {
    let codec_name = codec(e.text_at(&["Encoding"])?);
    let gop = number(e, &["H264", "GovLength"]).or_else(|| number(e, &["MPEG4", "GovLength"]));
    Some(VideoEncoder {
        width: number(e, &["Resolution", "Width"])?,
        height: number(e, &["Resolution", "Height"])?,
        fps: number(e, &["RateControl", "FrameRateLimit"]),
        gop,
        bitrate_kbps: number(e, &["RateControl", "BitrateLimit"]),
        codec: codec_name,
    })
}

fn encoder_media2(e: &Element) -> Option<VideoEncoder> {
    Some(VideoEncoder {
        codec: codec(e.text_at(&["Encoding"])?),
        width: number(e, &["Resolution", "Width"])?,
        height: number(e, &["Resolution", "Height"])?,
        fps: number(e, &["RateControl", "FrameRateLimit"]),
        gop: e
            .attribute("GovLength")
            .and_then(|g| g.parse().ok())
            .or_else(|| number(e, &["GovLength"])),
        bitrate_kbps: number(e, &["RateControl", "BitrateLimit"]),
    })
}

fn profile(p: &Element, service: MediaService) -> Profile {
    let (video, ptz) = match service {
        MediaService::Media => (
            p.child("VideoEncoderConfiguration")
                .and_then(encoder_media1),
            p.child("PTZConfiguration"),
        ),
        MediaService::Media2 => {
            let configs = p.child("Configurations");
            (
                configs
                    .and_then(|c| c.child("VideoEncoder"))
                    .and_then(encoder_media2),
                configs.and_then(|c| c.child("PTZ")),
            )
        }
    };
    Profile {
        token: p.attribute("token").map(display_safe).unwrap_or_default(),
        name: p.text_at(&["Name"]).map(display_safe).unwrap_or_default(),
        video,
        ptz_configuration: ptz.map(|c| c.attribute("token").map(display_safe).unwrap_or_default()),
        service,
    }
}

/// Parses a GetProfiles response of either service.
pub fn parse_profiles(response: &Element, service: MediaService) -> Vec<Profile> {
    response
        .children_named("Profiles")
        .map(|p| profile(p, service))
        .filter(|p| !p.token.is_empty())
        .collect()
}

impl Client {
    fn media_url(&self, call: &str, service: MediaService) -> Result<&str, OnvifError> {
        let url = match service {
            MediaService::Media => self.services.media.as_deref(),
            MediaService::Media2 => self.services.media2.as_deref(),
        };
        url.ok_or_else(|| {
            self.error(
                call,
                ErrorKind::NoService {
                    service: match service {
                        MediaService::Media => "Media",
                        MediaService::Media2 => "Media2",
                    },
                },
            )
        })
    }

    /// The media service to use: Media2 when offered (it describes H.265), else Media.
    pub fn preferred_media(&self) -> MediaService {
        if self.services.media2.is_some() {
            MediaService::Media2
        } else {
            MediaService::Media
        }
    }

    /// GetProfiles on `service`.
    pub fn get_profiles(&self, service: MediaService) -> Result<Vec<Profile>, OnvifError> {
        let call = "GetProfiles";
        let url = self.media_url(call, service)?;
        let r = match service {
            MediaService::Media => self.call(
                url,
                call,
                &format!("{MEDIA_NS}/GetProfiles"),
                "<trt:GetProfiles/>",
            )?,
            MediaService::Media2 => self.call(
                url,
                call,
                &format!("{MEDIA2_NS}/GetProfiles"),
                "<tr2:GetProfiles><tr2:Type>All</tr2:Type></tr2:GetProfiles>",
            )?,
        };
        Ok(parse_profiles(&r, service))
    }

    /// GetStreamUri for RTP unicast over RTSP, without credentials.
    pub fn get_stream_uri(
        &self,
        service: MediaService,
        profile: &str,
    ) -> Result<String, OnvifError> {
        let call = "GetStreamUri";
        let url = self.media_url(call, service)?;
        let token = escape(profile);
        let r = match service {
            MediaService::Media => self.call(
                url,
                call,
                &format!("{MEDIA_NS}/GetStreamUri"),
                &format!(
                    "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>{token}</trt:ProfileToken></trt:GetStreamUri>"
                ),
            )?,
            MediaService::Media2 => self.call(
                url,
                call,
                &format!("{MEDIA2_NS}/GetStreamUri"),
                &format!("<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>{token}</tr2:ProfileToken></tr2:GetStreamUri>"),
            )?,
        };
        self.media_uri(
            call,
            &r,
            ("the stream URI", "stream URI"),
            &["rtsp", "rtsps"],
        )
    }

    /// GetSnapshotUri (an http(s) URL of a JPEG), without credentials.
    pub fn get_snapshot_uri(
        &self,
        service: MediaService,
        profile: &str,
    ) -> Result<String, OnvifError> {
        let call = "GetSnapshotUri";
        let url = self.media_url(call, service)?;
        let token = escape(profile);
        let (ns, prefix) = match service {
            MediaService::Media => (MEDIA_NS, "trt"),
            MediaService::Media2 => (MEDIA2_NS, "tr2"),
        };
        let r = self.call(
            url,
            call,
            &format!("{ns}/GetSnapshotUri"),
            &format!("<{prefix}:GetSnapshotUri><{prefix}:ProfileToken>{token}</{prefix}:ProfileToken></{prefix}:GetSnapshotUri>"),
        )?;
        self.media_uri(
            call,
            &r,
            ("the snapshot URI", "snapshot URI"),
            &["http", "https"],
        )
    }

    /// The `MediaUri/Uri` (Media) or `Uri` (Media2) of a Get…Uri answer, checked to be
    /// a URL with one of `schemes` and no credentials. `names` name it when missing
    /// and when unusable.
    fn media_uri(
        &self,
        call: &'static str,
        answer: &Element,
        (missing, what): (&'static str, &'static str),
        schemes: &[&'static str],
    ) -> Result<String, OnvifError> {
        let raw = answer
            .text_at(&["MediaUri", "Uri"])
            .or_else(|| answer.text_at(&["Uri"]))
            .ok_or_else(|| self.error(call, ErrorKind::Missing { what: missing }))?;
        clean_uri(raw, schemes).map_err(|e| {
            self.error(
                call,
                ErrorKind::Invalid {
                    what,
                    detail: e.to_string(),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Media2 GetProfiles response written from the ver20 media WSDL (no real-device
    /// capture of Media2 is among the fixtures): GovLength is an attribute there.
    #[test]
    fn media2_profiles_parse() {
        let doc = br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tr2="http://www.onvif.org/ver20/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><tr2:GetProfilesResponse>
<tr2:Profiles token="Profile_1" fixed="true"><tr2:Name>mainStream</tr2:Name><tr2:Configurations>
<tr2:VideoEncoder token="VE1" GovLength="50" Profile="Main"><tt:Name>VE1</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H265</tt:Encoding>
<tt:Resolution><tt:Width>3840</tt:Width><tt:Height>2160</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:BitrateLimit>8192</tt:BitrateLimit></tt:RateControl><tt:Quality>3</tt:Quality></tr2:VideoEncoder>
<tr2:PTZ token="PTZ1"><tt:Name>PTZ</tt:Name></tr2:PTZ></tr2:Configurations></tr2:Profiles>
</tr2:GetProfilesResponse></s:Body></s:Envelope>"#;
        let body = crate::soap::response_body(doc).expect("body");
        let profiles = parse_profiles(&body, MediaService::Media2);
        assert_eq!(profiles.len(), 1);
        let v = profiles[0].video.as_ref().expect("video");
        assert_eq!((v.codec.as_str(), v.width, v.height), ("H265", 3840, 2160));
        assert_eq!(
            (v.fps, v.gop, v.bitrate_kbps),
            (Some(25.0), Some(50), Some(8192))
        );
        assert_eq!(v.keyframe_interval_secs(), Some(2.0));
        assert_eq!(profiles[0].ptz_configuration.as_deref(), Some("PTZ1"));
    }
}
