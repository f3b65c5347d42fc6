//! `/etc/os-release` and `/usr/lib/os-release` (os-release(5), freedesktop.org).

use std::collections::BTreeMap;

use kura_types::OsInfo;

use super::{eol, release_for};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads os-release files.
#[derive(Debug, Clone, Copy)]
pub struct OsRelease;

const PATHS: &[&str] = &["etc/os-release", "usr/lib/os-release"];

impl Analyzer for OsRelease {
    fn id(&self) -> &'static str {
        "os-release"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "OS release"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["/etc/os-release", "/usr/lib/os-release"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        PATHS.contains(&path)
    }
    fn max_size(&self) -> u64 {
        64 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = std::str::from_utf8(input.data)
            .map_err(|e| AnalyzeError::malformed("os-release", input.path, e))?;
        let fields = parse(text);
        let os = os_info(&fields, &format!("/{}", input.path)).ok_or_else(|| {
            AnalyzeError::malformed("os-release", input.path, "no ID or VERSION_ID field")
        })?;
        Ok(FileFindings {
            os: Some(os),
            ..FileFindings::default()
        })
    }
}

/// Parse `KEY=value` lines. Values may be unquoted, or in double quotes with `\"`, `\\`, `\$`
/// and `` \` `` escapes, or in single quotes (os-release(5): "shell-compatible variable
/// assignments"). Lines that are not assignments are ignored, as the man page asks.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        out.insert(key.to_string(), unquote(raw.trim()));
    }
    out
}

fn unquote(raw: &str) -> String {
    if let Some(inner) = raw.strip_prefix('\'') {
        return inner.strip_suffix('\'').unwrap_or(inner).to_string();
    }
    let Some(inner) = raw.strip_prefix('"') else {
        return raw.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some(n @ ('"' | '\\' | '$' | '`')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Build [`OsInfo`] from parsed fields. `None` when the file names neither ID nor VERSION_ID.
pub fn os_info(f: &BTreeMap<String, String>, source_path: &str) -> Option<OsInfo> {
    let get = |k: &str| f.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    if get("ID").is_none() && get("VERSION_ID").is_none() {
        return None;
    }
    // os-release(5): ID defaults to "linux"; it is lower-case by definition.
    let id = get("ID").unwrap_or("linux").to_ascii_lowercase();
    let version = get("VERSION_ID").unwrap_or_default().to_string();
    let codename = get("VERSION_CODENAME")
        .or_else(|| get("UBUNTU_CODENAME"))
        .map(str::to_string)
        .or_else(|| get("VERSION").and_then(codename_in_version));
    let pretty_name = get("PRETTY_NAME").map(str::to_string);
    let id_like = get("ID_LIKE")
        .map(|s| s.split_whitespace().map(str::to_ascii_lowercase).collect())
        .unwrap_or_default();
    let release = release_for(&id, &version, codename.as_deref(), pretty_name.as_deref());
    let mut os = OsInfo {
        id,
        version,
        release,
        codename,
        pretty_name,
        id_like,
        eol: None,
        eol_reached: false,
        source_path: source_path.to_string(),
    };
    os.eol = eol::lookup(&os).map(str::to_string);
    Some(os)
}

/// Debian 9–11 os-release has no VERSION_CODENAME on some images but `VERSION="10 (buster)"`.
fn codename_in_version(v: &str) -> Option<String> {
    let inner = v.split_once('(')?.1.split_once(')')?.0.trim();
    // Ubuntu's "22.04.3 LTS (Jammy Jellyfish)" names a release, not a codename token.
    (!inner.is_empty() && !inner.contains(' ')).then(|| inner.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(path: &str, text: &str) -> OsInfo {
        OsRelease
            .analyze(&FileInput {
                path,
                mode: 0o644,
                data: text.as_bytes(),
            })
            .unwrap()
            .os
            .unwrap()
    }

    #[test]
    fn real_world_os_release_files() {
        // (file, id, version, release, codename)
        let cases: &[(&str, &str, &str, &str, Option<&str>)] = &[
            (
                "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
                "alpine",
                "3.19.1",
                "3.19",
                None,
            ),
            (
                "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21_alpha20240807\nPRETTY_NAME=\"Alpine Linux edge\"\n",
                "alpine",
                "3.21_alpha20240807",
                "edge",
                None,
            ),
            (
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
                "debian",
                "12",
                "12",
                Some("bookworm"),
            ),
            (
                "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nVERSION_ID=\"10\"\nVERSION=\"10 (buster)\"\nID=debian\n",
                "debian",
                "10",
                "10",
                Some("buster"),
            ),
            (
                "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n",
                "debian",
                "",
                "trixie",
                Some("trixie"),
            ),
            (
                "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n",
                "ubuntu",
                "22.04",
                "22.04",
                Some("jammy"),
            ),
            (
                "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.3 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.3 (Plow)\"\n",
                "rhel",
                "9.3",
                "9",
                Some("plow"),
            ),
            (
                "NAME=\"Rocky Linux\"\nVERSION=\"8.9 (Green Obsidian)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.9\"\n",
                "rocky",
                "8.9",
                "8",
                None,
            ),
            (
                "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\n",
                "amzn",
                "2023",
                "2023",
                None,
            ),
            (
                "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
                "sles",
                "15.5",
                "15.5",
                None,
            ),
            (
                "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\n",
                "wolfi",
                "20230201",
                "20230201",
                None,
            ),
        ];
        for (text, id, version, release, codename) in cases {
            let os = analyze("etc/os-release", text);
            assert_eq!(
                (
                    os.id.as_str(),
                    os.version.as_str(),
                    os.release.as_str(),
                    os.codename.as_deref()
                ),
                (*id, *version, *release, *codename),
                "{text}"
            );
            assert_eq!(os.source_path, "/etc/os-release");
        }
    }

    #[test]
    fn quoting_and_comments_follow_shell_rules() {
        let f = parse(
            "# comment\nA=\"x \\\"y\\\" \\$z\"\nB='single $x'\nC=plain\n  D = \"spaced\" \nnot an assignment\n=novalue\nE=\"unterminated\n",
        );
        assert_eq!(f["A"], "x \"y\" $z");
        assert_eq!(f["B"], "single $x");
        assert_eq!(f["C"], "plain");
        assert_eq!(f["D"], "spaced");
        assert_eq!(f["E"], "unterminated");
        assert_eq!(f.len(), 5);
    }

    #[test]
    fn id_and_like_are_lowercased_and_eol_is_looked_up() {
        let os = analyze(
            "usr/lib/os-release",
            "ID=Debian\nID_LIKE=\"Foo BAR\"\nVERSION_ID=11\n",
        );
        assert_eq!(os.id, "debian");
        assert_eq!(os.id_like, vec!["foo", "bar"]);
        assert_eq!(os.eol.as_deref(), Some("2026-08-31"));
        assert_eq!(os.source_path, "/usr/lib/os-release");
    }

    #[test]
    fn file_without_id_or_version_is_malformed() {
        let err = OsRelease
            .analyze(&FileInput {
                path: "etc/os-release",
                mode: 0,
                data: b"NAME=x\n",
            })
            .unwrap_err();
        assert!(err.to_string().contains("etc/os-release"), "{err}");
        assert!(
            OsRelease
                .analyze(&FileInput {
                    path: "etc/os-release",
                    mode: 0,
                    data: &[0xff, 0xfe]
                })
                .is_err()
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,300}") {
            let _ = OsRelease.analyze(&FileInput { path: "etc/os-release", mode: 0, data: s.as_bytes() });
        }
    }
}
