//! What a stream worker needs to open a source, and the FFmpeg options it opens it with.
//!
//! Owns: the per-stream specification and the demuxer options (transport, buffering,
//! probe sizes, socket timeouts). Must not: read the site file or keep credentials
//! anywhere but in memory.

use std::path::PathBuf;
use std::time::Duration;

pub use vigil_config::Transport;
use vigil_config::redact::{Credentials, SourceSpec};

/// Time limits a worker enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// Connect, handshake and first packet must finish within this.
    pub open: Duration,
    /// A live stream with no packet for this long is stalled.
    pub stall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            open: Duration::from_secs(5),
            stall: Duration::from_secs(3),
        }
    }
}

/// Names one stream of one camera ("lobby" / "sub").
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    pub camera_id: String,
    pub stream: String,
}

impl std::fmt::Display for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.camera_id, self.stream)
    }
}

/// The name of a camera's main stream.
pub const MAIN_STREAM: &str = "main";

/// Everything a worker needs to open one stream of one camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    /// Stable camera id from the site file.
    pub camera_id: String,
    /// Which of the camera's streams: "main", "sub", … .
    pub stream: String,
    /// Display name, used in logs and thread names.
    pub camera_name: String,
    pub source: SourceSpec,
    pub transport: Transport,
    pub credentials: Option<Credentials>,
    /// For files: loop at the end and pace playback to real time, as if live.
    pub loop_file: bool,
    pub timeouts: Timeouts,
}

impl StreamSpec {
    /// A spec for a local file played as if live.
    pub fn file(camera_id: &str, camera_name: &str, path: impl Into<PathBuf>) -> Self {
        Self {
            camera_id: camera_id.to_owned(),
            camera_name: camera_name.to_owned(),
            stream: MAIN_STREAM.to_owned(),
            source: SourceSpec::File(path.into()),
            transport: Transport::Tcp,
            credentials: None,
            loop_file: true,
            timeouts: Timeouts::default(),
        }
    }

    pub fn key(&self) -> StreamKey {
        StreamKey {
            camera_id: self.camera_id.clone(),
            stream: self.stream.clone(),
        }
    }

    /// True for rtsp:// and rtsps:// sources.
    pub fn is_network(&self) -> bool {
        matches!(self.source, SourceSpec::Network(_))
    }

    /// The string FFmpeg opens. Contains the password for network sources: never log it.
    pub(crate) fn ffmpeg_url(&self) -> String {
        match &self.source {
            SourceSpec::Network(url) => url.to_ffmpeg_url(self.credentials.as_ref()),
            SourceSpec::File(path) => path.to_string_lossy().into_owned(),
        }
    }

    /// The source as it may be shown and logged (no credentials).
    pub fn display_source(&self) -> String {
        match &self.source {
            SourceSpec::Network(url) => url.to_string(),
            SourceSpec::File(path) => path.display().to_string(),
        }
    }

    /// Demuxer options: low-latency, small probe, socket timeouts; over UDP, RTP only
    /// from the camera's address.
    pub(crate) fn ffmpeg_options(&self) -> ffmpeg_next::Dictionary<'static> {
        let mut opts = ffmpeg_next::Dictionary::new();
        if self.is_network() {
            let transport = match self.transport {
                Transport::Tcp => "tcp",
                Transport::Udp => "udp",
            };
            opts.set("rtsp_transport", transport);
            if self.transport == Transport::Udp {
                // Accept RTP only from the camera's address: anyone on the network
                // can send packets to the UDP ports FFmpeg opened.
                opts.set("rtsp_flags", "filter_src");
            }
            opts.set("fflags", "nobuffer");
            opts.set("flags", "low_delay");
            opts.set("probesize", "262144");
            opts.set("analyzeduration", "500000");
            // Socket I/O timeout in microseconds (FFmpeg ≥ 5 calls it `timeout`).
            opts.set("timeout", &self.timeouts.open.as_micros().to_string());
            // UDP: wait at most this long for reordered packets.
            opts.set("max_delay", "200000");
            opts.set("user_agent", concat!("Vigil/", env!("CARGO_PKG_VERSION")));
        }
        opts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(transport: Transport) -> StreamSpec {
        StreamSpec {
            camera_id: "cam".into(),
            camera_name: "Cam".into(),
            stream: MAIN_STREAM.into(),
            source: vigil_config::redact::parse_source("rtsp://192.0.2.7:554/live").expect("valid"),
            transport,
            credentials: None,
            loop_file: false,
            timeouts: Timeouts::default(),
        }
    }

    #[test]
    fn udp_accepts_rtp_only_from_the_camera() {
        let udp = spec(Transport::Udp).ffmpeg_options();
        assert_eq!(udp.get("rtsp_transport"), Some("udp"));
        assert_eq!(udp.get("rtsp_flags"), Some("filter_src"));
        // Over TCP the media comes on the camera's own connection: nothing to filter.
        let tcp = spec(Transport::Tcp).ffmpeg_options();
        assert_eq!(tcp.get("rtsp_transport"), Some("tcp"));
        assert_eq!(tcp.get("rtsp_flags"), None);
    }
}
