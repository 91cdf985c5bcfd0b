//! The panel under the wall: transport controls (live, play/pause, speed, direction,
//! frame step, previous/next event, go to date, instant replay, bookmarks) and the
//! export range above the recordings timeline of the layout's cameras, with hover
//! thumbnails.
//!
//! Owns: the timeline's view state, the tracks last read for it and when to read them
//! again, the thumbnail texture, and the panel's text fields. Must not: seek players or
//! write the index — it returns [`Command`]s for the core (seeks, bookmarks) and asks
//! the core's [`TimelineData`] reader for reads.

use std::time::{Duration, Instant};

use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime};
use egui::{Color32, RichText, Role};

use crate::a11y::Named as _;
use crate::export_dialog::{ExportControls, ExportInput};
use crate::timeline::ticks;
use crate::timeline::{
    TimeRange, TimeView, TimelineCommand, TimelineState, Track, WallNanos, timeline_ui,
};
use vigil_config::CameraId;
use vigil_core::Command;
use vigil_core::timeline_data::{BookmarkRow, Request, Response, Row, TimelineData};
use vigil_playback::SeekMode;
use vigil_time::{NANOS_PER_HOUR, NANOS_PER_SEC};

/// Playback speeds offered, in each direction.
pub const SPEEDS: [f64; 8] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// How far back instant replay jumps.
pub const REPLAY_SECONDS: [i64; 3] = [10, 30, 60];

/// The go-to-time field's accessible name.
pub const GOTO_LABEL: &str = "Go to time";

/// A drag that rests this long asks for the exact frame under the playhead.
const DRAG_REST: Duration = Duration::from_millis(150);

/// Tracks are read again this often, so new recordings appear…
const REFRESH: Duration = Duration::from_secs(2);
/// …or, when a read takes long (a month of a dozen cameras), this many times as long
/// as the last read took, so the reader never keeps a core busy.
const REFRESH_COST_FACTOR: u32 = 20;

/// What the panel needs from the app this frame.
pub struct PanelInput<'a> {
    /// The layout's cameras, in tile order: the timeline's rows.
    pub rows: Vec<Row>,
    /// `Some(position)` while reviewing.
    pub position: Option<WallNanos>,
    pub paused: bool,
    /// The playback speed (signed: negative plays backwards), reviewing or not.
    pub speed: f64,
    /// The selected tile's camera: bookmarks and replay act on it.
    pub selected_camera: Option<&'a CameraId>,
    /// The recording index's reader (none: no storage folder, the timeline stays
    /// empty).
    pub data: Option<&'a TimelineData>,
    /// The core's wall-clock time.
    pub now: WallNanos,
    /// The running or last evidence export.
    pub export_status: Option<&'a vigil_core::ExportStatus>,
    /// The signing key's fingerprint, while the export window is open.
    pub fingerprint: Option<&'a Result<String, String>>,
    /// Where export bundles go by default.
    pub export_folder: &'a std::path::Path,
}

/// The timeline panel's state.
pub struct TimelinePanel {
    pub state: TimelineState,
    tracks: Vec<Track>,
    loaded: Option<(Vec<Row>, TimeRange, Instant)>,
    /// When the read in flight was asked for; how long the last one took.
    waiting_since: Option<Instant>,
    last_read: Duration,
    follow_now: bool,
    thumb: Option<(String, WallNanos, egui::TextureHandle)>,
    last_thumb_request: Option<(String, WallNanos)>,
    goto_text: String,
    bookmark_note: String,
    bookmarks: Vec<BookmarkRow>,
    /// Top of the panel: hover thumbnails sit just above it, over the wall.
    top: f32,
    /// During a drag: the last preview seek, and when; `None` once its exact frame
    /// has been asked for.
    drag_preview: Option<(WallNanos, Instant)>,
    /// A new bookmark covers this many seconds before and after the position.
    bookmark_span: (u32, u32),
    /// The export range fields and window.
    export: ExportControls,
}

