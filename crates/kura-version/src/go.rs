//! Go module versions (Go Modules Reference, "Versions" and "Pseudo-versions").
//!
//! A module version is a semantic version with a `v` prefix (`v1.2.3`, `v2.0.0+incompatible`).
//! Ordering is SemVer 2.0 precedence, so pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//! `v1.2.4-0.20191109021931-daa7c04131f5`) sort as the pre-releases they are: before the
//! release they precede and after the tag they were derived from. `+incompatible` is build
//! metadata and does not affect ordering. The `v` is optional here because OSV's Go
//! ecosystem writes versions without it.

use crate::semver::SemVersion;

/// A parsed Go module version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GoVersion {
    sem: SemVersion,
    pseudo: bool,
}

impl GoVersion {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bare = s.strip_prefix('v').unwrap_or(s);
        let sem = SemVersion::parse_strict(bare)?;
        if !sem.build.is_empty() && sem.build != "incompatible" {
            return Err(format!(
                "build metadata {:?} is not allowed (only +incompatible)",
                sem.build
            ));
        }
        let pseudo = is_pseudo(&sem);
        Ok(GoVersion { sem, pseudo })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.sem.is_prerelease()
    }

    /// True for pseudo-versions: the last pre-release identifiers are a 14-digit UTC timestamp
    /// and a 12-character commit hash prefix.
    pub(crate) fn is_pseudo(&self) -> bool {
        self.pseudo
    }
}

fn is_pseudo(sem: &SemVersion) -> bool {
    use crate::semver::Ident;
    let Some(Ident::Alpha(last)) = sem.pre.last() else {
        return false;
    };
    // `vX.0.0-yyyymmddhhmmss-abcdefabcdef` keeps both in one identifier joined by `-`;
    // `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef…` and `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef…` too.
    let Some((time, rev)) = last.rsplit_once('-') else {
        return false;
    };
    let time = time.rsplit('.').next().unwrap_or(time);
    time.len() == 14
        && time.bytes().all(|b| b.is_ascii_digit())
        && rev.len() == 12
        && rev
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}
