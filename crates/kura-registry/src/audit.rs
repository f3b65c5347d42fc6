//! Tamper-evident audit log (requirement S7).
//!
//! Each entry stores `prev_hash` and `hash = sha256(prev_hash "\n" canonical-json)`, where the
//! canonical JSON is the sequence number followed by the record's fields in a fixed order. Editing,
//! deleting or reordering any entry breaks the chain from that point; the head row catches a
//! truncated tail. Retention deletes a prefix and keeps the last deleted entry's hash as a
//! checkpoint, so the remaining chain still verifies.
//!
//! Events reach the database through [`AuditSink`], a channel drained by one writer thread that
//! appends in batches, so request latency never waits on the audit fsync.

use crate::meta::{AuditEntry, AuditRecord, MetaError, MetaStore};
use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::sync::Arc;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(serde::Serialize, serde::Deserialize)]
struct Canonical<'a> {
    seq: u64,
    #[serde(flatten)]
    rec: std::borrow::Cow<'a, AuditRecord>,
}

/// The stored text of an entry, which is what the hash covers.
pub fn canonical(seq: u64, rec: &AuditRecord) -> String {
    serde_json::to_string(&Canonical {
        seq,
        rec: std::borrow::Cow::Borrowed(rec),
    })
    .unwrap_or_default()
}

/// Decode the stored text back into a record.
pub fn decode(body: &str) -> Result<AuditRecord, serde_json::Error> {
    serde_json::from_str::<Canonical<'static>>(body).map(|c| c.rec.into_owned())
}

/// The chain hash.
pub fn chain_hash(prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// A chain break found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An entry's contents no longer hash to its stored hash.
    #[error("entry {seq}: content was modified (hash mismatch)")]
    Modified {
        /// Entry.
        seq: u64,
    },
    /// An entry does not link to its predecessor.
    #[error("entry {seq}: does not follow entry {prev_seq} (deleted or reordered entries)")]
    Broken {
        /// Entry.
        seq: u64,
        /// Expected predecessor.
        prev_seq: u64,
    },
    /// Sequence numbers skip.
    #[error("entries {after}..{seq} are missing")]
    Gap {
        /// Last good.
        after: u64,
        /// Next found.
        seq: u64,
    },
    /// The log ends before the recorded head.
    #[error("log ends at {last}, head says {head}: entries were removed from the end")]
    Truncated {
        /// Last entry present.
        last: u64,
        /// Head sequence number.
        head: u64,
    },
    /// The head hash does not match the last entry.
    #[error("head hash does not match entry {seq}")]
    HeadMismatch {
        /// Entry.
        seq: u64,
    },
}

/// Result of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub checked: u64,
    /// First sequence number checked.
    pub first: Option<u64>,
    /// Last sequence number checked.
    pub last: Option<u64>,
    /// Problems found (empty = intact).
    pub problems: Vec<ChainError>,
}

/// Walk the whole chain from the checkpoint (or genesis) and report every break.
pub fn verify(meta: &dyn MetaStore) -> Result<VerifyReport, MetaError> {
    let cp = meta.audit_checkpoint()?;
    let (mut prev_seq, mut prev_hash) = cp
        .map(|c| (c.seq, c.hash))
        .unwrap_or((0, GENESIS.to_owned()));
    let mut report = VerifyReport {
        checked: 0,
        first: None,
        last: None,
        problems: Vec::new(),
    };
    let mut after = 0;
    loop {
        let batch = meta.audit_entries(after, 10_000)?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            report.first.get_or_insert(e.seq);
            report.last = Some(e.seq);
            report.checked += 1;
            if chain_hash(&e.prev_hash, &canonical(e.seq, &e.record)) != e.hash {
                report.problems.push(ChainError::Modified { seq: e.seq });
            }
            if e.seq != prev_seq + 1 {
                report.problems.push(ChainError::Gap {
                    after: prev_seq,
                    seq: e.seq,
                });
            } else if e.prev_hash != prev_hash {
                report.problems.push(ChainError::Broken {
                    seq: e.seq,
                    prev_seq,
                });
            }
            prev_seq = e.seq;
            prev_hash = e.hash.clone();
            after = e.seq;
        }
    }
    if let Some(head) = meta.audit_head()? {
        if head.seq > prev_seq {
            report.problems.push(ChainError::Truncated {
                last: prev_seq,
                head: head.seq,
            });
        } else if head.seq == prev_seq && head.hash != prev_hash {
            report
                .problems
                .push(ChainError::HeadMismatch { seq: prev_seq });
        }
    }
    Ok(report)
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line, with `seq`, `prev_hash` and `hash`.
    JsonLines,
    /// RFC 5424 syslog lines with a `kura@32473` structured-data element.
    Syslog,
}

