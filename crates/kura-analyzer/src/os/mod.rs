//! Operating-system analyzers: release files and OS package databases.
//!
//! Each analyzer sees one file. Two steps need the whole image and are left to the caller, in
//! this order, once every file has been analyzed:
//! 1. [`merge_os`] combines the [`OsInfo`]s that several release files produced;
//! 2. [`finalize_purls`] rewrites OS package purls with the distro's namespace and `distro=`
//!    qualifier, which no single package database knows;
//! 3. [`apply_eol`] marks the release as past its end of life against the scan date.

use kura_purl::Purl;
use kura_types::{Ecosystem, OsInfo, Package};

pub mod alpine_release;
pub mod apk;
pub mod debian_version;
pub mod dpkg;
pub mod dpkg_copyright;
pub mod eol;
pub mod os_release;
pub mod redhat_release;
pub mod rpm;

pub use alpine_release::AlpineRelease;
pub use apk::Apk;
pub use debian_version::DebianVersion;
pub use dpkg::Dpkg;
pub use dpkg_copyright::DpkgCopyright;
pub use eol::apply_eol;
pub use os_release::OsRelease;
pub use redhat_release::RedhatRelease;
pub use rpm::Rpm;

/// The version used to select advisories, from a distro ID and its full version:
/// Alpine `3.19` (or `edge`), Debian major (or codename on testing/sid), Ubuntu `22.04`,
/// the Red Hat family major, Amazon Linux `2`/`2023`/`2018.03`, anything else unchanged.
pub fn release_for(
    id: &str,
    version: &str,
    codename: Option<&str>,
    pretty_name: Option<&str>,
) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    let major_minor = || match parts.clone().next() {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_string(),
    };
    match id {
        "alpine" => {
            // Development snapshots are versioned like `3.21_alpha20240807` and named "edge".
            if version.contains('_') || pretty_name.is_some_and(|n| n.contains("edge")) {
                "edge".to_string()
            } else {
                major_minor()
            }
        }
        "debian" if version.is_empty() => codename.unwrap_or_default().to_string(),
        "debian" => major.to_string(),
        "ubuntu" => major_minor(),
        // Amazon Linux 1 releases are dated (`2018.03`); 2 and 2023 are majors.
        "amzn" if major.len() == 4 && major < "2023" => major_minor(),
        "rhel" | "centos" | "rocky" | "almalinux" | "ol" | "fedora" | "amzn" => major.to_string(),
        _ => version.to_string(),
    }
}

/// Build an OS package purl (purl spec `PURL-TYPES.rst`: deb, apk, rpm). For rpm the epoch moves
/// from the version into the `epoch` qualifier, as the rpm type defines.
pub fn os_purl(
    ecosystem: Ecosystem,
    namespace: &str,
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&str>,
) -> String {
    let (version, epoch) = match ecosystem {
        Ecosystem::Rpm => match version.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (rest, e),
            _ => (version, ""),
        },
        _ => (version, ""),
    };
    Purl::new(ecosystem.purl_type(), name, version)
        .namespace(namespace)
        .qualifier("arch", arch.unwrap_or_default())
        .qualifier("epoch", epoch)
        .qualifier("distro", distro.unwrap_or_default())
        .to_string()
}

/// Which release file a path is, in order of authority for [`merge_os`].
fn authority(path: &str) -> u8 {
    match path.trim_start_matches('/') {
        // os-release(5): /etc/os-release takes precedence over /usr/lib/os-release.
        "etc/os-release" => 0,
        "usr/lib/os-release" => 1,
        "etc/redhat-release"
        | "etc/centos-release"
        | "etc/rocky-release"
        | "etc/almalinux-release"
        | "etc/fedora-release"
        | "etc/oracle-release"
        | "etc/system-release" => 2,
        "etc/alpine-release" => 3,
        "etc/debian_version" => 4,
        _ => 5,
    }
}

