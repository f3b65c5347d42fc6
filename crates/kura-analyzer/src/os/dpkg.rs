//! dpkg's database of installed packages: `/var/lib/dpkg/status`, and the one-stanza-per-file
//! `/var/lib/dpkg/status.d/<name>` that distroless images carry instead.
//!
//! Format: deb822 control stanzas (deb-control(5), Debian Policy §5.1): `Field: value` lines, a
//! continuation line starts with a space or tab, stanzas are separated by blank lines.
//!
//! dpkg records no license; the `dpkg-copyright` analyzer reads `/usr/share/doc/<pkg>/copyright`
//! and the walker joins its licenses to these packages.

use kura_types::{Ecosystem, Location, Package};

use super::os_purl;
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads dpkg status files.
#[derive(Debug, Clone, Copy)]
pub struct Dpkg;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";

impl Analyzer for Dpkg {
    fn id(&self) -> &'static str {
        "dpkg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "deb packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["/var/lib/dpkg/status", "/var/lib/dpkg/status.d/*"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        if path == STATUS {
            return true;
        }
        // distroless keeps `<pkg>.md5sums` beside each stanza file; those are checksums.
        path.strip_prefix(STATUS_D).is_some_and(|name| {
            !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
        })
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = std::str::from_utf8(input.data).map_err(|e| {
            AnalyzeError::malformed("dpkg status", input.path, format!("not UTF-8: {e}"))
        })?;
        // status.d stanzas have no Status field: every file there is an installed package.
        let needs_status = input.path == STATUS;
        let location = format!("/{}", input.path);
        let mut out = FileFindings::default();
        for stanza in stanzas(text) {
            // A stray line costs a warning, not the package: the fields that name it may be fine.
            out.warnings
                .extend(stanza.errors.iter().map(|e| format!("{location} {e}")));
            match package(&stanza, needs_status, &location) {
                Ok(Some(p)) => out.packages.push(p),
                Ok(None) => {}
                Err(reason) => out
                    .warnings
                    .push(format!("{location} line {}: {reason}", stanza.line)),
            }
        }
        Ok(out)
    }
}

/// One stanza: its fields in order and the line it starts on (1-based).
#[derive(Debug, Default)]
pub(crate) struct Stanza {
    pub(crate) line: usize,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) errors: Vec<String>,
}

impl Stanza {
    /// Field lookup; field names are case-insensitive (Policy §5.1).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Split deb822 text into stanzas. Continuation lines are appended to the previous field with a
/// newline; a line that is neither a field nor a continuation is recorded as an error.
pub(crate) fn stanzas(text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut cur = Stanza::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.fields.is_empty() || !cur.errors.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if cur.fields.is_empty() && cur.errors.is_empty() {
            cur.line = i + 1;
        }
        if line.starts_with([' ', '\t']) {
            match cur.fields.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => cur
                    .errors
                    .push(format!("line {}: continuation line without a field", i + 1)),
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(char::is_whitespace) => {
                cur.fields.push((k.to_string(), v.trim().to_string()));
            }
            _ => cur
                .errors
                .push(format!("line {}: not a `Field: value` line", i + 1)),
        }
    }
    if !cur.fields.is_empty() || !cur.errors.is_empty() {
        out.push(cur);
    }
    out
}

/// The package a stanza describes; `None` when it is not installed.
fn package(s: &Stanza, needs_status: bool, location: &str) -> Result<Option<Package>, String> {
    if needs_status || s.get("Status").is_some() {
        // Status: want flag status (dpkg(1) "Package states"); only "installed" has all files
        // and is configured; config-files, half-installed, unpacked, … are skipped.
        let status = s.get("Status").ok_or("stanza without Status field")?;
        if status.split_whitespace().nth(2) != Some("installed") {
            return Ok(None);
        }
    }
    let name = s
        .get("Package")
        .filter(|v| !v.is_empty())
        .ok_or("stanza without Package field")?;
    let version = s
        .get("Version")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("package {name} has no Version"))?;
    let arch = s
        .get("Architecture")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let (source_name, source_version) = match s.get("Source") {
        Some(src) => {
            let (n, v) = parse_source(src)
                .ok_or_else(|| format!("package {name}: bad Source field {src:?}"))?;
            (Some(n), v.filter(|v| v != version))
        }
        None => (None, None),
    };
    Ok(Some(Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: Ecosystem::Deb,
        purl: os_purl(
            Ecosystem::Deb,
            "debian",
            name,
            version,
            arch.as_deref(),
            None,
        ),
        licenses: Vec::new(),
        source_name,
        source_version,
        arch,
        dev: false,
        location: Location {
            path: location.to_string(),
            ..Location::default()
        },
    }))
}