/// Write every entry with `seq > after` to `out`; returns how many.
pub fn export(
    meta: &dyn MetaStore,
    after: u64,
    fmt: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let host = hostname();
    let mut n = 0;
    let mut after = after;
    loop {
        let batch = meta.audit_entries(after, 10_000)?;
        if batch.is_empty() {
            return Ok(n);
        }
        for e in &batch {
            match fmt {
                ExportFormat::JsonLines => {
                    serde_json::to_writer(&mut *out, e).map_err(|e| ExportError::Io(e.into()))?;
                    out.write_all(b"\n")?;
                }
                ExportFormat::Syslog => writeln!(out, "{}", syslog_line(e, &host))?,
            }
            n += 1;
            after = e.seq;
        }
    }
}

/// Export failures.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the log.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// Writing the output.
    #[error("writing export: {0}")]
    Io(#[from] std::io::Error),
}

/// RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`. Facility 13 (log audit),
/// severity 5 (notice) for success and 4 (warning) otherwise.
pub fn syslog_line(e: &AuditEntry, host: &str) -> String {
    let r = &e.record;
    let sev = if r.result == "ok" { 5 } else { 4 };
    let pri = 13 * 8 + sev;
    // RFC 5424 §6.3.3: escape `"`, `\` and `]` inside PARAM-VALUE.
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace(']', "\\]")
    };
    let msgid: String = r
        .action
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    format!(
        "<{pri}>1 {} {host} kura - {} [kura@32473 seq=\"{}\" actor=\"{}\" src=\"{}\" repo=\"{}\" ref=\"{}\" digest=\"{}\" result=\"{}\" hash=\"{}\"] {} {} {}",
        r.time,
        if msgid.is_empty() {
            "-".to_owned()
        } else {
            msgid
        },
        e.seq,
        esc(&r.actor),
        esc(&r.source),
        esc(&r.repository),
        esc(&r.reference),
        esc(&r.digest),
        esc(&r.result),
        e.hash,
        r.actor,
        r.action,
        r.result,
    )
}

fn hostname() -> String {
    fs_err::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty() && s.is_ascii())
        .unwrap_or_else(|| "-".to_owned())
}

/// Sends events to the writer thread. Cloning is cheap.
#[derive(Clone)]
pub struct AuditSink {
    tx: std::sync::mpsc::Sender<Msg>,
}

enum Msg {
    Record(AuditRecord),
    Flush(std::sync::mpsc::Sender<()>),
}

impl AuditSink {
    /// Start the writer thread.
    pub fn start(meta: Arc<dyn MetaStore>) -> AuditSink {
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        std::thread::Builder::new()
            .name("kura-audit".into())
            .spawn(move || writer(meta, rx))
            .map_err(|e| tracing::error!(error = %e, "cannot start audit writer"))
            .ok();
        AuditSink { tx }
    }

    /// Queue an event.
    pub fn record(&self, rec: AuditRecord) {
        if self.tx.send(Msg::Record(rec)).is_err() {
            tracing::error!("audit writer is gone; event lost");
        }
    }

    /// Wait until everything queued so far is written.
    pub fn flush(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

fn writer(meta: Arc<dyn MetaStore>, rx: std::sync::mpsc::Receiver<Msg>) {
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::new();
        let mut waiters = Vec::new();
        let mut push = |m: Msg, batch: &mut Vec<AuditRecord>| match m {
            Msg::Record(r) => batch.push(r),
            Msg::Flush(w) => waiters.push(w),
        };
        push(first, &mut batch);
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(m) => push(m, &mut batch),
                Err(_) => break,
            }
        }
        if !batch.is_empty()
            && let Err(e) = meta.audit_append(&batch)
        {
            tracing::error!(error = %e, n = batch.len(), "audit append failed");
        }
        for w in waiters {
            let _ = w.send(());
        }
    }
}