/// Combine the OS facts several release files gave into one, whatever order they come in.
///
/// The most authoritative file (os-release, then the Red Hat family's release files, then
/// alpine-release, then debian_version) decides the distro ID. Less authoritative files of the
/// *same* distro only refine it: debian_version turns Debian `12` into `12.5` (and supplies the
/// codename release on testing/sid), alpine-release and redhat-release fill or lengthen the
/// version (`7` → `7.9.2009`). Ubuntu's debian_version (`bookworm/sid`) is therefore ignored.
/// `eol` is recomputed for the merged release; `eol_reached` is left for [`apply_eol`].
pub fn merge_os(mut found: Vec<(String, OsInfo)>) -> Option<OsInfo> {
    found.sort_by(|(pa, a), (pb, b)| {
        (authority(pa), pa, &a.id, &a.version).cmp(&(authority(pb), pb, &b.id, &b.version))
    });
    let mut iter = found.into_iter();
    let (base_path, mut os) = iter.next()?;
    if os.source_path.is_empty() {
        os.source_path = format!("/{}", base_path.trim_start_matches('/'));
    }
    for (path, other) in iter {
        if other.id != os.id {
            continue;
        }
        match authority(&path) {
            2 | 3 => {
                let longer = other.version.starts_with(&format!("{}.", os.version));
                if os.version.is_empty() || longer {
                    os.version = other.version.clone();
                }
            }
            4 if !other.version.is_empty() => {
                if os.version.is_empty() || other.release == os.release {
                    os.version = other.version.clone();
                }
            }
            4 => {}
            _ => continue,
        }
        if os.release.is_empty() {
            os.release = other.release.clone();
        }
        if os.codename.is_none() {
            os.codename = other.codename.clone();
        }
        if os.pretty_name.is_none() {
            os.pretty_name = other.pretty_name.clone();
        }
    }
    os.eol = eol::lookup(&os).map(str::to_string);
    os.eol_reached = false;
    Some(os)
}

/// rpm purl namespaces by distro ID (purl spec: the rpm namespace is the vendor).
const RPM_NAMESPACES: &[(&str, &str)] = &[
    ("rhel", "redhat"),
    ("centos", "centos"),
    ("rocky", "rocky"),
    ("almalinux", "almalinux"),
    ("fedora", "fedora"),
    ("ol", "oracle"),
    ("amzn", "amazon"),
    ("sles", "suse"),
    ("sled", "suse"),
    ("sles_sap", "suse"),
    ("opensuse", "opensuse"),
    ("opensuse-leap", "opensuse"),
    ("opensuse-tumbleweed", "opensuse"),
    ("photon", "photon"),
    ("mariner", "mariner"),
    ("azurelinux", "azurelinux"),
];

