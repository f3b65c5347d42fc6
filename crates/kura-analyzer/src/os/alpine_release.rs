//! `/etc/alpine-release`: one line holding the full Alpine version (`3.19.1`).

use kura_types::OsInfo;

use super::{eol, release_for};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads `/etc/alpine-release`.
#[derive(Debug, Clone, Copy)]
pub struct AlpineRelease;

impl Analyzer for AlpineRelease {
    fn id(&self) -> &'static str {
        "alpine-release"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "OS release"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["/etc/alpine-release"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        path == "etc/alpine-release"
    }
    fn max_size(&self) -> u64 {
        4096
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let version = first_line(input)?;
        if !version.starts_with(|c: char| c.is_ascii_digit())
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        {
            return Err(AnalyzeError::malformed(
                "alpine-release",
                input.path,
                format!("not a version: {version:?}"),
            ));
        }
        let mut os = OsInfo {
            id: "alpine".into(),
            release: release_for("alpine", &version, None, None),
            version,
            source_path: format!("/{}", input.path),
            ..OsInfo::default()
        };
        os.eol = eol::lookup(&os).map(str::to_string);
        Ok(FileFindings {
            os: Some(os),
            ..FileFindings::default()
        })
    }
}

/// The first line of a small text file, trimmed; an error when empty or not UTF-8.
pub(crate) fn first_line(input: &FileInput<'_>) -> Result<String, AnalyzeError> {
    let text = std::str::from_utf8(input.data)
        .map_err(|e| AnalyzeError::malformed("release file", input.path, e))?;
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return Err(AnalyzeError::malformed(
            "release file",
            input.path,
            "empty file",
        ));
    }
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &[u8]) -> Result<FileFindings, AnalyzeError> {
        AlpineRelease.analyze(&FileInput {
            path: "etc/alpine-release",
            mode: 0o644,
            data,
        })
    }

    #[test]
    fn versions_map_to_advisory_releases() {
        let cases = [
            ("3.19.1\n", "3.19.1", "3.19"),
            ("3.9.0", "3.9.0", "3.9"),
            ("3.21_alpha20240807\n", "3.21_alpha20240807", "edge"),
        ];
        for (text, version, release) in cases {
            let os = run(text.as_bytes()).unwrap().os.unwrap();
            assert_eq!(
                (os.version.as_str(), os.release.as_str()),
                (version, release),
                "{text}"
            );
            assert_eq!(os.id, "alpine");
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [&b""[..], b"\n", b"hello", b"3.19 extra", &[0xff, 0x00]] {
            assert!(run(bad).is_err(), "{bad:?}");
        }
    }
}