impl TimelinePanel {
    /// A panel whose view ends just after `now`.
    pub fn new(now: WallNanos) -> Self {
        let view = TimeView::from_range(
            now.saturating_add_nanos(-3 * NANOS_PER_HOUR),
            now.saturating_add_nanos(NANOS_PER_HOUR / 10),
            800.0,
        );
        Self {
            state: TimelineState::new_local(view),
            tracks: Vec::new(),
            loaded: None,
            waiting_since: None,
            last_read: Duration::ZERO,
            follow_now: true,
            thumb: None,
            last_thumb_request: None,
            goto_text: String::new(),
            bookmark_note: String::new(),
            bookmarks: Vec::new(),
            top: 0.0,
            drag_preview: None,
            bookmark_span: (10, 10),
            export: ExportControls::default(),
        }
    }

    /// Whether the export window is open.
    pub fn export_open(&self) -> bool {
        self.export.is_open()
    }

    /// The tracks shown (for tests).
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The hover thumbnail last made: its camera, time and size in pixels.
    pub fn thumbnail(&self) -> Option<(&str, WallNanos, [usize; 2])> {
        self.thumb
            .as_ref()
            .map(|(camera, time, texture)| (camera.as_str(), *time, texture.size()))
    }

    /// Draws the panel; returns what the user asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, input: &PanelInput<'_>) -> Vec<Command> {
        let mut actions = Vec::new();
        self.top = ui.max_rect().top();
        let now = input.now;
        self.poll(input.data, &mut actions);
        if input.position.is_none() && !self.state.is_scrubbing() {
            self.state.playhead = None;
        } else if !self.state.is_scrubbing() {
            self.state.playhead = input.position;
        }
        self.follow(now, input.position);
        self.request_tracks(input.data, &input.rows, now);

