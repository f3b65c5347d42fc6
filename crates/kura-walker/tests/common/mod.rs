//! A small test analyzer and a tar builder with links and raw names.
#![allow(dead_code)]

use kura_analyzer::{AnalyzeError, Analyzer, FileFindings, FileInput};
use kura_types::{Ecosystem, Location, OsInfo, Package};

/// Reads `*pkgs.txt` files: one `name version` per line. `!panic` panics, `!bad` fails.
/// Also reads `etc/os-release` and `usr/lib/os-release` (ID and VERSION_ID only).
pub struct TestAnalyzer;

impl Analyzer for TestAnalyzer {
    fn id(&self) -> &'static str {
        "test-pkgs"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "test packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/pkgs.txt", "etc/os-release", "usr/lib/os-release"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        path.ends_with("pkgs.txt") || path == "etc/os-release" || path == "usr/lib/os-release"
    }
    fn max_size(&self) -> u64 {
        1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = std::str::from_utf8(input.data)
            .map_err(|e| AnalyzeError::malformed("pkgs", input.path, e))?;
        let mut out = FileFindings::default();
        if input.path.ends_with("os-release") {
            let get = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_string()
            };
            out.os = Some(OsInfo {
                id: get("ID"),
                version: get("VERSION_ID"),
                release: get("VERSION_ID"),
                source_path: format!("/{}", input.path),
                ..Default::default()
            });
            return Ok(out);
        }
        for line in text.lines() {
            match line.trim() {
                "" => {}
                "!panic" => panic!("test analyzer asked to panic"),
                "!bad" => return Err(AnalyzeError::malformed("pkgs", input.path, "asked to fail")),
                "!warn" => out.warnings.push("odd line".into()),
                l => {
                    let (name, version) = l.split_once(' ').unwrap_or((l, ""));
                    out.packages.push(pkg(name, version, input.path));
                }
            }
        }
        Ok(out)
    }
}

/// A package as the test analyzer reports it.
pub fn pkg(name: &str, version: &str, path: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: Ecosystem::Npm,
        purl: format!("pkg:npm/{name}@{version}"),
        licenses: vec![],
        source_name: None,
        source_version: None,
        arch: None,
        dev: false,
        location: Location {
            path: format!("/{path}"),
            ..Default::default()
        },
    }
}

pub static TEST: TestAnalyzer = TestAnalyzer;
pub static ANALYZERS: &[&dyn Analyzer] = &[&TEST];

/// One tar entry.
pub enum E<'a> {
    F(&'a str, &'a [u8]),
    D(&'a str),
    S(&'a str, &'a str),
    H(&'a str, &'a str),
    Fifo(&'a str),
}

fn header(kind: tar::EntryType, name: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    // Raw name bytes: the builder's path checks would refuse `..` and absolute names, which
    // is exactly what hostile layers contain.
    let bytes = name.as_bytes();
    let old = h.as_old_mut();
    old.name = [0; 100];
    old.name[..bytes.len()].copy_from_slice(bytes);
    h
}

/// Build an uncompressed layer tar.
pub fn layer(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            E::F(p, d) => {
                let mut h = header(tar::EntryType::Regular, p, d.len() as u64);
                h.set_cksum();
                b.append(&h, *d).unwrap();
            }
            E::D(p) => {
                let mut h = header(tar::EntryType::Directory, p, 0);
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            }
            E::Fifo(p) => {
                let mut h = header(tar::EntryType::Fifo, p, 0);
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            }
            E::S(p, t) | E::H(p, t) => {
                let kind = if matches!(e, E::S(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                let mut h = header(kind, p, 0);
                h.set_link_name(t).unwrap();
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}
