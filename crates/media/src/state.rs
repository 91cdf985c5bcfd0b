//! What a stream is doing, and why it failed, in words a guard understands.
//!
//! Owns: the stream state machine's states, failure reasons and their classification
//! from FFmpeg errors. Must not: perform I/O.

use std::fmt;
use std::time::{Duration, Instant};

/// Why a stream is not live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The camera answered 401: user name or password wrong.
    WrongCredentials,
    /// The camera answered 403.
    Forbidden,
    /// The camera answered 404: no stream at that path.
    StreamNotFound,
    /// Nothing accepts connections at that address and port.
    ConnectionRefused,
    /// No route to the host, the network is down, or the name does not resolve.
    HostUnreachable,
    /// The camera did not answer in time while connecting.
    Timeout,
    /// The stream was live, then packets stopped arriving.
    Stalled,
    /// The stream's codec cannot be decoded here.
    UnsupportedCodec(String),
    /// The source carries no video stream.
    NoVideo,
    /// A file source does not exist or cannot be read.
    FileNotFound,
    /// The data is not a video container or stream FFmpeg understands.
    NotVideo,
    /// The camera closed the stream.
    StreamEnded,
    /// The configured source is malformed.
    BadSource(String),
    /// The camera redirected to another address (redacted); not followed, so the
    /// credentials are never sent there.
    Redirected(String),
    /// Anything else, with FFmpeg's words.
    Other(String),
}

impl Failure {
    /// True when trying again without a change elsewhere cannot help soon (local files).
    pub fn is_permanent_for_files(&self) -> bool {
        matches!(
            self,
            Self::FileNotFound
                | Self::NotVideo
                | Self::NoVideo
                | Self::UnsupportedCodec(_)
                | Self::BadSource(_)
        )
    }

    /// True when the camera's port was not reachable, so a cheap TCP probe can tell
    /// when it comes back.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Self::ConnectionRefused
                | Self::HostUnreachable
                | Self::Timeout
                | Self::Stalled
                | Self::StreamEnded
        )
    }

    /// Classifies an FFmpeg error. `timed_out` tells that our own watchdog interrupted
    /// the call; `was_live` that the stream had delivered frames.
    pub fn from_ffmpeg(err: &ffmpeg_next::Error, timed_out: bool, was_live: bool) -> Self {
        use ffmpeg_next::Error as E;
        if timed_out {
            return if was_live {
                Self::Stalled
            } else {
                Self::Timeout
            };
        }
        match err {
            E::HttpUnauthorized => Self::WrongCredentials,
            E::HttpForbidden => Self::Forbidden,
            E::HttpNotFound | E::StreamNotFound => Self::StreamNotFound,
            E::InvalidData => Self::NotVideo,
            E::DecoderNotFound => Self::UnsupportedCodec(String::new()),
            E::Eof => Self::StreamEnded,
            E::Other { errno } => match *errno {
                libc::ECONNREFUSED => Self::ConnectionRefused,
                libc::EHOSTUNREACH | libc::ENETUNREACH | libc::ENETDOWN | libc::EHOSTDOWN => {
                    Self::HostUnreachable
                }
                libc::ETIMEDOUT => {
                    if was_live {
                        Self::Stalled
                    } else {
                        Self::Timeout
                    }
                }
                libc::ENOENT => Self::FileNotFound,
                libc::EACCES => Self::FileNotFound,
                libc::ECONNRESET | libc::EPIPE => Self::StreamEnded,
                // FFmpeg reports a name that does not resolve as EIO.
                libc::EIO => Self::HostUnreachable,
                _ => Self::Other(vigil_config::redact::redact(&err.to_string())),
            },
            other => Self::Other(vigil_config::redact::redact(&other.to_string())),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongCredentials => write!(f, "wrong user name or password (401)"),
            Self::Forbidden => write!(f, "access forbidden by the camera (403)"),
            Self::StreamNotFound => write!(f, "stream not found (404): check the path"),
            Self::ConnectionRefused => {
                write!(f, "connection refused: nothing listens at that port")
            }
            Self::HostUnreachable => write!(f, "host unreachable or name not resolved"),
            Self::Timeout => write!(f, "timed out: the camera does not answer"),
            Self::Stalled => write!(f, "no video for several seconds (stalled)"),
            Self::UnsupportedCodec(name) if name.is_empty() => write!(f, "unsupported codec"),
            Self::UnsupportedCodec(name) => write!(f, "unsupported codec: {name}"),
            Self::NoVideo => write!(f, "the source has no video stream"),
            Self::FileNotFound => write!(f, "file not found or not readable"),
            Self::NotVideo => write!(f, "not a video stream or file FFmpeg understands"),
            Self::StreamEnded => write!(f, "the camera closed the stream"),
            Self::BadSource(msg) => write!(f, "bad source: {msg}"),
            Self::Redirected(to) => write!(
                f,
                "the camera redirected to {to}: refused, so the password is not sent \
                 there (if that address is right, make it the camera's source)"
            ),
            Self::Other(msg) => write!(f, "{msg}"),
        }
    }
}

