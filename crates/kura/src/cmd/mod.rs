//! One module per command.

pub mod analyzers;
pub mod common;
pub mod db;
pub mod registry;
pub mod sbom;
pub mod scan;

use crate::Global;
use kura_types::ScanWarning;

/// Print scan warnings on stderr (at most a screenful; JSON output carries them all).
pub fn print_warnings(warnings: &[ScanWarning], g: &Global) {
    if g.quiet {
        return;
    }
    const SHOWN: usize = 20;
    for w in warnings.iter().take(SHOWN) {
        let mut at = Vec::new();
        if let Some(p) = &w.path {
            at.push(p.clone());
        }
        if let Some(l) = &w.layer {
            at.push(format!("layer {l}"));
        }
        if let Some(a) = &w.analyzer {
            at.push(format!("analyzer {a}"));
        }
        if at.is_empty() {
            eprintln!("warning: {}", w.message);
        } else {
            eprintln!("warning: {}: {}", at.join(", "), w.message);
        }
    }
    if warnings.len() > SHOWN {
        eprintln!("warning: … and {} more", warnings.len() - SHOWN);
    }
}
