//! `vigil generate`: the shell completions (`clap_complete`) and the man pages
//! (`clap_mangen`), made from the same clap definition as `--help`, at packaging time
//! (`scripts/package-deb.sh`). The pages get ENVIRONMENT and EXIT STATUS sections
//! from the tables in [`super::env`].
//!
//! Must not: install anything (the packaging script puts the files in place).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::CommandFactory as _;

use super::Cli;
use super::env::{EXIT_CODES, read_by};

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "vigil", out);
}

/// Writes `vigil.1` and one page per visible subcommand (`vigil-doctor.1`,
/// `vigil-bench-scrub.1`, …) into `dir`, creating it; returns the pages written.
pub fn man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    write_pages(&cmd, &[], dir, &mut written)?;
    Ok(written)
}

fn write_pages(
    cmd: &clap::Command,
    words: &[&str],
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("vigil {}", env!("CARGO_PKG_VERSION")))
        .manual("Vigil Manual");
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    render_page(&man, cmd, words, &mut page)
        .with_context(|| format!("cannot render {}", path.display()))?;
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut sub_words = words.to_vec();
        sub_words.push(sub.get_name());
        write_pages(sub, &sub_words, dir, written)?;
    }
    Ok(())
}

/// clap_mangen's sections, then ENVIRONMENT and EXIT STATUS instead of its EXTRA
/// (the `--help` tail, which says the same in help's words).
fn render_page(
    man: &clap_mangen::Man,
    cmd: &clap::Command,
    words: &[&str],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    let vars = read_by(words);
    if !vars.is_empty() {
        writeln!(out, ".SH ENVIRONMENT")?;
        for var in vars {
            writeln!(
                out,
                ".TP\n\\fB{}\\fR\n{}",
                roff_text(var.name),
                roff_text(var.meaning)
            )?;
        }
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_CODES {
        writeln!(out, ".TP\n\\fB{code}\\fR\n{}", roff_text(meaning))?;
    }
    if words.is_empty() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// `text` as one line of roff text: backslashes and hyphens escaped, and a leading
/// `.` or `'` kept from being read as a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::env::VARIABLES;

    #[test]
    fn man_pages_for_every_visible_command_with_environment_and_exit_status() {
        let dir = tempfile::tempdir().expect("tempdir");
        let written = man_pages(dir.path()).expect("man pages");
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        for page in [
            "vigil.1",
            "vigil-doctor.1",
            "vigil-check-config.1",
            "vigil-bench-scrub.1",
            "vigil-archive-seed.1",
        ] {
            assert!(names.iter().any(|n| n == page), "{page} not in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("generate")), "{names:?}");
        let top = std::fs::read_to_string(dir.path().join("vigil.1")).expect("vigil.1");
        assert!(top.contains(".SH ENVIRONMENT"), "{top}");
        assert!(top.contains(".SH \"EXIT STATUS\""), "{top}");
        for var in VARIABLES {
            assert!(top.contains(&roff_text(var.name)), "{} in {top}", var.name);
        }
        assert!(!top.contains(".SH EXTRA"), "{top}");
        let seed = std::fs::read_to_string(dir.path().join("vigil-archive-seed.1")).expect("seed");
        let environment = seed
            .split(".SH ENVIRONMENT")
            .nth(1)
            .and_then(|rest| rest.split(".SH").next())
            .expect("an ENVIRONMENT section");
        assert!(environment.contains("\\fBRUST_LOG\\fR"), "{seed}");
        assert!(!environment.contains("VIGIL_HWACCEL"), "{seed}");
        assert!(
            seed.contains(&format!("\"vigil {}\"", env!("CARGO_PKG_VERSION"))),
            "{seed}"
        );
        assert!(
            seed.contains("\\-\\-quiet"),
            "the global options are there: {seed}"
        );
    }

    #[test]
    fn roff_text_escapes() {
        assert_eq!(roff_text("a-b \\x"), "a\\-b \\ex");
        assert_eq!(roff_text(".TH"), "\\&.TH");
        assert_eq!(roff_text("'off'"), "\\&'off'");
    }

    #[test]
    fn completions_name_the_subcommands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let text = String::from_utf8(out).expect("utf-8");
            for word in ["doctor", "check-config", "scrub", "log-level"] {
                assert!(text.contains(word), "{shell}: no {word}");
            }
        }
    }
}
