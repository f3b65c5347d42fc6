//! The dpkg analyzer against dpkg itself: this machine's status database, read by both.

use std::collections::BTreeSet;
use std::process::Command;

use kura_analyzer::{Analyzer, FileInput};

type Row = (String, String, String, String, String);

#[test]
fn host_status_file_reads_like_dpkg_query() {
    let Some(dpkg_query) = kura_testutil::require_tool("dpkg-query") else {
        return;
    };
    let status = std::fs::read("/var/lib/dpkg/status")
        .expect("dpkg-query is installed, so is its status file");
    let out = Command::new(dpkg_query)
        .args([
            "-W",
            "-f=${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\n",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: BTreeSet<Row> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 6 && f[0] == "installed").then(|| {
                (
                    f[1].into(),
                    f[2].into(),
                    f[3].into(),
                    f[4].into(),
                    f[5].into(),
                )
            })
        })
        .collect();
    assert!(!want.is_empty());

    let found = kura_analyzer::os::Dpkg
        .analyze(&FileInput {
            path: "var/lib/dpkg/status",
            mode: 0o644,
            data: &status,
        })
        .unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    // dpkg-query prints the binary's own name and version where there is no Source field.
    let got: BTreeSet<Row> = found
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
                p.source_name.clone().unwrap_or_else(|| p.name.clone()),
                p.source_version
                    .clone()
                    .unwrap_or_else(|| p.version.clone()),
            )
        })
        .collect();
    assert_eq!(got.len(), found.packages.len(), "duplicate packages");
    assert_eq!(got, want);
}
