//! Choosing the analyzers for a file and running them, shared by the layer and directory walks.

use crate::{AnalyzerResult, EntryWarning, FileRecord, Limits};
use kura_analyzer::{Analyzer, FileFindings, FileInput};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// `S_IFREG` (POSIX `<sys/stat.h>`): analyzers receive type bits along with permissions.
pub(crate) const S_IFREG: u32 = 0o100_000;

/// Which analyzers will read a file, and which wanted it but cannot take its size.
pub(crate) struct Plan<'a> {
    pub(crate) readers: Vec<&'a dyn Analyzer>,
    pub(crate) too_big: Vec<(&'a str, u64)>,
}

impl Plan<'_> {
    /// No analyzer is interested at all: the file is not recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.readers.is_empty() && self.too_big.is_empty()
    }
}

/// Ask every analyzer about a file.
pub(crate) fn plan<'a>(
    analyzers: &[&'a dyn Analyzer],
    path: &str,
    mode: u32,
    size: u64,
    limits: &Limits,
) -> Plan<'a> {
    let mut p = Plan {
        readers: Vec::new(),
        too_big: Vec::new(),
    };
    for &a in analyzers {
        if !a.wants(path, mode, size) {
            continue;
        }
        let cap = a.max_size().min(limits.max_file_bytes);
        if size > cap {
            p.too_big.push((a.id(), cap));
        } else {
            p.readers.push(a);
        }
    }
    p
}

/// Warnings for analyzers that wanted a file too big for them.
pub(crate) fn size_warnings(plan: &Plan<'_>, path: &str, size: u64) -> Vec<EntryWarning> {
    plan.too_big
        .iter()
        .map(|(id, cap)| EntryWarning {
            path: Some(path.to_string()),
            analyzer: Some((*id).to_string()),
            message: format!("file is {size} bytes, over the {cap}-byte cap: not analyzed"),
        })
        .collect()
}

/// Run the planned analyzers on a file's content. An analyzer error or panic becomes a warning
/// naming the analyzer and the file; the other analyzers still run.
pub(crate) fn run(
    plan: &Plan<'_>,
    path: &str,
    mode: u32,
    data: &[u8],
    warnings: &mut Vec<EntryWarning>,
) -> FileRecord {
    let mut record = FileRecord {
        mode,
        size: data.len() as u64,
        results: Vec::with_capacity(plan.readers.len()),
    };
    let input = FileInput { path, mode, data };
    for a in &plan.readers {
        let warn = |message: String| EntryWarning {
            path: Some(path.to_string()),
            analyzer: Some(a.id().to_string()),
            message,
        };
        match catch_unwind(AssertUnwindSafe(|| a.analyze(&input))) {
            Ok(Ok(mut findings)) => {
                // Analyzer warnings live once, in the layer's warning list.
                let found = std::mem::take(&mut findings.warnings);
                warnings.extend(found.into_iter().map(warn));
                record.results.push(AnalyzerResult {
                    analyzer: a.id().to_string(),
                    findings,
                });
            }
            Ok(Err(e)) => warnings.push(warn(e.to_string())),
            Err(_) => warnings.push(warn("analyzer panicked on this file".to_string())),
        }
    }
    record
}

/// Re-home findings read at `from` to the path `to` (a hard link or a reused record): every
/// location equal to `/from`, or inside it (`/from!/nested`), is rewritten.
pub(crate) fn rehome(record: &FileRecord, from: &str, to: &str) -> FileRecord {
    let old = format!("/{from}");
    let new = format!("/{to}");
    let fix = |p: &mut String| {
        // Only the path itself or a location inside it (`/app.jar!/lib/x.jar`).
        if let Some(rest) = p.strip_prefix(&old)
            && (rest.is_empty() || rest.starts_with(['!', '/', ':', '#']))
        {
            *p = format!("{new}{rest}");
        }
    };
    let mut out = record.clone();
    for r in &mut out.results {
        let f: &mut FileFindings = &mut r.findings;
        for p in &mut f.packages {
            fix(&mut p.location.path);
        }
        if let Some(os) = &mut f.os {
            fix(&mut os.source_path);
        }
    }
    out
}
