//! Progress of a long command (`archive seed`, `bench scrub`, `bench timeline`, and
//! any later one such as `export`) on stderr: an `indicatif` bar on a terminal, plain
//! lines otherwise, nothing with `--quiet`. The lines read
//!
//! ```text
//! progress archive-seed 37/120
//! ```
//!
//! (`progress TASK DONE/TOTAL`, DONE never falling), one at the start, at most one a
//! [`LINE_INTERVAL`] while it runs and one when it is done, so a log or a pipe gets a
//! bounded number of lines.
//!
//! Owns: choosing the form and drawing it. Must not: write to stdout (figures and
//! reports go there) or decide what counts as a step (the command does).

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The bar on screen, if any: log lines are written around it ([`write_stderr`]).
static BAR: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Writes `buf` to stderr, hiding the bar on screen (if any) while it does, so a log
/// line does not tear it. Logging's stderr writer goes through this.
pub fn write_stderr(buf: &[u8]) -> std::io::Result<()> {
    let bar = BAR.lock().ok().and_then(|b| b.clone());
    match bar {
        Some(bar) => bar.suspend(|| std::io::stderr().lock().write_all(buf)),
        None => std::io::stderr().lock().write_all(buf),
    }
}

fn set_bar(bar: Option<&indicatif::ProgressBar>) {
    if let Ok(mut slot) = BAR.lock() {
        *slot = bar.cloned();
    }
}

/// The shortest time between two progress lines.
pub const LINE_INTERVAL: Duration = Duration::from_millis(500);

/// How progress is shown; chosen once per run with [`Mode::detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// An `indicatif` bar on stderr (a terminal).
    Bar,
    /// `progress TASK DONE/TOTAL` lines on stderr (a pipe or a file).
    Lines,
    /// Nothing (`--quiet`).
    Off,
}

impl Mode {
    /// Off with `quiet`, a bar when stderr is a terminal, lines otherwise.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Off
        } else if std::io::stderr().is_terminal() {
            Self::Bar
        } else {
            Self::Lines
        }
    }
}

/// One task's progress: `set` or `inc` as steps are done, `finish` when all are.
/// Dropped unfinished (an error), a bar is cleared and no final line is written.
pub struct Progress {
    task: String,
    done: u64,
    total: u64,
    out: Out,
}

enum Out {
    Bar(indicatif::ProgressBar),
    Lines(Lines),
    Off,
}

impl Progress {
    /// Starts `task` (a short kebab-case name, e.g. `archive-seed`) of `total` steps;
    /// the total may be set later with [`Self::set_total`].
    pub fn start(mode: Mode, task: &str, total: u64) -> Self {
        let out = match mode {
            Mode::Bar => {
                let bar = indicatif::ProgressBar::with_draw_target(
                    Some(total),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{prefix} [{wide_bar}] {pos}/{len} ({eta} left)",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_prefix(task.to_owned());
                set_bar(Some(&bar));
                Out::Bar(bar)
            }
            Mode::Lines => Out::Lines(Lines::new(LINE_INTERVAL)),
            Mode::Off => Out::Off,
        };
        let mut progress = Self {
            task: task.to_owned(),
            done: 0,
            total,
            out,
        };
        progress.show(Instant::now(), false);
        progress
    }

    /// Changes the number of steps (when it is known only after starting).
    pub fn set_total(&mut self, total: u64) {
        self.total = total;
        if let Out::Bar(bar) = &self.out {
            bar.set_length(total);
        }
    }

    /// `done` steps of the total are done (a lower value than before is ignored).
    pub fn set(&mut self, done: u64) {
        if done > self.done {
            self.done = done;
            self.show(Instant::now(), false);
        }
    }

    /// `steps` more steps are done.
    pub fn inc(&mut self, steps: u64) {
        self.set(self.done.saturating_add(steps));
    }

    /// All steps are done: the bar ends full, the last line says `TOTAL/TOTAL`.
    pub fn finish(mut self) {
        self.done = self.total;
        self.show(Instant::now(), true);
        if let Out::Bar(bar) = &self.out {
            bar.finish_and_clear();
            set_bar(None);
        }
        self.out = Out::Off;
    }

    fn show(&mut self, now: Instant, last: bool) {
        match &mut self.out {
            Out::Bar(bar) => bar.set_position(self.done),
            Out::Lines(lines) => {
                if let Some(line) = lines.line(now, &self.task, self.done, self.total, last) {
                    // Progress is best effort: a closed stderr must not stop the work.
                    let mut err = std::io::stderr().lock();
                    writeln!(err, "{line}").ok();
                    err.flush().ok();
                }
            }
            Out::Off => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Out::Bar(bar) = &self.out {
            bar.abandon();
            set_bar(None);
        }
    }
}

/// Decides when a progress line is due: the first, then at most one per interval
/// when the count moved, and the last always.
#[derive(Debug)]
struct Lines {
    interval: Duration,
    last_at: Option<Instant>,
    last_done: Option<u64>,
}

impl Lines {
    fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_at: None,
            last_done: None,
        }
    }