/// The purl namespace `os` gives packages of `ecosystem`, or `None` when the package does not
/// belong to that distro's package manager (a stray database in a foreign image).
fn namespace_for(os: &OsInfo, ecosystem: Ecosystem) -> Option<String> {
    let like = |ids: &[&str]| {
        ids.contains(&os.id.as_str()) || os.id_like.iter().any(|l| ids.contains(&l.as_str()))
    };
    match ecosystem {
        Ecosystem::Deb if like(&["debian", "ubuntu"]) => Some(os.id.clone()),
        Ecosystem::Apk if like(&["alpine", "wolfi", "chainguard"]) => Some(os.id.clone()),
        Ecosystem::Rpm => {
            if let Some((_, ns)) = RPM_NAMESPACES.iter().find(|(id, _)| *id == os.id) {
                Some(ns.to_string())
            } else if like(&["rhel", "fedora", "centos", "suse", "opensuse"]) {
                Some(os.id.clone())
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Rewrite the purls of OS packages once the distro is known: namespace from the distro
/// (`ubuntu` for dpkg packages on Ubuntu, `redhat` for rpm on RHEL…) and
/// `distro=<id>-<release>` (`debian-12`, `alpine-3.19`, `rhel-9`). Language packages, and OS
/// packages of another distro family than `os`, are left as they are.
pub fn finalize_purls(os: &OsInfo, packages: &mut [Package]) {
    let distro =
        (!os.id.is_empty() && !os.release.is_empty()).then(|| format!("{}-{}", os.id, os.release));
    for p in packages.iter_mut().filter(|p| p.ecosystem.is_os()) {
        let Some(ns) = namespace_for(os, p.ecosystem) else {
            continue;
        };
        p.purl = os_purl(
            p.ecosystem,
            &ns,
            &p.name,
            &p.version,
            p.arch.as_deref(),
            distro.as_deref(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Analyzer, FileInput};

    fn os_of(a: &dyn Analyzer, path: &str, text: &str) -> (String, OsInfo) {
        let os = a
            .analyze(&FileInput {
                path,
                mode: 0o644,
                data: text.as_bytes(),
            })
            .unwrap()
            .os
            .unwrap();
        (path.to_string(), os)
    }

    fn all_orders(found: Vec<(String, OsInfo)>) -> OsInfo {
        let first = merge_os(found.clone()).unwrap();
        let mut rev = found.clone();
        rev.reverse();
        assert_eq!(
            merge_os(rev).unwrap(),
            first,
            "merge depends on input order"
        );
        let mut rot = found;
        rot.rotate_left(1);
        assert_eq!(
            merge_os(rot).unwrap(),
            first,
            "merge depends on input order"
        );
        first
    }

    const DEBIAN_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";

    #[test]
    fn debian_version_refines_debian_point_release() {
        let os = all_orders(vec![
            os_of(&OsRelease, "etc/os-release", DEBIAN_OS_RELEASE),
            os_of(&DebianVersion, "etc/debian_version", "12.5\n"),
            os_of(&OsRelease, "usr/lib/os-release", DEBIAN_OS_RELEASE),
        ]);
        assert_eq!(
            (os.id.as_str(), os.version.as_str(), os.release.as_str()),
            ("debian", "12.5", "12")
        );
        assert_eq!(os.source_path, "/etc/os-release");
        assert_eq!(os.eol.as_deref(), Some("2028-06-30"));
    }

    #[test]
    fn debian_testing_takes_release_from_codename() {
        let os = all_orders(vec![
            os_of(
                &OsRelease,
                "etc/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n",
            ),
            os_of(&DebianVersion, "etc/debian_version", "trixie/sid\n"),
        ]);
        assert_eq!(
            (
                os.version.as_str(),
                os.release.as_str(),
                os.codename.as_deref()
            ),
            ("", "trixie", Some("trixie"))
        );
    }

    #[test]
    fn ubuntu_ignores_its_debian_version() {
        let os = all_orders(vec![
            os_of(
                &OsRelease,
                "etc/os-release",
                "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n",
            ),
            os_of(&DebianVersion, "etc/debian_version", "bookworm/sid\n"),
        ]);
        assert_eq!(
            (
                os.id.as_str(),
                os.version.as_str(),
                os.release.as_str(),
                os.codename.as_deref()
            ),
            ("ubuntu", "22.04", "22.04", Some("jammy"))
        );
    }

    #[test]
    fn redhat_release_lengthens_centos_version() {
        let os = all_orders(vec![
            os_of(
                &OsRelease,
                "etc/os-release",
                "NAME=\"CentOS Linux\"\nID=\"centos\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
            ),
            os_of(
                &RedhatRelease,
                "etc/centos-release",
                "CentOS Linux release 7.9.2009 (Core)\n",
            ),
            os_of(
                &RedhatRelease,
                "etc/redhat-release",
                "CentOS Linux release 7.9.2009 (Core)\n",
            ),
        ]);
        assert_eq!(
            (os.id.as_str(), os.version.as_str(), os.release.as_str()),
            ("centos", "7.9.2009", "7")
        );
        assert_eq!(os.eol.as_deref(), Some("2024-06-30"));
    }

    #[test]
    fn release_files_alone_still_identify_the_os() {
        let os = all_orders(vec![os_of(
            &RedhatRelease,
            "etc/redhat-release",
            "CentOS release 6.10 (Final)\n",
        )]);
        assert_eq!((os.id.as_str(), os.release.as_str()), ("centos", "6"));
        let os = all_orders(vec![os_of(
            &AlpineRelease,
            "etc/alpine-release",
            "3.18.4\n",
        )]);
        assert_eq!(
            (os.id.as_str(), os.version.as_str(), os.release.as_str()),
            ("alpine", "3.18.4", "3.18")
        );
        assert_eq!(os.source_path, "/etc/alpine-release");
    }

    #[test]
    fn os_release_wins_over_a_foreign_release_file() {
        let os = all_orders(vec![
            os_of(&AlpineRelease, "etc/alpine-release", "3.18.4\n"),
            os_of(
                &OsRelease,
                "etc/os-release",
                "ID=wolfi\nVERSION_ID=20230201\n",
            ),
        ]);
        assert_eq!((os.id.as_str(), os.version.as_str()), ("wolfi", "20230201"));
    }

    #[test]
    fn nothing_found_is_none() {
        assert_eq!(merge_os(Vec::new()), None);
    }

    #[test]
    fn release_for_each_family() {
        // (id, version, codename, pretty, release)
        let cases = [
            ("alpine", "3.19.1", None, None, "3.19"),
            ("alpine", "3.19", None, None, "3.19"),
            ("alpine", "3.20.0", None, Some("Alpine Linux edge"), "edge"),
            ("debian", "12", None, None, "12"),
            ("debian", "12.5", None, None, "12"),
            ("debian", "", Some("sid"), None, "sid"),
            ("ubuntu", "22.04", None, None, "22.04"),
            ("ubuntu", "22.04.3", None, None, "22.04"),
            ("rhel", "9.3", None, None, "9"),
            ("ol", "8.9", None, None, "8"),
            ("amzn", "2", None, None, "2"),
            ("amzn", "2023.3.20240131", None, None, "2023"),
            ("amzn", "2018.03", None, None, "2018.03"),
            ("sles", "15.5", None, None, "15.5"),
            ("wolfi", "20230201", None, None, "20230201"),
            ("", "", None, None, ""),
        ];
        for (id, v, c, p, want) in cases {
            assert_eq!(release_for(id, v, c, p), want, "{id} {v}");
        }
    }

    fn pkg(eco: Ecosystem, name: &str, version: &str, arch: Option<&str>) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem: eco,
            purl: os_purl(eco, "", name, version, arch, None),
            licenses: vec![],
            source_name: None,
            source_version: None,
            arch: arch.map(str::to_string),
            dev: false,
            location: Default::default(),
        }
    }

    fn os(id: &str, release: &str, like: &[&str]) -> OsInfo {
        OsInfo {
            id: id.into(),
            release: release.into(),
            id_like: like.iter().map(|s| s.to_string()).collect(),
            ..OsInfo::default()
        }
    }

    #[test]
    fn finalize_sets_distro_namespace_and_qualifier() {
        // (os, package, purl after)
        let cases = [
            (
                os("debian", "12", &[]),
                pkg(Ecosystem::Deb, "libc6", "2.36-9+deb12u4", Some("amd64")),
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
            ),
            (
                os("ubuntu", "22.04", &["debian"]),
                pkg(Ecosystem::Deb, "bash", "5.1-6ubuntu1", Some("amd64")),
                "pkg:deb/ubuntu/bash@5.1-6ubuntu1?arch=amd64&distro=ubuntu-22.04",
            ),
            (
                os("alpine", "3.19", &[]),
                pkg(Ecosystem::Apk, "musl", "1.2.4-r2", Some("x86_64")),
                "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19",
            ),
            (
                os("wolfi", "20230201", &[]),
                pkg(Ecosystem::Apk, "glibc", "2.39-r1", Some("x86_64")),
                "pkg:apk/wolfi/glibc@2.39-r1?arch=x86_64&distro=wolfi-20230201",
            ),
            (
                os("rhel", "9", &["fedora"]),
                pkg(Ecosystem::Rpm, "bash", "5.1.8-6.el9", Some("x86_64")),
                "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9",
            ),
            (
                os("rocky", "8", &["rhel", "centos", "fedora"]),
                pkg(
                    Ecosystem::Rpm,
                    "perl-libs",
                    "4:5.26.3-422.el8",
                    Some("x86_64"),
                ),
                "pkg:rpm/rocky/perl-libs@5.26.3-422.el8?arch=x86_64&distro=rocky-8&epoch=4",
            ),
            (
                os("opensuse-leap", "15.5", &["suse", "opensuse"]),
                pkg(
                    Ecosystem::Rpm,
                    "zypper",
                    "1.14.64-150400.3.32.1",
                    Some("x86_64"),
                ),
                "pkg:rpm/opensuse/zypper@1.14.64-150400.3.32.1?arch=x86_64&distro=opensuse-leap-15.5",
            ),
        ];
        for (os, p, want) in cases {
            let mut v = vec![p];
            finalize_purls(&os, &mut v);
            assert_eq!(v[0].purl, want);
        }
    }

    /// Run every registered analyzer that wants a file, as the walker does.
    fn scan(files: &[(&str, &[u8])]) -> (Vec<(String, OsInfo)>, Vec<Package>, Vec<String>) {
        let (mut oses, mut pkgs, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
        for (path, data) in files {
            for a in crate::ANALYZERS
                .iter()
                .filter(|a| a.wants(path, 0o100644, data.len() as u64))
            {
                let f = a
                    .analyze(&FileInput {
                        path,
                        mode: 0o100644,
                        data,
                    })
                    .unwrap();
                oses.extend(f.os.map(|o| (path.to_string(), o)));
                pkgs.extend(f.packages);
                warnings.extend(f.warnings);
            }
        }
        (oses, pkgs, warnings)
    }

    #[test]
    fn distroless_debian_image_end_to_end() {
        let (oses, mut pkgs, warnings) = scan(&[
            ("etc/os-release", DEBIAN_OS_RELEASE.as_bytes()),
            ("etc/debian_version", b"12.4\n"),
            ("var/lib/dpkg/status.d/base", b"Package: base-files\nVersion: 12.4+deb12u4\nArchitecture: amd64\n"),
            ("var/lib/dpkg/status.d/base.md5sums", b"d41d8cd98f00b204e9800998ecf8427e  etc/issue\n"),
            ("var/lib/dpkg/status.d/libssl3", b"Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n"),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let mut os = merge_os(oses).unwrap();
        finalize_purls(&os, &mut pkgs);
        apply_eol(&mut os, "2026-11-23").unwrap();
        assert_eq!(
            (os.id.as_str(), os.version.as_str(), os.release.as_str()),
            ("debian", "12.4", "12")
        );
        assert_eq!(
            (os.eol.as_deref(), os.eol_reached),
            (Some("2028-06-30"), false)
        );
        let purls: Vec<_> = pkgs.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec![
                "pkg:deb/debian/base-files@12.4%2Bdeb12u4?arch=amd64&distro=debian-12",
                "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
            ]
        );
    }

    #[test]
    fn old_alpine_image_end_to_end() {
        let (oses, mut pkgs, _) = scan(&[
            ("etc/alpine-release", b"3.16.9\n"),
            (
                "etc/os-release",
                b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.16.9\n",
            ),
            (
                "lib/apk/db/installed",
                b"P:busybox\nV:1.35.0-r18\nA:aarch64\no:busybox\nL:GPL-2.0-only\n",
            ),
        ]);
        let mut os = merge_os(oses).unwrap();
        finalize_purls(&os, &mut pkgs);
        apply_eol(&mut os, "2026-11-23").unwrap();
        assert_eq!(
            (os.release.as_str(), os.eol.as_deref(), os.eol_reached),
            ("3.16", Some("2024-05-23"), true)
        );
        assert_eq!(
            pkgs[0].purl,
            "pkg:apk/alpine/busybox@1.35.0-r18?arch=aarch64&distro=alpine-3.16"
        );
    }

    #[test]
    fn finalize_leaves_foreign_and_language_packages_alone() {
        let mut v = vec![
            pkg(Ecosystem::Apk, "musl", "1.2.4-r2", Some("x86_64")),
            pkg(Ecosystem::PyPI, "requests", "2.31.0", None),
        ];
        let before = v.clone();
        finalize_purls(&os("debian", "12", &[]), &mut v);
        assert_eq!(v, before);
    }
}
