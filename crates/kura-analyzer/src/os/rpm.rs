//! rpm databases: `rpmdb.sqlite` (rpm ≥ 4.16), Berkeley DB `Packages` (rpm ≤ 4.15) and ndb
//! `Packages.db` (SUSE), read by `kura-rpmdb` without rpm itself.

use kura_rpmdb::RpmPackage;
use kura_types::{Ecosystem, Location, Package};

use super::os_purl;
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Reads rpm package databases.
#[derive(Debug, Clone, Copy)]
pub struct Rpm;

/// rpm's `%_dbpath`: `/var/lib/rpm` until the move to `/usr/lib/sysimage/rpm` (Fedora 36,
/// openSUSE); images may carry either or both.
const PATHS: &[&str] = &[
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
];

impl Analyzer for Rpm {
    fn id(&self) -> &'static str {
        "rpm"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "rpm packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "/var/lib/rpm/{rpmdb.sqlite,Packages,Packages.db}",
            "/usr/lib/sysimage/rpm/{rpmdb.sqlite,Packages,Packages.db}",
        ]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        PATHS.contains(&path)
    }
    fn max_size(&self) -> u64 {
        // A full RHEL 7 Berkeley DB `Packages` runs to 100+ MiB.
        512 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let db = kura_rpmdb::read_packages(input.data)
            .map_err(|e| AnalyzeError::malformed("rpm database", input.path, e))?;
        let location = format!("/{}", input.path);
        let mut out = FileFindings {
            warnings: db
                .errors
                .iter()
                .map(|e| format!("{location}: {e}"))
                .collect(),
            ..FileFindings::default()
        };
        out.packages = db
            .packages
            .iter()
            // gpg-pubkey "packages" are imported signing keys, not software.
            .filter(|p| p.name != "gpg-pubkey")
            .map(|p| package(p, &location))
            .collect();
        Ok(out)
    }
}

/// Namespace from the VENDOR tag (none when unrecognised), until [`super::finalize_purls`] sets the distro's own.
pub(crate) fn vendor_namespace(vendor: Option<&str>) -> &'static str {
    let v = vendor.unwrap_or_default().to_ascii_lowercase();
    const VENDORS: &[(&str, &str)] = &[
        ("red hat", "redhat"),
        ("centos", "centos"),
        ("rocky", "rocky"),
        ("almalinux", "almalinux"),
        ("fedora", "fedora"),
        ("oracle", "oracle"),
        ("amazon", "amazon"),
        ("opensuse", "opensuse"),
        ("suse", "suse"),
        ("microsoft", "mariner"),
        ("vmware", "photon"),
    ];
    VENDORS
        .iter()
        .find(|(k, _)| v.contains(k))
        .map_or("", |(_, ns)| ns)
}