/// The visible state of one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamState {
    /// Not started, or stopped because no tile shows it.
    Idle,
    /// Opening the connection or file.
    Connecting,
    /// Frames are flowing.
    Live,
    /// Packets stopped; a reconnect follows at once.
    Stalled,
    /// Waiting to try again; `next_try` is a reading of the engine's clock (monotonic),
    /// the next try starts when the clock reaches it.
    Reconnecting { reason: Failure, next_try: Instant },
    /// Given up until the configuration changes.
    Offline { reason: Failure },
}

impl StreamState {
    /// A short word for the tile badge.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Stalled => "stalled",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Offline { .. } => "offline",
        }
    }

    /// The failure behind the state, if any.
    pub fn reason(&self) -> Option<&Failure> {
        match self {
            Self::Reconnecting { reason, .. } | Self::Offline { reason } => Some(reason),
            _ => None,
        }
    }

    /// One line for a person, e.g. "reconnecting in 3 s: connection refused"; `now` is
    /// the engine clock's monotonic reading.
    pub fn describe(&self, now: Instant) -> String {
        match self {
            Self::Reconnecting { reason, next_try } => {
                let secs = next_try
                    .saturating_duration_since(now)
                    .as_secs_f32()
                    .ceil()
                    .max(0.0);
                let secs = Duration::from_secs_f32(secs).as_secs();
                if *reason == Failure::WrongCredentials {
                    // The wait is long on purpose (account lockouts): say why first.
                    format!("{reason}; next try in {secs} s")
                } else {
                    format!("reconnecting in {secs} s: {reason}")
                }
            }
            Self::Offline { reason } => format!("offline: {reason}"),
            other => other.label().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffmpeg_next::Error as E;

    #[test]
    fn classifies_what_cameras_answer() {
        assert_eq!(
            Failure::from_ffmpeg(&E::HttpUnauthorized, false, false),
            Failure::WrongCredentials
        );
        assert_eq!(
            Failure::from_ffmpeg(&E::HttpNotFound, false, false),
            Failure::StreamNotFound
        );
        assert_eq!(
            Failure::from_ffmpeg(
                &E::Other {
                    errno: libc::ECONNREFUSED
                },
                false,
                false
            ),
            Failure::ConnectionRefused
        );
        assert_eq!(
            Failure::from_ffmpeg(
                &E::Other {
                    errno: libc::EHOSTUNREACH
                },
                false,
                false
            ),
            Failure::HostUnreachable
        );
        assert_eq!(
            Failure::from_ffmpeg(&E::Exit, true, false),
            Failure::Timeout
        );
        assert_eq!(Failure::from_ffmpeg(&E::Exit, true, true), Failure::Stalled);
        assert_eq!(
            Failure::from_ffmpeg(&E::InvalidData, false, false),
            Failure::NotVideo
        );
        assert!(Failure::NotVideo.is_permanent_for_files());
        assert!(Failure::ConnectionRefused.is_transport());
        assert!(!Failure::WrongCredentials.is_transport());
    }

    #[test]
    fn describes_states_for_people() {
        let now = Instant::now();
        let s = StreamState::Reconnecting {
            reason: Failure::ConnectionRefused,
            next_try: now + Duration::from_millis(2300),
        };
        assert_eq!(
            s.describe(now),
            "reconnecting in 3 s: connection refused: nothing listens at that port"
        );
        let s = StreamState::Offline {
            reason: Failure::WrongCredentials,
        };
        assert_eq!(
            s.describe(now),
            "offline: wrong user name or password (401)"
        );
        assert_eq!(StreamState::Live.describe(now), "live");
        let s = StreamState::Reconnecting {
            reason: Failure::WrongCredentials,
            next_try: now + Duration::from_millis(57_200),
        };
        assert_eq!(
            s.describe(now),
            "wrong user name or password (401); next try in 58 s"
        );
    }
}
