//! End-of-life dates of distribution releases.
//!
//! "End of life" here is the last day the vendor (or its free community LTS) publishes security
//! updates for the release, so that a scan can say an image no longer gets fixes:
//! - Alpine: "end of support" of the main repository, <https://alpinelinux.org/releases/>.
//! - Debian: end of Debian LTS, <https://wiki.debian.org/LTS> (the security team's own support ends
//!   about two years earlier; LTS still publishes DLAs to the same security tracker).
//! - Ubuntu: end of standard support (ESM is a paid extension),
//!   <https://ubuntu.com/about/release-cycle>.
//! - RHEL, CentOS, Rocky, AlmaLinux: end of maintenance support,
//!   <https://access.redhat.com/support/policy/updates/errata>, <https://wiki.rockylinux.org/rocky/version/>,
//!   <https://wiki.almalinux.org/release-notes/>.
//! - Amazon Linux: <https://aws.amazon.com/amazon-linux-2/faqs/>, <https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html>.
//! - SUSE: end of general support per service pack, <https://www.suse.com/lifecycle/>;
//!   openSUSE Leap: <https://en.opensuse.org/Lifetime>.
//!
//! The same dates are collected per release cycle at <https://endoflife.date>. Table compiled in
//! November 2026; releases missing here get no EOL verdict rather than a guessed one.

use kura_types::OsInfo;

/// `(distro id, release, end of life)`; `release` is [`OsInfo::release`].
const TABLE: &[(&str, &str, &str)] = &[
    ("alpine", "3.10", "2021-05-01"),
    ("alpine", "3.11", "2021-11-01"),
    ("alpine", "3.12", "2022-05-01"),
    ("alpine", "3.13", "2022-11-01"),
    ("alpine", "3.14", "2023-05-01"),
    ("alpine", "3.15", "2023-11-01"),
    ("alpine", "3.16", "2024-05-23"),
    ("alpine", "3.17", "2024-11-22"),
    ("alpine", "3.18", "2025-05-09"),
    ("alpine", "3.19", "2025-11-01"),
    ("alpine", "3.20", "2026-04-01"),
    ("alpine", "3.21", "2026-11-01"),
    ("alpine", "3.22", "2027-05-01"),
    ("alpine", "3.23", "2027-11-01"),
    ("debian", "7", "2018-05-31"),
    ("debian", "8", "2020-06-30"),
    ("debian", "9", "2022-06-30"),
    ("debian", "10", "2024-06-30"),
    ("debian", "11", "2026-08-31"),
    ("debian", "12", "2028-06-30"),
    ("debian", "13", "2030-06-30"),
    ("ubuntu", "14.04", "2019-04-25"),
    ("ubuntu", "16.04", "2021-04-30"),
    ("ubuntu", "18.04", "2023-05-31"),
    ("ubuntu", "20.04", "2025-05-29"),
    ("ubuntu", "22.04", "2027-06-01"),
    ("ubuntu", "23.04", "2024-01-25"),
    ("ubuntu", "23.10", "2024-07-11"),
    ("ubuntu", "24.04", "2029-05-31"),
    ("ubuntu", "24.10", "2025-07-10"),
    ("rhel", "6", "2020-11-30"),
    ("rhel", "7", "2024-06-30"),
    ("rhel", "8", "2029-05-31"),
    ("rhel", "9", "2032-05-31"),
    ("rhel", "10", "2035-05-31"),
    ("centos", "6", "2020-11-30"),
    ("centos", "7", "2024-06-30"),
    ("centos", "8", "2021-12-31"),
    ("centos-stream", "8", "2024-05-31"),
    ("centos-stream", "9", "2027-05-31"),
    ("rocky", "8", "2029-05-31"),
    ("rocky", "9", "2032-05-31"),
    ("almalinux", "8", "2029-03-01"),
    ("almalinux", "9", "2032-05-31"),
    ("amzn", "2018.03", "2023-12-31"),
    ("amzn", "2", "2026-06-30"),
    ("amzn", "2023", "2029-06-30"),
    ("sles", "12.5", "2024-10-31"),
    ("sles", "15.3", "2022-12-31"),
    ("sles", "15.4", "2023-12-31"),
    ("sles", "15.5", "2024-12-31"),
    ("sles", "15.6", "2025-12-31"),
    ("opensuse-leap", "15.3", "2022-12-31"),
    ("opensuse-leap", "15.4", "2023-12-07"),
    ("opensuse-leap", "15.5", "2024-12-31"),
    ("opensuse-leap", "15.6", "2026-04-30"),
];