        self.transport_ui(ui, input, now, &mut actions);
        self.export.range_ui(ui, &mut self.state.selection, now);
        ui.add_space(2.0);
        let before = self.state.view;
        let commands = timeline_ui(ui, &mut self.state, &self.tracks, now);
        let mut zoomed = false;
        for command in commands {
            match command {
                TimelineCommand::Seek { time, dragging } => {
                    self.drag_preview = dragging.then(|| (time, Instant::now()));
                    actions.push(Command::Seek {
                        time,
                        mode: if dragging {
                            SeekMode::Preview
                        } else {
                            SeekMode::Exact
                        },
                    });
                }
                TimelineCommand::ZoomChanged { .. } => zoomed = true,
                TimelineCommand::Hover { time, camera } => {
                    self.hover(ui, input, time, camera);
                }
            }
        }
        self.rest_exact(ui.ctx(), &mut actions);
        let cameras: Vec<CameraId> = input.rows.iter().map(|r| r.camera.clone()).collect();
        actions.extend(self.export.window_ui(
            ui.ctx(),
            self.state.selection,
            &ExportInput {
                now,
                layout_cameras: &cameras,
                selected_camera: input.selected_camera,
                status: input.export_status,
                fingerprint: input.fingerprint,
                default_folder: input.export_folder,
            },
        ));
        if self.state.view.start != before.start
            && !zoomed
            && self.state.view.width_px == before.width_px
        {
            // The user panned away: stop following "now" until asked.
            self.follow_now = false;
        }
        actions
    }

    /// While the playhead is held still mid-drag, the keyframe preview gives way to
    /// the exact frame (once per rest).
    fn rest_exact(&mut self, ctx: &egui::Context, actions: &mut Vec<Command>) {
        if !self.state.is_scrubbing() {
            self.drag_preview = None;
            return;
        }
        let Some((time, at)) = self.drag_preview else {
            return;
        };
        let rested = at.elapsed();
        if rested >= DRAG_REST {
            actions.push(Command::Seek {
                time,
                mode: SeekMode::Exact,
            });
            self.drag_preview = None;
        } else {
            ctx.request_repaint_after(DRAG_REST - rested);
        }
    }

    fn poll(&mut self, data: Option<&TimelineData>, actions: &mut Vec<Command>) {
        let Some(data) = data else { return };
        while let Some(response) = data.poll() {
            match response {
                Response::Tracks {
                    cameras,
                    range,
                    tracks,
                } => {
                    self.tracks = tracks;
                    self.loaded = Some((cameras, range, Instant::now()));
                    if let Some(asked) = self.waiting_since.take() {
                        self.last_read = asked.elapsed();
                    }
                }
                Response::Marker { forward, time } => match time {
                    Some(time) => actions.push(Command::Seek {
                        time,
                        mode: SeekMode::Exact,
                    }),
                    None => actions.push(Command::Say(
                        if forward {
                            "No later event or bookmark"
                        } else {
                            "No earlier event or bookmark"
                        }
                        .to_owned(),
                    )),
                },
                Response::Bookmarks(rows) => self.bookmarks = rows,
                Response::Changed(text) => {
                    actions.push(Command::Say(text));
                    self.loaded = None;
                }
                Response::Error(text) => {
                    self.waiting_since = None;
                    actions.push(Command::Say(format!("Recordings: {text}")));
                }
            }
        }
    }

    /// Keeps "now" (live) or the playhead (review) in view.
    fn follow(&mut self, now: WallNanos, position: Option<WallNanos>) {
        let view = self.state.view;
        let span = view.span_nanos();
        match position {
            None if self.follow_now => {
                // Now sits 95 % of the way across.
                #[allow(clippy::cast_possible_truncation)]
                let start = now.saturating_add_nanos(-(span * 0.95) as i64);
                self.state.view.start = start;
            }
            Some(p) if !self.state.is_scrubbing() => {
                let x = view.x_from_time(p);
                if x < 0.0 || x > view.width_px {
                    self.state.view = TimeView::centered_on(p, span, view.width_px);
                }
            }
            _ => {}
        }
    }

    fn request_tracks(&mut self, data: Option<&TimelineData>, rows: &[Row], now: WallNanos) {
        let Some(data) = data else {
            if self.tracks.len() != rows.len() {
                self.tracks = rows.iter().map(|row| Track::new(&row.name)).collect();
            }
            return;
        };
        if self.waiting_since.is_some() {
            return;
        }
        let refresh = REFRESH.max(self.last_read * REFRESH_COST_FACTOR);
        let view = self.state.view;
        let shown = TimeRange::new(view.start, view.end());
        let fresh = self.loaded.as_ref().is_some_and(|(cams, range, at)| {
            cams.as_slice() == rows
                && range.start <= shown.start
                && range.end >= shown.end.min(now)
                && at.elapsed() < refresh
                // Reading a wider stretch than shown keeps pans smooth; a much narrower
                // view (zoomed in) wants finer merging.
                && range.duration_nanos() < shown.duration_nanos().saturating_mul(8)
        });
        if fresh {
            return;
        }
        #[allow(clippy::cast_possible_truncation)]
        let span = view.span_nanos() as i64;
        let range = TimeRange::new(
            view.start.saturating_add_nanos(-span),
            view.end().saturating_add_nanos(span),
        );
        #[allow(clippy::cast_possible_truncation)]
        let merge_nanos = ((view.nanos_per_px * 2.0) as i64).max(2 * NANOS_PER_SEC);
        if data.send(Request::Tracks {
            cameras: rows.to_vec(),
            range,
            merge_nanos,
        }) {
            self.waiting_since = Some(Instant::now());
        }
    }

    fn hover(
        &mut self,
        ui: &egui::Ui,
        input: &PanelInput<'_>,
        time: WallNanos,
        camera: Option<usize>,
    ) {
        let Some(data) = input.data else { return };
        let Some(Row { camera: id, .. }) = camera.and_then(|row| input.rows.get(row)) else {
            return;
        };
        let Some(track) = camera.and_then(|row| self.tracks.get(row)) else {
            return;
        };
        if track.recording_at(time).is_none() {
            return;
        }
        // Ask again only when the pointer moved a few points.
        let moved = self.last_thumb_request.as_ref().is_none_or(|(c, t)| {
            c != id || (t.nanos_since(time).abs() as f64) > self.state.view.nanos_per_px * 3.0
        });
        if moved {
            data.want_thumbnail(id, time);
            self.last_thumb_request = Some((id.to_string(), time));
        }
        while let Some((cam, thumb)) = data.poll_thumbnail() {
            let image = egui::ColorImage::from_rgba_unmultiplied(
                [thumb.width as usize, thumb.height as usize],
                &thumb.rgba,
            );
            let texture =
                ui.ctx()
                    .load_texture("timeline-thumbnail", image, egui::TextureOptions::LINEAR);
            self.thumb = Some((cam, thumb.time, texture));
        }
        let Some((cam, at, texture)) = &self.thumb else {
            return;
        };
        if cam != id {
            return;
        }
        let Some(pointer) = ui.ctx().pointer_hover_pos() else {
            return;
        };
        let size = texture.size_vec2();
        let top = (self.top - size.y - 30.0).max(0.0);
        let left = (pointer.x - size.x / 2.0).max(0.0);
        let label = ticks::format_full(*at, &Local, self.state.view.nanos_per_px.min(1e7));
        egui::Area::new(egui::Id::unique("timeline-thumbnail"))
            .order(egui::Order::Tooltip)
            .fixed_pos(egui::pos2(left, top))
            .interactable(false)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.image((texture.id(), size));
                    ui.label(RichText::new(label).small());
                });
            });
    }

    fn transport_ui(
        &mut self,
        ui: &mut egui::Ui,
        input: &PanelInput<'_>,
        now: WallNanos,
        actions: &mut Vec<Command>,
    ) {
        let reviewing = input.position.is_some();
        ui.horizontal_wrapped(|ui| {
            if reviewing {
                if ui
                    .button(RichText::new("⏺ Live").color(Color32::from_rgb(235, 80, 70)))
                    .on_hover_text("Back to live (L)")
                    .named_button("Back to live")
                    .clicked()
                {
                    actions.push(Command::Live);
                }
            } else {
                ui.label(
                    RichText::new("⏺ LIVE")
                        .strong()
                        .color(Color32::from_rgb(70, 200, 90)),
                );
            }
            ui.separator();
            let cameras: Vec<CameraId> = input.rows.iter().map(|r| r.camera.clone()).collect();
            let from = input.position.unwrap_or(now);
            if ui
                .button("⏮")
                .on_hover_text("Previous event or bookmark")
                .named_button("Previous event")
                .clicked()
            {
                find_marker(input.data, &cameras, from, false, actions);
            }
            if ui
                .add_enabled(reviewing, egui::Button::new("⏴|"))
                .on_hover_text("Previous frame (←)")
                .named_button("Previous frame")
                .clicked()
            {
                actions.push(Command::Step(-1));
            }
            let playing = reviewing && !input.paused;
            if ui
                .add_enabled(
                    reviewing,
                    egui::Button::new(if playing { "⏸" } else { "⏵" }),
                )
                .on_hover_text("Play / pause (Space)")
                .named_button(if playing { "Pause" } else { "Play" })
                .clicked()
            {
                actions.push(if playing {
                    Command::Pause
                } else {
                    Command::Play
                });
            }
            if ui
                .add_enabled(reviewing, egui::Button::new("|⏵"))
                .on_hover_text("Next frame (→)")
                .named_button("Next frame")
                .clicked()
            {
                actions.push(Command::Step(1));
            }
            if ui
                .button("⏭")
                .on_hover_text("Next event or bookmark")
                .named_button("Next event")
                .clicked()
            {
                find_marker(input.data, &cameras, from, true, actions);
            }
            ui.separator();
            // The app owns the speed (signed); the controls edit a copy of it.
            let mut magnitude = input.speed.abs();
            let mut reverse = input.speed < 0.0;
            let mut speed_changed = false;
            egui::ComboBox::new("review_speed", "Speed")
                .width(64.0)
                .selected_text(speed_label(magnitude))
                .show_ui(ui, |ui| {
                    for s in SPEEDS {
                        if ui
                            .selectable_label(magnitude == s, speed_label(s))
                            .named_toggle(Role::Button, magnitude == s, &speed_words(s))
                            .clicked()
                        {
                            magnitude = s;
                            speed_changed = true;
                        }
                    }
                });
            if ui
                .toggle_value(&mut reverse, "Reverse")
                .on_hover_text("Play backwards")
                .changed()
            {
                speed_changed = true;
            }
            if speed_changed {
                actions.push(Command::SetSpeed(if reverse {
                    -magnitude
                } else {
                    magnitude
                }));
            }
            ui.separator();
            let shown = input.position.unwrap_or(now);
            ui.label(
                RichText::new(ticks::format_full(shown, &Local, 1.0))
                    .monospace()
                    .color(if reviewing {
                        Color32::from_rgb(140, 190, 255)
                    } else {
                        Color32::from_gray(200)
                    }),
            );
            ui.separator();
            let goto = ui
                .add(
                    egui::TextEdit::singleline(&mut self.goto_text)
                        .desired_width(150.0)
                        .hint_text("YYYY-MM-DD HH:MM:SS"),
                )
                .named_text(GOTO_LABEL, &self.goto_text);
            let entered = goto.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .button("Go")
                .on_hover_text("Go to a date and time")
                .named_button("Go to the typed time")
                .clicked()
                || entered
            {
                match parse_goto(&self.goto_text, now) {
                    Ok(time) => actions.push(Command::Seek {
                        time,
                        mode: SeekMode::Exact,
                    }),
                    Err(err) => actions.push(Command::Say(err)),
                }
            }
            ui.separator();
            ui.label("Replay");
            for s in REPLAY_SECONDS {
                if ui
                    .button(format!("−{s} s"))
                    .on_hover_text(match input.selected_camera {
                        Some(_) => format!("Play the selected tile from {s} s ago"),
                        None => format!("Play the layout from {s} s ago"),
                    })
                    .named_button(&format!("Replay the last {s} seconds"))
                    .clicked()
                {
                    actions.push(Command::Replay {
                        tile: None,
                        seconds: s,
                    });
                }
            }
            ui.separator();
            self.bookmark_ui(ui, input, now, &cameras, actions);
            if !self.follow_now
                && !reviewing
                && ui
                    .button("Now")
                    .named_button("Follow the current time")
                    .clicked()
            {
                self.follow_now = true;
            }
            if self.waiting_since.is_some() {
                ui.spinner();
            }
        });
    }

    fn bookmark_ui(
        &mut self,
        ui: &mut egui::Ui,
        input: &PanelInput<'_>,
        now: WallNanos,
        cameras: &[CameraId],
        actions: &mut Vec<Command>,
    ) {
        let Some(data) = input.data else { return };
        let targets: Vec<CameraId> = match input.selected_camera {
            Some(c) => vec![c.clone()],
            None => cameras.to_vec(),
        };
        ui.menu_button("Bookmark…", |ui| {
            // The range around the position (live: up to now), in whole seconds.
            ui.horizontal(|ui| {
                ui.label("From");
                ui.add(
                    egui::DragValue::new(&mut self.bookmark_span.0)
                        .range(0..=3600)
                        .suffix(" s"),
                )
                .named(Role::SpinButton, "Seconds before");
                ui.label("before to");
                ui.add_enabled(
                    input.position.is_some(),
                    egui::DragValue::new(&mut self.bookmark_span.1)
                        .range(0..=3600)
                        .suffix(" s"),
                )
                .named(Role::SpinButton, "Seconds after");
                ui.label("after");
            });
            let at = input.position.unwrap_or(now);
            let after = if input.position.is_some() {
                self.bookmark_span.1
            } else {
                0
            };
            let range = TimeRange::new(
                at.saturating_add_nanos(-i64::from(self.bookmark_span.0) * NANOS_PER_SEC),
                at.saturating_add_nanos(i64::from(after) * NANOS_PER_SEC)
                    .min(now)
                    .max(at.saturating_add_nanos(1)),
            );
            ui.label(format!(
                "{} – {} on {}",
                ticks::format_clock(range.start, &Local, 1e9),
                ticks::format_clock(range.end, &Local, 1e9),
                match input.selected_camera {
                    Some(c) => c.to_string(),
                    None => format!("{} cameras", targets.len()),
                }
            ));
            ui.label("Note");
            ui.text_edit_singleline(&mut self.bookmark_note)
                .named_text("Bookmark note", &self.bookmark_note);
            if ui
                .add_enabled(!targets.is_empty(), egui::Button::new("Add bookmark"))
                .clicked()
            {
                actions.push(Command::AddBookmark {
                    cameras: targets.clone(),
                    range,
                    note: std::mem::take(&mut self.bookmark_note),
                });
                ui.close();
            }
        });
        let menu = ui.menu_button("Bookmarks", |ui| {
            if self.bookmarks.is_empty() {
                ui.label("No bookmarks on these cameras");
            }
            egui::ScrollArea::vertical()
                .max_height(300.0)
                .show(ui, |ui| {
                    for b in &self.bookmarks {
                        ui.horizontal(|ui| {
                            let text = format!(
                                "{}  {}  {}",
                                ticks::format_full(b.range.start, &Local, 1e9),
                                b.camera,
                                b.note
                            );
                            if ui.button(text).on_hover_text("Go there").clicked() {
                                actions.push(Command::Seek {
                                    time: b.range.start,
                                    mode: SeekMode::Exact,
                                });
                                ui.close();
                            }
                            if ui
                                .small_button("✖")
                                .on_hover_text("Remove")
                                .named_button("Remove bookmark")
                                .clicked()
                            {
                                actions.push(Command::RemoveBookmark(b.id));
                            }
                        });
                    }
                });
        });
        if menu.response.clicked() {
            data.send(Request::Bookmarks {
                cameras: cameras.to_vec(),
            });
        }
    }
}