/// `Source: name` or `Source: name (version)` — the version is given when the source version
/// differs from the binary's (deb-control(5), "Source").
fn parse_source(src: &str) -> Option<(String, Option<String>)> {
    let src = src.trim();
    match src.split_once('(') {
        None => {
            (!src.is_empty() && !src.contains(char::is_whitespace)).then(|| (src.to_string(), None))
        }
        Some((n, rest)) => {
            let n = n.trim();
            let v = rest.strip_suffix(')')?.trim();
            (!n.is_empty() && !v.is_empty()).then(|| (n.to_string(), Some(v.to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(path: &str, text: &str) -> FileFindings {
        Dpkg.analyze(&FileInput {
            path,
            mode: 0o644,
            data: text.as_bytes(),
        })
        .unwrap()
    }

    const STATUS_FILE: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 More text.

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14

Package: passwd
Status: hold ok installed
Architecture: amd64
Source: shadow
Version: 1:4.13+dfsg1-1+b1

Package: old-removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: broken
Status: install reinstreq half-installed
Version: 2.0-1

Package: libstdc++6
Status: install ok installed
Architecture: amd64
Source: gcc-12
Version: 12.2.0-14
";

    #[test]
    fn installed_packages_are_read_and_others_skipped() {
        let f = run("var/lib/dpkg/status", STATUS_FILE);
        let got: Vec<_> = f
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.source_name.as_deref(),
                    p.source_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("libc6", "2.36-9+deb12u4", Some("glibc"), None),
                ("libgcc-s1", "12.2.0-14", Some("gcc-12"), None),
                ("passwd", "1:4.13+dfsg1-1+b1", Some("shadow"), None),
                ("libstdc++6", "12.2.0-14", Some("gcc-12"), None),
            ]
        );
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let libc = &f.packages[0];
        assert_eq!(
            libc.purl,
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64"
        );
        assert_eq!(libc.location.path, "/var/lib/dpkg/status");
        assert_eq!(libc.arch.as_deref(), Some("amd64"));
        assert_eq!(
            f.packages[2].purl,
            "pkg:deb/debian/passwd@1:4.13%2Bdfsg1-1%2Bb1?arch=amd64"
        );
    }

    #[test]
    fn source_field_forms() {
        let cases = [
            ("glibc", Some(("glibc", None))),
            ("gcc-12 (12.2.0-14)", Some(("gcc-12", Some("12.2.0-14")))),
            (
                "  openssl   (3.0.11-1~deb12u2) ",
                Some(("openssl", Some("3.0.11-1~deb12u2"))),
            ),
            ("two words", None),
            ("name (", None),
            ("(1.0)", None),
            ("", None),
        ];
        for (src, want) in cases {
            let want = want.map(|(n, v)| (n.to_string(), v.map(str::to_string)));
            assert_eq!(parse_source(src), want, "{src}");
        }
    }

    #[test]
    fn source_version_kept_only_when_it_differs() {
        let f = run(
            "var/lib/dpkg/status",
            "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u1)\nVersion: 3.0.11-1~deb12u1+b1\n",
        );
        assert_eq!(
            f.packages[0].source_version.as_deref(),
            Some("3.0.11-1~deb12u1")
        );
    }

    #[test]
    fn distroless_status_d_needs_no_status_field() {
        let f = run(
            "var/lib/dpkg/status.d/tzdata",
            "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nMaintainer: GNU Libc Maintainers\n",
        );
        assert_eq!(f.packages.len(), 1);
        assert_eq!(
            f.packages[0].purl,
            "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all"
        );
        assert_eq!(f.packages[0].location.path, "/var/lib/dpkg/status.d/tzdata");
    }

    #[test]
    fn wants_status_files_but_not_checksums() {
        let cases = [
            ("var/lib/dpkg/status", true),
            ("var/lib/dpkg/status.d/base", true),
            ("var/lib/dpkg/status.d/libssl3.md5sums", false),
            ("var/lib/dpkg/status.d/", false),
            ("var/lib/dpkg/status.d/x/y", false),
            ("var/lib/dpkg/status-old", false),
            ("usr/var/lib/dpkg/status", false),
        ];
        for (path, want) in cases {
            assert_eq!(Dpkg.wants(path, 0o644, 10), want, "{path}");
        }
    }

    #[test]
    fn malformed_stanzas_warn_and_the_rest_is_read() {
        // A leading space cannot follow a `\` line continuation, so the first line is spelled out.
        let text = " orphan continuation\n\
Package: a
Status: install ok installed
Version: 1

Package: nover
Status: install ok installed

this line has no colon
Package: c
Status: install ok installed
Version: 3

Package: d
Version: 4
";
        let f = run("var/lib/dpkg/status", text);
        let names: Vec<_> = f.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["a", "c"], "{:?}", f.warnings);
        assert_eq!(f.warnings.len(), 4, "{:?}", f.warnings);
        assert!(
            f.warnings[0].contains("continuation line without a field"),
            "{:?}",
            f.warnings
        );
        assert!(f.warnings[1].contains("nover has no Version"));
        assert!(f.warnings[2].contains("not a `Field: value` line"));
        assert!(f.warnings[3].contains("without Status"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "(Package|Status|Version|Source|: |\\(|\\)| |\n|[a-z0-9.+~-]){0,200}") {
            let _ = Dpkg.analyze(&FileInput { path: "var/lib/dpkg/status", mode: 0, data: s.as_bytes() });
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = Dpkg.analyze(&FileInput { path: "var/lib/dpkg/status.d/x", mode: 0, data: &b });
        }
    }
}
