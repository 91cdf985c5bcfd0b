//! The alerts' writer to the recording index (`vigil-events`): every detection and
//! health event becomes an `event` row with its severity, written when it starts and
//! ended when it ends, off the UI thread.
//!
//! Owns: its own index connection and the map from the core's event numbers to row
//! ids. Must not: block the caller (a bounded channel, `try_send`; a full one drops the
//! write with a warning).

use std::collections::HashMap;
use std::path::Path;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use vigil_store::{Severity, Store};

/// Writes waiting for the thread.
const QUEUE: usize = 256;

/// One write.
#[derive(Clone, Debug)]
pub enum Write {
    /// A new row; `token` names it for a later [`Write::End`].
    Start {
        token: u64,
        camera: String,
        kind: String,
        start_ns: i64,
        end_ns: Option<i64>,
        severity: Severity,
        note: String,
    },
    End {
        token: u64,
        end_ns: i64,
    },
}

/// The writer thread.
pub struct IndexWriter {
    tx: Option<Sender<Write>>,
    thread: Option<JoinHandle<()>>,
}

impl IndexWriter {
    /// Opens the index in `storage` on a new thread.
    pub fn start(storage: &Path) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let storage = storage.to_owned();
        let thread = std::thread::Builder::new()
            .name("vigil-events".to_owned())
            .spawn(move || run(&storage, &rx))?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn send(&self, write: Write) {
        if let Some(tx) = &self.tx
            && tx.try_send(write).is_err()
        {
            tracing::warn!("the event writer is behind: an event write was dropped");
        }
    }
}

impl Drop for IndexWriter {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the event writer panicked");
        }
    }
}

fn run(storage: &Path, rx: &Receiver<Write>) {
    let store = match Store::open(storage) {
        Ok(store) => store,
        Err(err) => {
            tracing::error!(%err, "events cannot be indexed: the index does not open");
            // Keep taking writes so the caller never sees a full queue.
            while rx.recv().is_ok() {}
            return;
        }
    };
    let mut rows: HashMap<u64, i64> = HashMap::new();
    while let Ok(write) = rx.recv() {
        match write {
            Write::Start {
                token,
                camera,
                kind,
                start_ns,
                end_ns,
                severity,
                note,
            } => match store.add_event_with(&camera, start_ns, end_ns, &kind, &note, severity) {
                Ok(id) => {
                    if end_ns.is_none() {
                        rows.insert(token, id);
                    }
                }
                Err(err) => tracing::warn!(camera = %camera, %kind, %err, "cannot index an event"),
            },
            Write::End { token, end_ns } => {
                if let Some(id) = rows.remove(&token)
                    && let Err(err) = store.end_event(id, end_ns)
                {
                    tracing::warn!(%err, "cannot end an indexed event");
                }
            }
        }
    }
}