fn package(p: &RpmPackage, location: &str) -> Package {
    let source = p.source();
    let vr = format!("{}-{}", p.version, p.release);
    let version = p.evr();
    Package {
        purl: os_purl(
            Ecosystem::Rpm,
            vendor_namespace(p.vendor.as_deref()),
            &p.name,
            &version,
            p.arch.as_deref(),
            None,
        ),
        name: p.name.clone(),
        ecosystem: Ecosystem::Rpm,
        licenses: p.license.iter().cloned().collect(),
        source_version: source
            .as_ref()
            .map(|(_, v, r)| format!("{v}-{r}"))
            .filter(|sv| *sv != vr),
        source_name: source.map(|(n, _, _)| n),
        arch: p.arch.clone(),
        dev: false,
        version,
        location: Location {
            path: location.to_string(),
            ..Location::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kura_rpmdb::header::{Value, build_blob, tag};

    fn blob(
        name: &str,
        epoch: Option<i32>,
        arch: Option<&str>,
        srpm: Option<&str>,
        vendor: Option<&str>,
    ) -> Vec<u8> {
        let mut e = vec![
            (tag::NAME, Value::String(name)),
            (tag::VERSION, Value::String("1.2")),
            (tag::RELEASE, Value::String("3.el9")),
            (tag::LICENSE, Value::String("GPLv2+")),
        ];
        if let Some(ep) = epoch {
            e.push((tag::EPOCH, Value::Int32(vec![ep])));
        }
        if let Some(a) = arch {
            e.push((tag::ARCH, Value::String(a)));
        }
        if let Some(s) = srpm {
            e.push((tag::SOURCERPM, Value::String(s)));
        }
        if let Some(v) = vendor {
            e.push((tag::VENDOR, Value::String(v)));
        }
        build_blob(&e)
    }

    fn run(path: &str, data: &[u8]) -> Result<FileFindings, AnalyzeError> {
        Rpm.analyze(&FileInput {
            path,
            mode: 0o644,
            data,
        })
    }

    #[test]
    fn packages_carry_evr_source_and_vendor_namespace() {
        let db = kura_rpmdb::ndb::build(&[
            blob(
                "bash",
                None,
                Some("x86_64"),
                Some("bash-1.2-3.el9.src.rpm"),
                Some("Red Hat, Inc."),
            ),
            blob(
                "perl-libs",
                Some(4),
                Some("x86_64"),
                Some("perl-5.32.1-480.el9.src.rpm"),
                Some("Rocky Enterprise Software Foundation"),
            ),
            blob("gpg-pubkey", None, None, None, None),
        ]);
        let f = run("usr/lib/sysimage/rpm/Packages.db", &db).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let got: Vec<_> = f
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.source_name.as_deref(),
                    p.source_version.as_deref(),
                    p.purl.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "bash",
                    "1.2-3.el9",
                    Some("bash"),
                    None,
                    "pkg:rpm/redhat/bash@1.2-3.el9?arch=x86_64"
                ),
                (
                    "perl-libs",
                    "4:1.2-3.el9",
                    Some("perl"),
                    Some("5.32.1-480.el9"),
                    "pkg:rpm/rocky/perl-libs@1.2-3.el9?arch=x86_64&epoch=4"
                ),
            ]
        );
        assert_eq!(f.packages[0].licenses, vec!["GPLv2+"]);
        assert_eq!(
            f.packages[0].location.path,
            "/usr/lib/sysimage/rpm/Packages.db"
        );
    }

    #[test]
    fn committed_rpm_fixtures_are_read_through_the_analyzer() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kura-rpmdb/tests/fixtures");
        for (file, path) in [
            ("rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"),
            ("Packages", "var/lib/rpm/Packages"),
        ] {
            let data = std::fs::read(dir.join(file)).unwrap();
            let f = run(path, &data).unwrap();
            let mut names: Vec<_> = f.packages.iter().map(|p| p.name.as_str()).collect();
            names.sort();
            assert_eq!(
                names,
                vec![
                    "kura-fixture-docs",
                    "kura-fixture-libs",
                    "kura-fixture-tool"
                ],
                "{file}"
            );
            let libs = f
                .packages
                .iter()
                .find(|p| p.name == "kura-fixture-libs")
                .unwrap();
            assert_eq!(libs.version, "2:1.2.3-4.kf1");
            assert_eq!(libs.source_name.as_deref(), Some("kura-fixture-tool"));
            assert_eq!(
                libs.purl,
                "pkg:rpm/kura-fixture-libs@1.2.3-4.kf1?arch=x86_64&epoch=2"
            );
        }
    }

    #[test]
    fn damaged_record_is_a_warning_naming_the_file() {
        let mut db = kura_rpmdb::ndb::build(&[
            blob("bash", None, Some("x86_64"), None, None),
            blob("zlib", None, Some("x86_64"), None, None),
        ]);
        // Break the first blob's head magic; the second package must still be read.
        db[4096] = b'X';
        let f = run("var/lib/rpm/Packages.db", &db).unwrap();
        assert_eq!(f.packages.len(), 1);
        assert_eq!(f.packages[0].name, "zlib");
        assert_eq!(f.warnings.len(), 1);
        assert!(
            f.warnings[0].starts_with("/var/lib/rpm/Packages.db: ndb at byte 4096"),
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn unknown_database_is_malformed_and_names_the_file() {
        let err = run("var/lib/rpm/Packages", b"garbage").unwrap_err();
        assert!(err.to_string().contains("var/lib/rpm/Packages"), "{err}");
    }

    #[test]
    fn wants_every_rpmdb_location() {
        for p in PATHS {
            assert!(Rpm.wants(p, 0o644, 1));
        }
        assert!(!Rpm.wants("var/lib/rpm/Name", 0o644, 1));
        assert!(!Rpm.wants("var/lib/rpm/rpmdb.sqlite-wal", 0o644, 1));
    }
}
