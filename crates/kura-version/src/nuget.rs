//! NuGet package versions ("Package versioning" in the NuGet docs, SemVer 2.0 support).
//!
//! `Major.Minor[.Patch[.Revision]][-Prerelease][+Metadata]`: missing components are `0`, so
//! `1.0 == 1.0.0 == 1.0.0.0`; leading zeros are tolerated (NuGet normalises `01.2` to `1.2`).
//! A release sorts after its pre-releases; pre-release labels compare as in SemVer 2.0 but
//! case-insensitively (`1.0.0-Beta == 1.0.0-beta`); metadata is ignored.

use crate::num::Num;
use crate::semver::{Ident, check_build, cmp_pre, split_parts};
use std::cmp::Ordering;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub(crate) struct NuGetVersion {
    pub(crate) parts: [Num; 4],
    pre: Vec<Ident>,
}

impl NuGetVersion {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err("empty version".into());
        }
        let (core, pre, build) = split_parts(s);
        let comps: Vec<&str> = core.split('.').collect();
        if comps.len() < 2 && !(comps.len() == 1 && pre.is_none() && build.is_none()) {
            return Err("expected at least MAJOR.MINOR".into());
        }
        if comps.len() > 4 {
            return Err("more than four numeric components".into());
        }
        let mut parts: [Num; 4] = Default::default();
        for (slot, c) in parts.iter_mut().zip(&comps) {
            *slot = Num::parse(c).ok_or_else(|| format!("component {c:?} is not a number"))?;
        }
        let pre = match pre {
            Some(p) => p
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        return Err(format!("invalid pre-release label {id:?}"));
                    }
                    Ok(match Num::parse(id) {
                        Some(n) => Ident::Num(n),
                        None => Ident::Alpha(id.to_ascii_lowercase()),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        if let Some(b) = build {
            check_build(b)?;
        }
        Ok(NuGetVersion { parts, pre })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts
            .cmp(&other.parts)
            .then_with(|| cmp_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for NuGetVersion {}
