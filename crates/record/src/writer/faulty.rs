//! Segment files for tests: the real files on disk, with the n-th write or fsync
//! failing with a chosen errno (`ENOSPC` for a full disk, `EIO` for a bad one).
//!
//! Owns: counting writes and fsyncs across every file it creates, failing the chosen
//! ones, and remembering what each file held at its last fsync that worked. Must not:
//! fake what it does not fail — every other call goes to the real file.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::file::{RealFiles, SegmentFile, SegmentFiles};

/// How long an injected fault lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lasting {
    /// Only the chosen call fails.
    Once,
    /// The chosen call and every later one fail until [`FaultyFiles::heal`].
    UntilHealed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Write,
    Sync,
}

/// One call that was made to fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub path: PathBuf,
    pub op: Op,
    pub errno: i32,
    /// Where the failed write started (0 for an fsync).
    pub offset: u64,
    /// The file's length at its last fsync that worked (0 if none did).
    pub synced_len: u64,
}

#[derive(Clone, Copy, Debug)]
struct Fault {
    /// The call's number, counted from 1 over all files.
    at: u64,
    errno: i32,
    lasting: Lasting,
}

impl Fault {
    fn hits(self, call: u64) -> bool {
        call == self.at || (self.lasting == Lasting::UntilHealed && call > self.at)
    }
}

#[derive(Debug, Default)]
struct Plan {
    writes: u64,
    syncs: u64,
    write_fault: Option<Fault>,
    sync_fault: Option<Fault>,
    /// The write with this number (over all files) first waits this long.
    stall: Option<(u64, std::time::Duration)>,
    synced: HashMap<PathBuf, u64>,
    failures: Vec<Failure>,
}

/// [`SegmentFiles`] that fails what the test asks; cheap to clone (one shared plan).
#[derive(Clone, Debug, Default)]
pub(crate) struct FaultyFiles(Arc<Mutex<Plan>>);

impl FaultyFiles {
    fn plan(&self) -> MutexGuard<'_, Plan> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `nth` write from now (1 = the next one) fails with `errno`, after writing
    /// the first half of its bytes, as a disk that fills up mid-write does.
    pub fn fail_write(&self, nth: u64, errno: i32, lasting: Lasting) {
        let mut plan = self.plan();
        let at = plan.writes + nth;
        plan.write_fault = Some(Fault { at, errno, lasting });
    }

    /// The `nth` fsync from now (1 = the next one) fails with `errno`, syncing nothing.
    pub fn fail_sync(&self, nth: u64, errno: i32, lasting: Lasting) {
        let mut plan = self.plan();
        let at = plan.syncs + nth;
        plan.sync_fault = Some(Fault { at, errno, lasting });
    }

    /// The `nth` write from now waits `wait` before it goes through, as a disk that
    /// stops answering for a while does (the recorder falls behind its camera).
    pub fn stall_write(&self, nth: u64, wait: std::time::Duration) {
        let mut plan = self.plan();
        let at = plan.writes + nth;
        plan.stall = Some((at, wait));
    }

    /// Writes and fsyncs work again.
    pub fn heal(&self) {
        let mut plan = self.plan();
        plan.write_fault = None;
        plan.sync_fault = None;
    }

    /// The calls made to fail, oldest first.
    pub fn failures(&self) -> Vec<Failure> {
        self.plan().failures.clone()
    }

    /// `path`'s length at its last fsync that worked.
    pub fn synced_len(&self, path: &Path) -> Option<u64> {
        self.plan().synced.get(path).copied()
    }
}

impl SegmentFiles for FaultyFiles {
    fn create(&self, path: &Path) -> io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(FaultyFile {
            inner: RealFiles.create(path)?,
            path: path.to_path_buf(),
            files: self.clone(),
        }))
    }
}

struct FaultyFile {
    inner: Box<dyn SegmentFile>,
    path: PathBuf,
    files: FaultyFiles,
}

impl FaultyFile {
    /// Records a failure of `op` and returns its error.
    fn fail(&self, plan: &mut Plan, op: Op, errno: i32, offset: u64) -> io::Error {
        let synced_len = plan.synced.get(&self.path).copied().unwrap_or(0);
        plan.failures.push(Failure {
            path: self.path.clone(),
            op,
            errno,
            offset,
            synced_len,
        });
        io::Error::from_raw_os_error(errno)
    }
}

impl SegmentFile for FaultyFile {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let files = self.files.clone();
        let mut plan = files.plan();
        plan.writes += 1;
        let call = plan.writes;
        if let Some((_, wait)) = plan.stall.filter(|(at, _)| *at == call) {
            drop(plan);
            std::thread::sleep(wait);
            plan = files.plan();
        }
        match plan.write_fault.filter(|f| f.hits(call)) {
            Some(fault) => {
                // A torn write: part of the bytes reached the disk.
                self.inner.write_all_at(&buf[..buf.len() / 2], offset)?;
                Err(self.fail(&mut plan, Op::Write, fault.errno, offset))
            }
            None => self.inner.write_all_at(buf, offset),
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        let files = self.files.clone();
        let mut plan = files.plan();
        plan.syncs += 1;
        let call = plan.syncs;
        if let Some(fault) = plan.sync_fault.filter(|f| f.hits(call)) {
            return Err(self.fail(&mut plan, Op::Sync, fault.errno, 0));
        }
        self.inner.sync()?;
        let len = std::fs::metadata(&self.path)?.len();
        plan.synced.insert(self.path.clone(), len);
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.inner.truncate(len)
    }
}
