//! The ignore file (`.kuraignore`): a YAML list of findings the team has decided to accept
//! until a date. Format and rules are in `docs/policy.md`.

use crate::PolicyError;
use crate::purl::{self, PurlParts};
use kura_types::Finding;
use serde::Deserialize;
use serde_saphyr::Spanned;
use time::Date;
use time::macros::format_description;

/// One validated ignore entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    /// Vulnerability ID; matches a finding's primary ID or any alias, ignoring ASCII case.
    pub id: String,
    /// Package name the entry is limited to.
    pub package: Option<String>,
    /// Package URL the entry is limited to (version and qualifiers optional, see [`purl::matches`]).
    pub purl: Option<String>,
    purl_parts: Option<PurlParts>,
    /// Path of the package's file inside the image; a value ending in `/` matches a directory.
    pub path: Option<String>,
    /// Why the finding is accepted.
    pub reason: Option<String>,
    /// Last day the entry applies (inclusive).
    pub expires: Date,
    /// 1-based line of the entry in the file.
    pub line: u64,
}

impl IgnoreEntry {
    /// True when the entry names this finding (regardless of expiry).
    pub fn matches(&self, f: &Finding) -> bool {
        let id_ok = f.id.eq_ignore_ascii_case(&self.id)
            || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(&self.id));
        id_ok
            && self.package.as_ref().is_none_or(|p| *p == f.package_name)
            && self.purl_parts.as_ref().is_none_or(|p| {
                purl::parse(&f.purl).is_some_and(|candidate| purl::matches(p, &candidate))
            })
            && self
                .path
                .as_ref()
                .is_none_or(|p| path_matches(p, &f.location.path))
    }

    /// True when `today` is after the expiry date.
    pub fn expired(&self, today: Date) -> bool {
        today > self.expires
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches('/');
    let path = path.trim_start_matches('/');
    if pattern.ends_with('/') {
        path.starts_with(pattern)
    } else {
        path == pattern
    }
}

/// A parsed ignore file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreFile {
    /// Where it was read from, for messages.
    pub source: String,
    /// Entries in file order.
    pub entries: Vec<IgnoreEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Option<Spanned<String>>,
    package: Option<String>,
    purl: Option<Spanned<String>>,
    path: Option<String>,
    reason: Option<String>,
    expires: Option<Spanned<String>>,
}

impl IgnoreFile {
    /// Parse the YAML text of an ignore file; `source` names it in errors.
    ///
    /// Unknown keys, a missing `id` or `expires`, a malformed date or purl are errors naming the
    /// file, the entry and its line: an ignore file that silently ignores more (or less) than
    /// written is worse than one that fails to load.
    pub fn parse(text: &str, source: &str) -> Result<Self, PolicyError> {
        let raw: Option<Vec<Spanned<RawEntry>>> = serde_saphyr::from_str(text).map_err(|e| {
            let loc = e.location();
            PolicyError::IgnoreSyntax {
                file: source.to_string(),
                line: loc.map_or(0, |l| l.line()),
                column: loc.map_or(0, |l| l.column()),
                message: first_line(&e.to_string()),
            }
        })?;
        let entries = raw
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, e)| validate(e, i + 1, source))
            .collect::<Result<_, _>>()?;
        Ok(IgnoreFile {
            source: source.to_string(),
            entries,
        })
    }
}

/// The parser's message without the `error: line N column M:` prefix and source snippet it
/// adds (the location is reported in its own fields).
fn first_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or(s).trim();
    let msg = first.strip_prefix("error: ").unwrap_or(first);
    let msg = match msg.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map_or(msg, |(_, m)| m),
        None => msg,
    };
    if msg.contains("expected sequence") {
        format!("{msg}: the ignore file is a YAML list of entries (`- id: CVE-…`)")
    } else {
        msg.to_string()
    }
}

fn validate(
    raw: Spanned<RawEntry>,
    entry: usize,
    source: &str,
) -> Result<IgnoreEntry, PolicyError> {
    let line = raw.referenced.line();
    let e = raw.value;
    let err = |problem: String| PolicyError::IgnoreEntry {
        file: source.to_string(),
        entry,
        line,
        problem,
    };
    let id =
        e.id.map(|s| s.value.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| err("has no `id`".to_string()))?;
    let expires_raw = e.expires.ok_or_else(|| {
        err(format!(
            "(id {id}) has no `expires` date; every ignore entry must say until when it applies (YYYY-MM-DD)"
        ))
    })?;
    let expires = Date::parse(
        expires_raw.value.trim(),
        format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        err(format!(
            "(id {id}) has `expires: {}` at line {}; expected a date as YYYY-MM-DD",
            expires_raw.value,
            expires_raw.referenced.line()
        ))
    })?;
    let purl_parts = match &e.purl {
        Some(p) => Some(purl::parse(&p.value).ok_or_else(|| {
            err(format!(
                "(id {id}) has `purl: {}` at line {}, which is not a package URL (pkg:type/namespace/name@version)",
                p.value,
                p.referenced.line()
            ))
        })?),
        None => None,
    };
    Ok(IgnoreEntry {
        id,
        package: e.package.filter(|s| !s.is_empty()),
        purl: e.purl.map(|p| p.value),
        purl_parts,
        path: e.path.filter(|s| !s.is_empty()),
        reason: e.reason.filter(|s| !s.is_empty()),
        expires,
        line,
    })
}
