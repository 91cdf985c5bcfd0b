//! The core's audit writer: every operator action the core handles is appended to the
//! recording index's hash-chained `audit` table (`vigil_store::audit`) on a worker
//! thread (`vigil-audit`), and the newest entries are kept for the app's panel.
//!
//! Owns: the writer thread and the in-memory copy of the newest entries. Must not:
//! decide what is audited (the driver does), block the UI for longer than a full queue
//! takes to drain, or drop an entry silently (a failure is reported to the status bar).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};

use vigil_media::Notify;
pub use vigil_store::AuditEntry;
use vigil_store::{NewAuditEntry, Store};

/// Entries kept in memory for the panel (the newest).
pub const KEPT_ENTRIES: usize = 5000;
/// Entries waiting to be written; operators act at human speed.
const QUEUE: usize = 256;
/// How long a caller waits for room in a full queue before reporting a failure.
const SEND_WAIT: Duration = Duration::from_secs(2);

enum Message {
    Append(NewAuditEntry),
    /// Answered once everything sent before it is written.
    Flush(Sender<()>),
}

/// What the writer shares with its owner.
#[derive(Default)]
struct Shared {
    entries: Vec<AuditEntry>,
    /// The last failure to write, until it is taken.
    failure: Option<String>,
}

/// The audit trail writer (see the module docs).
pub struct AuditLog {
    sender: Option<Sender<Message>>,
    shared: Arc<Mutex<Shared>>,
    thread: Option<JoinHandle<()>>,
}

impl AuditLog {
    /// No storage folder: nothing is recorded.
    pub fn off() -> Self {
        Self {
            sender: None,
            shared: Arc::default(),
            thread: None,
        }
    }

    /// Starts the writer on the index in `storage`.
    pub fn start(storage: &Path, notify: Notify) -> Self {
        let (sender, receiver) = bounded(QUEUE);
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let dir = storage.to_path_buf();
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("vigil-audit".to_owned())
            .spawn(move || run(&dir, &receiver, &worker_shared, &notify));
        match thread {
            Ok(thread) => Self {
                sender: Some(sender),
                shared,
                thread: Some(thread),
            },
            Err(err) => {
                tracing::error!(%err, "cannot start the audit writer");
                shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .failure = Some(format!("the audit trail is off: {err}"));
                Self {
                    sender: None,
                    shared,
                    thread: None,
                }
            }
        }
    }

    /// Whether entries are written anywhere.
    pub fn is_on(&self) -> bool {
        self.sender.is_some()
    }

    /// Queues `entry`; `Err` says why it will not be written.
    pub fn record(&self, entry: NewAuditEntry) -> Result<(), String> {
        let Some(sender) = &self.sender else {
            return Err("no storage folder: the audit trail is off".to_owned());
        };
        sender
            .send_timeout(Message::Append(entry), SEND_WAIT)
            .map_err(|_| "the audit trail writer is not keeping up or has stopped".to_owned())
    }

    /// Waits (up to `timeout`) until every entry queued so far is written.
    pub fn flush(&self, timeout: Duration) -> bool {
        let Some(sender) = &self.sender else {
            return true;
        };
        let (done, wait) = bounded(1);
        sender.send_timeout(Message::Flush(done), timeout).is_ok()
            && wait.recv_timeout(timeout).is_ok()
    }

    /// The newest entries (at most [`KEPT_ENTRIES`]), oldest first.
    pub fn entries(&self) -> Vec<AuditEntry> {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .clone()
    }

    /// The last failure to write, once.
    pub fn take_failure(&self) -> Option<String> {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failure
            .take()
    }

    /// Writes what is queued and stops the thread.
    pub fn finish(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the audit writer panicked");
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.finish();
    }
}

fn run(dir: &Path, receiver: &Receiver<Message>, shared: &Mutex<Shared>, notify: &Notify) {
    let fail = |why: String| {
        tracing::error!(reason = %why, "audit trail");
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failure = Some(why);
        notify();
    };
    let store = match Store::open(dir) {
        Ok(store) => store,
        Err(err) => {
            fail(format!("cannot open the audit trail: {err}"));
            // Answer flushes so nobody waits; entries are lost and said so.
            for message in receiver {
                match message {
                    Message::Append(entry) => fail(format!(
                        "audit entry not written ({} on {}): the index cannot be opened",
                        entry.action, entry.target
                    )),
                    Message::Flush(done) => {
                        done.try_send(()).ok();
                    }
                }
            }
            return;
        }
    };
    match store.audit_tail(KEPT_ENTRIES) {
        Ok(entries) => {
            shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entries = entries;
            notify();
        }
        Err(err) => fail(format!("cannot read the audit trail: {err}")),
    }
    for message in receiver {
        match message {
            Message::Append(entry) => match store.append_audit(&entry) {
                Ok(stored) => {
                    tracing::info!(
                        id = stored.id,
                        action = %stored.action,
                        target = %stored.target,
                        role = %stored.role,
                        "audit"
                    );
                    let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    shared.entries.push(stored);
                    let over = shared.entries.len().saturating_sub(KEPT_ENTRIES);
                    shared.entries.drain(..over);
                    drop(shared);
                    notify();
                }
                Err(err) => fail(format!(
                    "audit entry not written ({} on {}): {err}",
                    entry.action, entry.target
                )),
            },
            Message::Flush(done) => {
                done.try_send(()).ok();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> NewAuditEntry {
        NewAuditEntry {
            time_ns: 1,
            operator: "op".to_owned(),
            role: "guard".to_owned(),
            action: action.to_owned(),
            target: "cam1".to_owned(),
            details: String::new(),
        }
    }

    #[test]
    fn entries_are_written_in_order_and_kept_for_the_panel() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut log = AuditLog::start(dir.path(), Arc::new(|| {}));
        log.record(entry("a")).expect("a");
        log.record(entry("b")).expect("b");
        assert!(log.flush(Duration::from_secs(10)));
        let actions: Vec<String> = log.entries().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["a", "b"]);
        log.finish();
        // A new writer starts from what is in the index.
        let log = AuditLog::start(dir.path(), Arc::new(|| {}));
        assert!(log.flush(Duration::from_secs(10)));
        assert_eq!(log.entries().len(), 2);
        let store = Store::open(dir.path()).expect("index");
        assert!(matches!(
            store.verify_audit().expect("verify"),
            vigil_store::AuditCheck::Intact { entries: 2, .. }
        ));
    }

    #[test]
    fn without_storage_recording_says_why() {
        let log = AuditLog::off();
        assert!(!log.is_on());
        assert!(log.record(entry("a")).is_err());
    }
}
