//! Licenses of Debian packages, from `/usr/share/doc/<pkg>/copyright`.
//!
//! dpkg's status file records no license. Debian Policy §12.5 puts each package's copyright and
//! license in `/usr/share/doc/<package>/copyright`; when that file follows the machine-readable
//! format (DEP-5, "copyright-format 1.0"), every `Files` and header paragraph names its license
//! in a `License:` field whose first line is a short name or an expression (`GPL-2+ or
//! Artistic-1.0`). Those names are reported as a [`LicenseFact`] and joined to the package by the
//! walker. Free-form copyright files are skipped: guessing a license from prose is not declaring it.

use kura_types::Ecosystem;

use crate::{AnalyzeError, Analyzer, FileFindings, FileInput, LicenseFact};

/// Reads DEP-5 copyright files of Debian packages.
#[derive(Debug, Clone, Copy)]
pub struct DpkgCopyright;

const PREFIX: &str = "usr/share/doc/";

/// The package a copyright path belongs to: `usr/share/doc/<pkg>/copyright`.
fn package_of(path: &str) -> Option<&str> {
    let pkg = path.strip_prefix(PREFIX)?.strip_suffix("/copyright")?;
    (!pkg.is_empty() && !pkg.contains('/')).then_some(pkg)
}

impl Analyzer for DpkgCopyright {
    fn id(&self) -> &'static str {
        "dpkg-copyright"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "deb package licenses (DEP-5)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["/usr/share/doc/*/copyright"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        package_of(path).is_some()
    }
    fn max_size(&self) -> u64 {
        // Copyright files of large packages (the kernel, texlive) run to a few MiB.
        8 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let Some(package) = package_of(input.path) else {
            return Ok(FileFindings::default());
        };
        // Invalid UTF-8 in a prose copyright file is common and harmless: read it lossily.
        let text = String::from_utf8_lossy(input.data);
        let licenses = dep5_licenses(&text);
        let mut out = FileFindings::default();
        if !licenses.is_empty() {
            out.license_facts.push(LicenseFact {
                ecosystem: Ecosystem::Deb,
                package: package.to_string(),
                licenses,
            });
        }
        Ok(out)
    }
}

/// The license names of a DEP-5 file, in order of first appearance; empty when the file does not
/// declare the machine-readable format.
pub fn dep5_licenses(text: &str) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let machine_readable = lines.next().is_some_and(|first| {
        first.split_once(':').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("format") && v.contains("copyright-format")
        })
    });
    if !machine_readable {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        // Field lines start at column 0; continuation lines (the license text) are indented.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("license") {
            continue;
        }
        let name = value.trim();
        if !name.is_empty() && name.len() <= 200 && !out.iter().any(|l| l == name) {
            out.push(name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(path: &str, text: &str) -> FileFindings {
        DpkgCopyright
            .analyze(&FileInput {
                path,
                mode: 0o644,
                data: text.as_bytes(),
            })
            .expect("analyze")
    }

    #[test]
    fn dep5_license_names_are_collected_once_in_order() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
Upstream-Name: bash\n\n\
Files: *\nCopyright: 1987-2022 Free Software Foundation, Inc.\nLicense: GPL-3+\n\n\
Files: examples/loadables/*\nCopyright: 2000 Someone\nLicense: GPL-3+\n\n\
Files: lib/readline/*\nCopyright: 1989 FSF\nLicense: GPL-2+ or Artistic-1.0\n\n\
License: GPL-3+\n This program is free software; you can redistribute it\n License: not a field\n";
        let f = run("usr/share/doc/bash/copyright", text);
        assert_eq!(
            f.license_facts,
            vec![LicenseFact {
                ecosystem: Ecosystem::Deb,
                package: "bash".into(),
                licenses: vec!["GPL-3+".into(), "GPL-2+ or Artistic-1.0".into()],
            }]
        );
    }

    #[test]
    fn free_form_copyright_files_state_nothing() {
        let f = run(
            "usr/share/doc/zlib1g/copyright",
            "This is the Debian prepackaged version of zlib.\nLicense: zlib-style\n",
        );
        assert!(f.license_facts.is_empty());
    }

    #[test]
    fn only_direct_doc_dirs_are_wanted() {
        let w = |p: &str| DpkgCopyright.wants(p, 0o644, 10);
        assert!(w("usr/share/doc/bash/copyright"));
        assert!(!w("usr/share/doc/bash/examples/copyright"));
        assert!(!w("usr/share/doc//copyright"));
        assert!(!w("usr/share/doc/bash/copyright.gz"));
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "Format:",
            "Format: copyright-format\nLicense:",
            "\u{0}\u{ffff}:",
        ] {
            run("usr/share/doc/x/copyright", text);
        }
        let f = DpkgCopyright
            .analyze(&FileInput {
                path: "usr/share/doc/x/copyright",
                mode: 0,
                data: &[0xff, 0xfe, b':', b'\n'],
            })
            .expect("lossy");
        assert!(f.license_facts.is_empty());
    }
}
