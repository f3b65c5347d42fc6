//! Version ordering and range semantics for every ecosystem kura matches.
//!
//! Each ecosystem's rules live in their own module and cite the text they implement. A
//! [`Version`] is parsed once and then compared cheaply many times, which is what matching one
//! installed version against hundreds of advisory ranges needs.
//!
//! ```
//! use kura_version::{compare, Scheme, Version, VersionReq};
//! use std::cmp::Ordering;
//!
//! assert_eq!(compare(Scheme::Dpkg, "1.0~rc1", "1.0").unwrap(), Ordering::Less);
//! let installed = Version::parse(Scheme::Semver, "1.4.2").unwrap();
//! let affected = VersionReq::parse(Scheme::Semver, ">=1.2.3 <1.4.3 || ^3.1").unwrap();
//! assert!(affected.matches(&installed));
//! ```

use std::cmp::Ordering;
use std::fmt;

mod apk;
mod composer;
mod dpkg;
mod go;
mod maven;
mod nuget;
mod num;
mod pep440;
mod req;
mod rpm;
mod rubygems;
mod semver;

pub use req::VersionReq;

use kura_types::Ecosystem;

/// A version scheme: one ecosystem's rules for ordering versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian policy §5.6.12 (dpkg, apt).
    Dpkg,
    /// apk-tools version rules (Alpine, Wolfi).
    Apk,
    /// rpmvercmp with epoch (RPM distributions).
    Rpm,
    /// Semantic Versioning 2.0.0 (npm, crates.io).
    Semver,
    /// PEP 440 (PyPI).
    Pep440,
    /// Maven `ComparableVersion`.
    Maven,
    /// Go module versions (semver with `v`, pseudo-versions, `+incompatible`).
    Go,
    /// RubyGems `Gem::Version`.
    RubyGems,
    /// Composer `VersionParser` (Packagist).
    Composer,
    /// NuGet SemVer 2.0 with a fourth component.
    NuGet,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: &'static [Scheme] = &[
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::Go,
        Scheme::RubyGems,
        Scheme::Composer,
        Scheme::NuGet,
    ];

    /// The scheme that orders versions of packages of `e`.
    pub fn for_ecosystem(e: Ecosystem) -> Scheme {
        match e {
            Ecosystem::Apk => Scheme::Apk,
            Ecosystem::Deb => Scheme::Dpkg,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::PyPI => Scheme::Pep440,
            Ecosystem::Npm | Ecosystem::Cargo => Scheme::Semver,
            Ecosystem::Go => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::RubyGems => Scheme::RubyGems,
            Ecosystem::Packagist => Scheme::Composer,
            Ecosystem::NuGet => Scheme::NuGet,
        }
    }

    /// Lower-case name used in messages (`dpkg`, `pep440`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
            Scheme::Go => "go",
            Scheme::RubyGems => "rubygems",
            Scheme::Composer => "composer",
            Scheme::NuGet => "nuget",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a version or a requirement was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The version string does not follow the scheme's grammar.
    #[error("invalid {scheme} version {version:?}: {reason}")]
    InvalidVersion {
        /// Scheme the version was parsed with.
        scheme: Scheme,
        /// The rejected input.
        version: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The requirement string does not follow the scheme's range grammar.
    #[error("invalid {scheme} requirement {requirement:?}: {reason}")]
    InvalidRequirement {
        /// Scheme the requirement was parsed with.
        scheme: Scheme,
        /// The rejected input.
        requirement: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A parsed, comparable version.
///
/// Ordering is defined within one scheme; versions of different schemes order by scheme first so
/// that `Ord` stays total. Equality is ordering equality (`1.0.0 == 1` under Maven), not string
/// equality; [`Version::as_str`] keeps the text as written.
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    key: Key,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Dpkg(dpkg::DpkgVersion),
    Apk(apk::ApkVersion),
    Rpm(rpm::RpmVersion),
    Semver(semver::SemVersion),
    Pep440(pep440::Pep440Version),
    Maven(maven::MavenVersion),
    Go(go::GoVersion),
    RubyGems(rubygems::GemVersion),
    Composer(composer::ComposerVersion),
    NuGet(nuget::NuGetVersion),
}

impl Version {
    /// Parse and validate `s` under `scheme`.
    pub fn parse(scheme: Scheme, s: &str) -> Result<Self, VersionError> {
        let invalid = |reason: String| VersionError::InvalidVersion {
            scheme,
            version: s.to_string(),
            reason,
        };
        let key = match scheme {
            Scheme::Dpkg => Key::Dpkg(dpkg::DpkgVersion::parse(s).map_err(invalid)?),
            Scheme::Apk => Key::Apk(apk::ApkVersion::parse(s).map_err(invalid)?),
            Scheme::Rpm => Key::Rpm(rpm::RpmVersion::parse(s).map_err(invalid)?),
            Scheme::Semver => Key::Semver(semver::SemVersion::parse(s).map_err(invalid)?),
            Scheme::Pep440 => Key::Pep440(pep440::Pep440Version::parse(s).map_err(invalid)?),
            Scheme::Maven => Key::Maven(maven::MavenVersion::parse(s).map_err(invalid)?),
            Scheme::Go => Key::Go(go::GoVersion::parse(s).map_err(invalid)?),
            Scheme::RubyGems => Key::RubyGems(rubygems::GemVersion::parse(s).map_err(invalid)?),
            Scheme::Composer => {
                Key::Composer(composer::ComposerVersion::parse(s).map_err(invalid)?)
            }
            Scheme::NuGet => Key::NuGet(nuget::NuGetVersion::parse(s).map_err(invalid)?),
        };
        Ok(Version {
            raw: s.to_string(),
            key,
        })
    }

    /// The scheme this version was parsed with.
    pub fn scheme(&self) -> Scheme {
        match self.key {
            Key::Dpkg(_) => Scheme::Dpkg,
            Key::Apk(_) => Scheme::Apk,
            Key::Rpm(_) => Scheme::Rpm,
            Key::Semver(_) => Scheme::Semver,
            Key::Pep440(_) => Scheme::Pep440,
            Key::Maven(_) => Scheme::Maven,
            Key::Go(_) => Scheme::Go,
            Key::RubyGems(_) => Scheme::RubyGems,
            Key::Composer(_) => Scheme::Composer,
            Key::NuGet(_) => Scheme::NuGet,
        }
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True for versions their scheme calls pre-releases (`1.0-rc1`, `1.0a1`, `1.0~beta`).
    pub fn is_prerelease(&self) -> bool {
        match &self.key {
            Key::Dpkg(v) => v.is_prerelease(),
            Key::Apk(v) => v.is_prerelease(),
            Key::Rpm(v) => v.is_prerelease(),
            Key::Semver(v) => v.is_prerelease(),
            Key::Pep440(v) => v.is_prerelease(),
            Key::Maven(v) => v.is_prerelease(),
            Key::Go(v) => v.is_prerelease(),
            Key::RubyGems(v) => v.is_prerelease(),
            Key::Composer(v) => v.is_prerelease(),
            Key::NuGet(v) => v.is_prerelease(),
        }
    }

    /// True for Go pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`), which name a commit
    /// rather than a tagged release.
    pub fn is_pseudo(&self) -> bool {
        matches!(&self.key, Key::Go(v) if v.is_pseudo())
    }

    pub(crate) fn key(&self) -> &Key {
        &self.key
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Parse-validate-compare two versions of one scheme.
///
/// Invalid input yields a [`VersionError`] naming the scheme and the version.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(scheme, a)?.cmp(&Version::parse(scheme, b)?))
}

/// Normalise a Python distribution name (PEP 503 §Normalized Names).
///
/// Runs of `-`, `_` and `.` become one `-` and letters are lower-cased, so `Foo.Bar__baz`
/// and `foo-bar-baz` name the same project.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}