pub fn speed_label(s: f64) -> String {
    if s < 1.0 {
        format!("1/{:.0}×", 1.0 / s)
    } else {
        format!("{s:.0}×")
    }
}

/// A speed as a screen reader should say it: "1/8 speed", "16 times speed".
pub fn speed_words(s: f64) -> String {
    if s < 1.0 {
        format!("1/{:.0} speed", 1.0 / s)
    } else {
        format!("{s:.0} times speed")
    }
}

/// Parses a local date and time typed by a person: `2026-11-26 14:03:27`,
/// `2026-11-26 14:03`, `14:03:27` or `14:03` (today). Errors say what was wrong.
pub fn parse_goto(text: &str, now: WallNanos) -> Result<WallNanos, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type a date and time, e.g. 2026-11-26 14:03:27".to_owned());
    }
    let time = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
            .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
    };
    let naive = match text.split_once([' ', 'T']) {
        Some((date, clock)) => {
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| format!("'{date}' is not a date like 2026-11-26"))?;
            let clock =
                time(clock.trim()).map_err(|_| format!("'{clock}' is not a time like 14:03:27"))?;
            NaiveDateTime::new(date, clock)
        }
        None => {
            let clock = time(text).map_err(|_| format!("'{text}' is not a time like 14:03:27"))?;
            NaiveDateTime::new(now.to_local().date_naive(), clock)
        }
    };
    let instant = ticks::instants_at_local(&naive, &Local)
        .into_iter()
        .next()
        .ok_or_else(|| format!("{naive} does not exist in local time (clocks changed)"))?;
    if instant > now {
        return Err(format!("{naive} is in the future"));
    }
    Ok(instant)
}

