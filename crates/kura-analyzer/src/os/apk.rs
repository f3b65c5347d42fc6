//! apk's database of installed packages, `/lib/apk/db/installed` (Alpine, Wolfi, Chainguard).
//!
//! Format (apk-tools `doc/apk-v2-installed.5`, the "installed database" section of the Alpine
//! wiki's "Apk spec"): one stanza per package separated by blank lines; every line is a
//! one-letter key, a colon and a value. Used here: `P` name, `V` version, `A` architecture,
//! `o` origin (source package), `L` license. File lines (`F`, `R`, `a`, `Z`) are skipped.

use kura_types::{Ecosystem, Location, Package};

use super::os_purl;
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads the apk installed database.
#[derive(Debug, Clone, Copy)]
pub struct Apk;

const PATHS: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];

impl Analyzer for Apk {
    fn id(&self) -> &'static str {
        "apk"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "apk packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["/lib/apk/db/installed", "/usr/lib/apk/db/installed"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        PATHS.contains(&path)
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = std::str::from_utf8(input.data).map_err(|e| {
            AnalyzeError::malformed("apk installed db", input.path, format!("not UTF-8: {e}"))
        })?;
        let location = format!("/{}", input.path);
        let mut out = FileFindings::default();
        let mut cur = Fields::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                cur.finish(&location, &mut out);
                continue;
            }
            if cur.line == 0 {
                cur.line = i + 1;
            }
            match line.as_bytes() {
                [key, b':', ..] => cur.set(*key, &line[2..]),
                _ => out
                    .warnings
                    .push(format!("{location} line {}: not a `K:value` line", i + 1)),
            }
        }
        cur.finish(&location, &mut out);
        Ok(out)
    }
}

#[derive(Default)]
struct Fields {
    line: usize,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
}

impl Fields {
    fn set(&mut self, key: u8, value: &str) {
        let v = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        match key {
            b'P' => self.name = v,
            b'V' => self.version = v,
            b'A' => self.arch = v,
            b'o' => self.origin = v,
            b'L' => self.license = v,
            _ => {}
        }
    }

    fn finish(&mut self, location: &str, out: &mut FileFindings) {
        let f = std::mem::take(self);
        if f.line == 0 {
            return;
        }
        let (Some(name), Some(version)) = (f.name, f.version) else {
            out.warnings.push(format!(
                "{location} line {}: package stanza without P: or V:",
                f.line
            ));
            return;
        };
        out.packages.push(Package {
            purl: os_purl(
                Ecosystem::Apk,
                "alpine",
                &name,
                &version,
                f.arch.as_deref(),
                None,
            ),
            name,
            version,
            ecosystem: Ecosystem::Apk,
            // `L:` is the APKBUILD `license=` value: an SPDX expression on current Alpine, a
            // space-separated list on old releases; kept as declared.
            licenses: f.license.into_iter().collect(),
            source_name: f.origin,
            source_version: None,
            arch: f.arch,
            dev: false,
            location: Location {
                path: location.to_string(),
                ..Location::default()
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> FileFindings {
        Apk.analyze(&FileInput {
            path: "lib/apk/db/installed",
            mode: 0o644,
            data: text.as_bytes(),
        })
        .unwrap()
    }

    #[test]
    fn installed_db_stanzas_become_packages() {
        let f = run("\
C:Q1kSsb3ECZBkuOx0bKn/ov3xvVkkY=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1705071893
c:7d9ae7e4af5fbc9dbe7e25a92f89a3cd9f3e1f0f
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1ChIEeAFNXlsx8z7ZmT3dgk38JNo=

P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
");
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let got: Vec<_> = f
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.source_name.as_deref(),
                    p.licenses.clone(),
                    p.purl.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "musl",
                    "1.2.4_git20230717-r4",
                    Some("musl"),
                    vec!["MIT".to_string()],
                    "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64"
                ),
                (
                    "libcrypto3",
                    "3.1.4-r5",
                    Some("openssl"),
                    vec!["Apache-2.0".to_string()],
                    "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64"
                ),
            ]
        );
        assert_eq!(f.packages[0].location.path, "/lib/apk/db/installed");
    }

    #[test]
    fn incomplete_stanzas_and_stray_lines_warn() {
        let f = run("P:nover\nA:x86_64\n\nthis is junk\nP:ok\nV:1-r0\n\n\n");
        assert_eq!(f.packages.len(), 1);
        assert_eq!(f.packages[0].name, "ok");
        assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
        assert!(f.warnings[0].contains("line 1: package stanza without P: or V:"));
        assert!(f.warnings[1].contains("line 4: not a `K:value` line"));
    }

    #[test]
    fn empty_database_has_no_packages() {
        let f = run("");
        assert!(f.packages.is_empty() && f.warnings.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = Apk.analyze(&FileInput { path: "lib/apk/db/installed", mode: 0, data: &b });
        }

        #[test]
        fn stanza_like_text_never_panics(s in "([PVAoL]:|[a-z0-9.\\-_]|\n|é){0,200}") {
            let _ = Apk.analyze(&FileInput { path: "lib/apk/db/installed", mode: 0, data: s.as_bytes() });
        }
    }
}