/// The end-of-life date of `os`'s release, when the table knows it.
pub fn lookup(os: &OsInfo) -> Option<&'static str> {
    // CentOS Stream shares ID=centos with CentOS Linux but has its own lifecycle.
    let stream = os.id == "centos"
        && os
            .pretty_name
            .as_deref()
            .is_some_and(|n| n.contains("Stream"));
    let id = if stream {
        "centos-stream"
    } else {
        os.id.as_str()
    };
    TABLE
        .iter()
        .find(|(d, r, _)| *d == id && *r == os.release)
        .map(|(_, _, date)| *date)
}

/// `today` is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a YYYY-MM-DD date: {0:?}")]
pub struct BadDate(pub String);

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Set `os.eol` from the table and `os.eol_reached` against `today` (`YYYY-MM-DD`, passed in so
/// the verdict is reproducible). The release is still supported on its EOL day itself.
pub fn apply_eol(os: &mut OsInfo, today: &str) -> Result<(), BadDate> {
    if !is_iso_date(today) {
        return Err(BadDate(today.to_string()));
    }
    if os.eol.is_none() {
        os.eol = lookup(os).map(str::to_string);
    }
    // ISO dates of equal length order the same as strings and as dates.
    os.eol_reached = os.eol.as_deref().is_some_and(|eol| eol < today);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, release: &str) -> OsInfo {
        OsInfo {
            id: id.into(),
            release: release.into(),
            ..OsInfo::default()
        }
    }

    #[test]
    fn table_is_well_formed_and_unique() {
        let mut keys = std::collections::HashSet::new();
        for (d, r, date) in TABLE {
            assert!(is_iso_date(date), "{d} {r}: {date}");
            assert!(keys.insert((d, r)), "duplicate {d} {r}");
        }
    }

    #[test]
    fn eol_verdict_depends_on_today() {
        // (id, release, today, eol, reached)
        let cases = [
            ("alpine", "3.19", "2025-11-02", Some("2025-11-01"), true),
            ("alpine", "3.19", "2025-11-01", Some("2025-11-01"), false),
            ("debian", "10", "2024-07-01", Some("2024-06-30"), true),
            ("debian", "12", "2026-11-23", Some("2028-06-30"), false),
            ("ubuntu", "22.04", "2030-01-01", Some("2027-06-01"), true),
            ("rhel", "7", "2024-07-01", Some("2024-06-30"), true),
            ("amzn", "2", "2026-01-01", Some("2026-06-30"), false),
            ("alpine", "edge", "2030-01-01", None, false),
            ("wolfi", "20230201", "2030-01-01", None, false),
        ];
        for (id, rel, today, eol, reached) in cases {
            let mut o = os(id, rel);
            apply_eol(&mut o, today).unwrap();
            assert_eq!(o.eol.as_deref(), eol, "{id} {rel}");
            assert_eq!(o.eol_reached, reached, "{id} {rel} on {today}");
        }
    }

    #[test]
    fn centos_stream_has_its_own_lifecycle() {
        let mut linux = os("centos", "8");
        linux.pretty_name = Some("CentOS Linux 8".into());
        let mut stream = os("centos", "8");
        stream.pretty_name = Some("CentOS Stream 8".into());
        assert_eq!(lookup(&linux), Some("2021-12-31"));
        assert_eq!(lookup(&stream), Some("2024-05-31"));
    }

    #[test]
    fn malformed_today_is_rejected() {
        for bad in ["", "2024-1-01", "20240101", "2024/01/01", "yyyy-mm-dd"] {
            assert!(apply_eol(&mut os("debian", "12"), bad).is_err(), "{bad}");
        }
    }
}