/// Asks the index for the nearest event or bookmark before (after) `from`.
fn find_marker(
    data: Option<&TimelineData>,
    cameras: &[CameraId],
    from: WallNanos,
    forward: bool,
    actions: &mut Vec<Command>,
) {
    let sent = data.is_some_and(|d| {
        d.send(Request::FindMarker {
            cameras: cameras.to_vec(),
            from,
            forward,
        })
    });
    if !sent {
        actions.push(Command::Say("No recordings to search".to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_to_parses_dates_and_times_and_explains_errors() {
        let now = WallNanos::now();
        let earlier = now.saturating_add_nanos(-2 * NANOS_PER_HOUR);
        let local = earlier.to_local();
        let text = local.format("%Y-%m-%d %H:%M:%S").to_string();
        let parsed = parse_goto(&text, now).expect("valid");
        assert!((parsed.nanos_since(earlier)).abs() < NANOS_PER_SEC);
        assert!(parse_goto("", now).is_err());
        let err = parse_goto("2026-13-40 10:00", now).expect_err("invalid");
        assert!(err.contains("2026-13-40"), "{err}");
        let err = parse_goto("2026-11-26 25:00", now).expect_err("invalid");
        assert!(err.contains("25:00"), "{err}");
        let future = now.saturating_add_nanos(48 * NANOS_PER_HOUR).to_local();
        let err =
            parse_goto(&future.format("%Y-%m-%d %H:%M").to_string(), now).expect_err("invalid");
        assert!(err.contains("future"), "{err}");
    }

    #[test]
    fn speeds_read_as_fractions_and_multiples() {
        assert_eq!(speed_label(0.125), "1/8×");
        assert_eq!(speed_label(0.5), "1/2×");
        assert_eq!(speed_label(16.0), "16×");
        assert_eq!(speed_words(0.125), "1/8 speed");
        assert_eq!(speed_words(2.0), "2 times speed");
    }
}
