//! Hidden prompts on the terminal: one place that turns echo off, reads a line and
//! turns echo back on whatever happened (a read error, a closed terminal). Used for
//! every secret the command line asks for: ONVIF passwords, role passwords, the vault
//! passphrase.
//! Must not: print, log or keep what was typed, or take a secret from the arguments.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::Context as _;
use nix::sys::termios::{self, LocalFlags, SetArg, Termios};

/// The terminal's settings, put back when dropped (also on an early return or a panic).
struct EchoOff<'a> {
    tty: &'a std::fs::File,
    original: Termios,
}

impl<'a> EchoOff<'a> {
    fn new(tty: &'a std::fs::File) -> anyhow::Result<Self> {
        let original = termios::tcgetattr(tty).context("cannot read the terminal's settings")?;
        let mut silent = original.clone();
        silent.local_flags.remove(LocalFlags::ECHO);
        // The newline still shows, so the next output starts on its own line.
        silent.local_flags.insert(LocalFlags::ECHONL);
        termios::tcsetattr(tty, SetArg::TCSANOW, &silent).context("cannot turn echo off")?;
        Ok(Self { tty, original })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        if let Err(e) = termios::tcsetattr(self.tty, SetArg::TCSANOW, &self.original) {
            eprintln!("could not turn the terminal's echo back on ({e}); run `stty echo`");
        }
    }
}

/// Asks on the controlling terminal (`/dev/tty`, so it works with stdin or stdout
/// redirected) with echo off; the line without its line end. `hint` says what to do
/// instead when there is no terminal (an environment variable to set).
pub fn hidden(text: &str, hint: &str) -> anyhow::Result<String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .with_context(|| format!("cannot open the terminal; {hint}"))?;
    let line = {
        let _echo_off = EchoOff::new(&tty)?;
        let mut out = &tty;
        out.write_all(text.as_bytes())?;
        out.flush()?;
        let mut line = String::new();
        std::io::BufReader::new(&tty)
            .read_line(&mut line)
            .context("cannot read from the terminal")?;
        line
    };
    Ok(trim_line_end(line))
}

/// A secret from standard input: asked with echo off when stdin is a terminal, else
/// one line read as it comes (a script piping it in).
pub fn hidden_or_piped(text: &str, hint: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return hidden(text, hint);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the secret from standard input")?;
    Ok(trim_line_end(line))
}

fn trim_line_end(mut line: String) -> String {
    let kept = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(kept);
    line
}

#[cfg(test)]
mod tests {
    use super::trim_line_end;

    #[test]
    fn only_the_line_end_is_trimmed() {
        assert_eq!(trim_line_end(" p@ss word \r\n".into()), " p@ss word ");
        assert_eq!(trim_line_end("\n".into()), "");
        assert_eq!(trim_line_end("tab\t".into()), "tab\t");
    }
}
