//! The video track of an opened FFmpeg input, described once: which stream it is, its
//! time base, codec parameters, picture size and codec name.
//!
//! Owns: that description (the segment seeder, reconciliation and recording all read
//! it the same way). Must not: read packets or decode.

use ffmpeg_next as ff;

/// An input's best video stream.
pub struct VideoTrack {
    pub index: usize,
    pub time_base: ff::Rational,
    pub parameters: ff::codec::Parameters,
    /// 0×0 when the parameters do not say.
    pub width: u32,
    pub height: u32,
    /// FFmpeg's codec name, e.g. `h264`.
    pub codec: String,
}

impl VideoTrack {
    /// The best video stream of `input`, or `None` when it has none.
    pub fn of(input: &ff::format::context::Input) -> Option<Self> {
        let stream = input.streams().best(ff::media::Type::Video)?;
        let parameters = stream.parameters();
        let (width, height) = ff::codec::context::Context::from_parameters(parameters.clone())
            .and_then(|c| c.decoder().video())
            .map(|d| (d.width(), d.height()))
            .unwrap_or((0, 0));
        Some(Self {
            index: stream.index(),
            time_base: stream.time_base(),
            codec: parameters.id().name().to_owned(),
            parameters,
            width,
            height,
        })
    }
}
