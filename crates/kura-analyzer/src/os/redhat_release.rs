//! `/etc/redhat-release` and its siblings (`centos-release`, `rocky-release`, `almalinux-release`,
//! `fedora-release`, `oracle-release`, `system-release`): one line
//! `<distribution> release <version> (<codename>)`. The only OS record on images older than
//! os-release (CentOS 6), and more precise than os-release on CentOS 7 (`7.9.2009` against `7`).

use kura_types::OsInfo;

use super::alpine_release::first_line;
use super::{eol, release_for};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads the Red Hat family's release files.
#[derive(Debug, Clone, Copy)]
pub struct RedhatRelease;

const PATHS: &[&str] = &[
    "etc/redhat-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/oracle-release",
    "etc/system-release",
];

/// Distribution names as the files spell them, longest first so prefixes do not shadow them.
const NAMES: &[(&str, &str)] = &[
    ("red hat enterprise linux", "rhel"),
    ("centos stream", "centos"),
    ("centos linux", "centos"),
    ("centos", "centos"),
    ("rocky linux", "rocky"),
    ("almalinux", "almalinux"),
    ("fedora", "fedora"),
    ("oracle linux", "ol"),
    ("amazon linux", "amzn"),
];

impl Analyzer for RedhatRelease {
    fn id(&self) -> &'static str {
        "redhat-release"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "OS release"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "/etc/redhat-release",
            "/etc/centos-release",
            "/etc/rocky-release",
            "/etc/almalinux-release",
            "/etc/fedora-release",
            "/etc/oracle-release",
            "/etc/system-release",
        ]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        PATHS.contains(&path)
    }
    fn max_size(&self) -> u64 {
        4096
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let line = first_line(input)?;
        let os = parse(&line, &format!("/{}", input.path)).ok_or_else(|| {
            AnalyzeError::malformed(
                "redhat-release",
                input.path,
                format!("unrecognised release line {line:?}"),
            )
        })?;
        Ok(FileFindings {
            os: Some(os),
            ..FileFindings::default()
        })
    }
}

pub(crate) fn parse(line: &str, source_path: &str) -> Option<OsInfo> {
    let lower = line.to_ascii_lowercase();
    let id = NAMES
        .iter()
        .find(|(n, _)| lower.starts_with(n))
        .map(|(_, id)| *id)?;
    let (_, after) = lower.split_once(" release ")?;
    let offset = line.len() - after.len();
    let rest = line.get(offset..)?.trim();
    let version = rest.split_whitespace().next()?.to_string();
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let codename = rest
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(c, _)| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let pretty_name = Some(line.to_string());
    let mut os = OsInfo {
        id: id.to_string(),
        release: release_for(id, &version, None, None),
        version,
        codename,
        pretty_name,
        source_path: source_path.to_string(),
        ..OsInfo::default()
    };
    os.eol = eol::lookup(&os).map(str::to_string);
    Some(os)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_lines_of_the_family() {
        // (line, id, version, release)
        let cases = [
            (
                "CentOS Linux release 7.9.2009 (Core)",
                "centos",
                "7.9.2009",
                "7",
            ),
            ("CentOS release 6.10 (Final)", "centos", "6.10", "6"),
            ("CentOS Stream release 9", "centos", "9", "9"),
            (
                "Red Hat Enterprise Linux Server release 7.9 (Maipo)",
                "rhel",
                "7.9",
                "7",
            ),
            (
                "Red Hat Enterprise Linux release 8.9 (Ootpa)",
                "rhel",
                "8.9",
                "8",
            ),
            ("Rocky Linux release 9.3 (Blue Onyx)", "rocky", "9.3", "9"),
            (
                "AlmaLinux release 9.3 (Shamrock Pampas Cat)",
                "almalinux",
                "9.3",
                "9",
            ),
            ("Fedora release 39 (Thirty Nine)", "fedora", "39", "39"),
            ("Oracle Linux Server release 8.9", "ol", "8.9", "8"),
            ("Amazon Linux release 2 (Karoo)", "amzn", "2", "2"),
            (
                "Amazon Linux release 2023.3.20240131 (Amazon Linux)",
                "amzn",
                "2023.3.20240131",
                "2023",
            ),
            (
                "Amazon Linux AMI release 2018.03",
                "amzn",
                "2018.03",
                "2018.03",
            ),
        ];
        for (line, id, version, release) in cases {
            let os = RedhatRelease
                .analyze(&FileInput {
                    path: "etc/redhat-release",
                    mode: 0,
                    data: line.as_bytes(),
                })
                .unwrap()
                .os
                .unwrap();
            assert_eq!(
                (os.id.as_str(), os.version.as_str(), os.release.as_str()),
                (id, version, release),
                "{line}"
            );
            assert_eq!(os.pretty_name.as_deref(), Some(line));
        }
    }

    #[test]
    fn stream_is_told_apart_for_eol() {
        let os = parse("CentOS Stream release 8", "/etc/centos-release").unwrap();
        assert_eq!(os.eol.as_deref(), Some("2024-05-31"));
    }

    #[test]
    fn unknown_lines_are_rejected() {
        for bad in [
            "",
            "Debian GNU/Linux 12",
            "Fedora release",
            "Fedora release beta",
            "CentOS Linux release",
        ] {
            let r = RedhatRelease.analyze(&FileInput {
                path: "etc/redhat-release",
                mode: 0,
                data: bad.as_bytes(),
            });
            assert!(r.is_err(), "{bad}");
        }
    }
}