    fn line(
        &mut self,
        now: Instant,
        task: &str,
        done: u64,
        total: u64,
        last: bool,
    ) -> Option<String> {
        let due = match self.last_at {
            None => true,
            Some(at) => {
                last || (self.last_done != Some(done) && now.duration_since(at) >= self.interval)
            }
        };
        if !due || (last && self.last_done == Some(done) && self.last_at.is_some()) {
            return None;
        }
        self.last_at = Some(now);
        self.last_done = Some(done);
        Some(format!("progress {task} {done}/{total}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A progress line read back: `(task, done, total)`.
    fn parse_line(line: &str) -> Option<(&str, u64, u64)> {
        let rest = line.strip_prefix("progress ")?;
        let (task, count) = rest.split_once(' ')?;
        let (done, total) = count.split_once('/')?;
        Some((task, done.parse().ok()?, total.parse().ok()?))
    }

    #[test]
    fn lines_are_bounded_in_rate_and_end_with_the_total() {
        let mut lines = Lines::new(Duration::from_millis(500));
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut shown = Vec::new();
        // 1000 steps over 2.5 s: a step every 2.5 ms.
        for step in 0..=1000u64 {
            if let Some(line) = lines.line(ms(step * 5 / 2), "t", step, 1000, false) {
                shown.push(line);
            }
        }
        if let Some(line) = lines.line(ms(2501), "t", 1000, 1000, true) {
            shown.push(line);
        }
        assert_eq!(shown.first().map(String::as_str), Some("progress t 0/1000"));
        assert_eq!(
            shown.last().map(String::as_str),
            Some("progress t 1000/1000")
        );
        // 2.5 s at one line per 0.5 s: the first, five more, and no repeat of the last.
        assert!(shown.len() <= 7, "{shown:?}");
        let dones: Vec<u64> = shown
            .iter()
            .map(|l| parse_line(l).expect("parses").1)
            .collect();
        assert!(dones.windows(2).all(|w| w[0] < w[1]), "{dones:?}");
    }

    #[test]
    fn the_last_line_comes_even_when_fast() {
        let mut lines = Lines::new(Duration::from_secs(60));
        let now = Instant::now();
        assert!(lines.line(now, "t", 0, 3, false).is_some());
        assert!(lines.line(now, "t", 2, 3, false).is_none());
        assert_eq!(
            lines.line(now, "t", 3, 3, true).as_deref(),
            Some("progress t 3/3")
        );
    }

    #[test]
    fn parse_line_reads_what_is_written() {
        assert_eq!(
            parse_line("progress archive-seed 37/120"),
            Some(("archive-seed", 37, 120))
        );
        assert_eq!(parse_line("progress x 1/"), None);
        assert_eq!(parse_line("2026 INFO something"), None);
    }

    #[test]
    fn off_and_set_never_go_back() {
        let mut p = Progress::start(Mode::Off, "t", 10);
        p.set(5);
        p.set(3);
        assert_eq!(p.done, 5);
        p.inc(2);
        assert_eq!(p.done, 7);
        p.finish();
    }
}
