//! `/etc/debian_version`: the Debian point release (`12.5`) or, on testing and unstable, a
//! codename pair (`trixie/sid`). Ubuntu ships one too (`bookworm/sid`); [`super::merge_os`] only
//! lets it refine an OS whose os-release says Debian.

use kura_types::OsInfo;

use super::alpine_release::first_line;
use super::{eol, release_for};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads `/etc/debian_version`.
#[derive(Debug, Clone, Copy)]
pub struct DebianVersion;

impl Analyzer for DebianVersion {
    fn id(&self) -> &'static str {
        "debian-version"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "OS release"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["/etc/debian_version"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        path == "etc/debian_version"
    }
    fn max_size(&self) -> u64 {
        4096
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let line = first_line(input)?;
        let os = parse(&line, &format!("/{}", input.path)).ok_or_else(|| {
            AnalyzeError::malformed(
                "debian_version",
                input.path,
                format!("unrecognised content {line:?}"),
            )
        })?;
        Ok(FileFindings {
            os: Some(os),
            ..FileFindings::default()
        })
    }
}

/// `12.5` → version 12.5, release 12; `trixie/sid` → codename and release `trixie`.
pub(crate) fn parse(line: &str, source_path: &str) -> Option<OsInfo> {
    let mut os = OsInfo {
        id: "debian".into(),
        source_path: source_path.to_string(),
        ..OsInfo::default()
    };
    if line.starts_with(|c: char| c.is_ascii_digit()) {
        if !line.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        os.version = line.to_string();
        os.release = release_for("debian", line, None, None);
    } else {
        let codename = line.split('/').next()?.trim();
        if codename.is_empty() || !codename.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        os.codename = Some(codename.to_string());
        os.release = codename.to_string();
    }
    os.eol = eol::lookup(&os).map(str::to_string);
    Some(os)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_releases_and_codenames() {
        // (content, version, release, codename)
        let cases = [
            ("12.5", "12.5", "12", None),
            ("10.13\n", "10.13", "10", None),
            ("8.11", "8.11", "8", None),
            ("trixie/sid", "", "trixie", Some("trixie")),
            ("bookworm/sid", "", "bookworm", Some("bookworm")),
        ];
        for (text, version, release, codename) in cases {
            let os = DebianVersion
                .analyze(&FileInput {
                    path: "etc/debian_version",
                    mode: 0,
                    data: text.as_bytes(),
                })
                .unwrap()
                .os
                .unwrap();
            assert_eq!(
                (
                    os.version.as_str(),
                    os.release.as_str(),
                    os.codename.as_deref()
                ),
                (version, release, codename),
                "{text}"
            );
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "12.5 beta", "Trixie/Sid", "/sid", "12-5"] {
            let r = DebianVersion.analyze(&FileInput {
                path: "etc/debian_version",
                mode: 0,
                data: bad.as_bytes(),
            });
            assert!(r.is_err(), "{bad}");
        }
    }
}
