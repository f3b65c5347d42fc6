//! Which DB keys a package is looked up under, and how its version is compared.
//!
//! OS packages are keyed by distro and release (`Alpine:v3.19`, `Debian:12`, `Ubuntu:22.04`),
//! because a fix in one release says nothing about another. Debian and Ubuntu feeds speak of
//! source packages; Alpine's secdb of origins; both fall back to the binary name.

use kura_types::{Ecosystem, Inventory, Package};
use kura_version::Scheme;
use kura_vulndb::package_lookup_name;

/// The ecosystem keys an inventory's OS selects for OS packages.
pub fn os_keys(inv: &Inventory, eco: Ecosystem) -> Vec<String> {
    let Some(os) = &inv.os else {
        return Vec::new();
    };
    let release = os.release.trim();
    let major = release.split('.').next().unwrap_or(release);
    let id = os.id.to_ascii_lowercase();
    match (eco, id.as_str()) {
        (Ecosystem::Apk, "alpine") if !release.is_empty() => {
            // secdb and OSV name branches `v3.19` (major.minor only); edge stays `edge`.
            let mm: Vec<&str> = release.split('.').take(2).collect();
            let branch = if release == "edge" {
                "edge".to_string()
            } else {
                format!("v{}", mm.join("."))
            };
            vec![format!("Alpine:{branch}")]
        }
        (Ecosystem::Apk, "wolfi") => vec!["Wolfi".into()],
        (Ecosystem::Apk, "chainguard") => vec!["Chainguard".into()],
        (Ecosystem::Deb, "debian") if !release.is_empty() => vec![format!("Debian:{major}")],
        (Ecosystem::Deb, "ubuntu") if !release.is_empty() => vec![format!("Ubuntu:{release}")],
        (Ecosystem::Rpm, "rocky") if !major.is_empty() => vec![format!("Rocky Linux:{major}")],
        (Ecosystem::Rpm, "almalinux") if !major.is_empty() => vec![format!("AlmaLinux:{major}")],
        _ => Vec::new(),
    }
}

/// Every `(ecosystem key, lookup name)` to query for `pkg`.
pub fn lookups(inv: &Inventory, pkg: &Package) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, n: &str| {
        let n = package_lookup_name(k, n);
        if !n.is_empty() && !out.iter().any(|(a, b)| a == k && *b == n) {
            out.push((k.to_string(), n));
        }
    };
    if pkg.ecosystem.is_os() {
        for key in os_keys(inv, pkg.ecosystem) {
            if let Some(src) = &pkg.source_name {
                push(&key, src);
            }
            push(&key, &pkg.name);
        }
    } else {
        push(pkg.ecosystem.as_str(), &pkg.name);
    }
    out
}

/// The version scheme of a package's ecosystem.
pub fn scheme(pkg: &Package) -> Scheme {
    Scheme::for_ecosystem(pkg.ecosystem)
}

/// The version matched: the source version for Debian/Ubuntu when known (their feeds name
/// source versions; a binNMU `+b1` binary shares its source's fixes), else the package version.
/// Go's toolchain (`stdlib`) may be reported as `go1.21.0`.
pub fn match_version(pkg: &Package) -> String {
    match pkg.ecosystem {
        Ecosystem::Deb => pkg
            .source_version
            .clone()
            .unwrap_or_else(|| pkg.version.clone()),
        Ecosystem::Go => pkg
            .version
            .strip_prefix("go")
            .unwrap_or(&pkg.version)
            .to_string(),
        _ => pkg.version.clone(),
    }
}
