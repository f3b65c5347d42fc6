//! OpenVEX documents (OpenVEX specification v0.2.0, with the v0.0.x string forms of
//! `vulnerability` and `products` also accepted).
//!
//! The document is walked as JSON rather than derived with serde so every error can name the
//! statement and the field, and so fields OpenVEX may add later are not rejected.

use crate::PolicyError;
use crate::purl::{self, PurlParts};
use kura_types::{Finding, Target};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// VEX status (OpenVEX §Status Labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    /// No remediation is required; suppresses.
    NotAffected,
    /// Action is required; does not suppress.
    Affected,
    /// The product contains a fix; suppresses.
    Fixed,
    /// Not yet known; does not suppress.
    UnderInvestigation,
}

impl VexStatus {
    /// The OpenVEX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    /// True for statuses that take a finding out of the gate.
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "not_affected" => VexStatus::NotAffected,
            "affected" => VexStatus::Affected,
            "fixed" => VexStatus::Fixed,
            "under_investigation" => VexStatus::UnderInvestigation,
            _ => return None,
        })
    }
}

/// The justifications OpenVEX §Status Justifications allows for `not_affected`.
pub const JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// A product of a statement: a purl, and the subcomponents the statement is limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The product's purl (`@id` or `identifiers.purl`), when it has one.
    pub purl: Option<PurlParts>,
    /// Subcomponents (their purls, `None` for one named otherwise); when present, only these
    /// packages of the product are concerned.
    pub subcomponents: Vec<Option<PurlParts>>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based position in the document.
    pub index: usize,
    /// Vulnerability name, `@id` and aliases.
    pub vulnerability_ids: Vec<String>,
    /// Products the statement is about.
    pub products: Vec<Product>,
    /// Status.
    pub status: VexStatus,
    /// Justification (for `not_affected`).
    pub justification: Option<String>,
    /// Impact statement (for `not_affected`).
    pub impact_statement: Option<String>,
    /// Statement time, or the document's when the statement has none.
    pub timestamp: Option<OffsetDateTime>,
}

impl Statement {
    /// True when the statement names the finding's vulnerability and its package.
    pub fn matches(&self, f: &Finding, target: &Target) -> bool {
        let vuln = self.vulnerability_ids.iter().any(|v| {
            f.id.eq_ignore_ascii_case(v) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(v))
        });
        if !vuln {
            return false;
        }
        let Some(pkg) = purl::parse(&f.purl) else {
            return false;
        };
        self.products
            .iter()
            .any(|p| product_matches(p, &pkg, target))
    }

    /// The text recorded as the suppression reason: `justification: impact statement`.
    pub fn reason(&self) -> Option<String> {
        match (&self.justification, &self.impact_statement) {
            (Some(j), Some(i)) => Some(format!("{j}: {i}")),
            (Some(x), None) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        }
    }
}

/// A product matches a package when its purl names the package itself, or when it names the
/// scanned image (a `pkg:oci` purl whose version is the image's digest, or which has no version
/// and the image's name) and either lists no subcomponents or lists this package among them
/// (OpenVEX §Product, §Subcomponent).
fn product_matches(p: &Product, pkg: &PurlParts, target: &Target) -> bool {
    let Some(pp) = &p.purl else { return false };
    if purl::matches(pp, pkg) {
        return true;
    }
    if pp.ty == "oci" && names_target(pp, target) {
        return p.subcomponents.is_empty()
            || p.subcomponents
                .iter()
                .flatten()
                .any(|s| purl::matches(s, pkg));
    }
    false
}

fn names_target(pp: &PurlParts, target: &Target) -> bool {
    match &pp.version {
        Some(d) => [&target.manifest_digest, &target.config_digest]
            .into_iter()
            .flatten()
            .any(|t| t.eq_ignore_ascii_case(d)),
        None => {
            let reference = target.tags.first().unwrap_or(&target.name);
            let no_tag = reference.split('@').next().unwrap_or(reference);
            let last = no_tag.rsplit('/').next().unwrap_or(no_tag);
            let name = last.split(':').next().unwrap_or(last);
            !name.is_empty() && name.eq_ignore_ascii_case(&pp.name)
        }
    }
}

/// A parsed OpenVEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    /// Where it was read from.
    pub source: String,
    /// Statements in document order.
    pub statements: Vec<Statement>,
}

impl VexDocument {
    /// Parse an OpenVEX JSON document; `source` names it in errors.
    pub fn parse(bytes: &[u8], source: &str) -> Result<Self, PolicyError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| PolicyError::VexSyntax {
            file: source.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let doc_err = |problem: String| PolicyError::VexDocument {
            file: source.to_string(),
            problem,
        };
        let obj = doc
            .as_object()
            .ok_or_else(|| doc_err("the document is not a JSON object".into()))?;
        match obj.get("@context").and_then(Value::as_str) {
            Some(c) if c.starts_with("https://openvex.dev/ns") => {}
            Some(c) => {
                return Err(doc_err(format!(
                    "`@context` is `{c}`, not an OpenVEX context (https://openvex.dev/ns/…)"
                )));
            }
            None => {
                return Err(doc_err(
                    "has no `@context`; is this an OpenVEX document?".into(),
                ));
            }
        }
        let doc_time = match obj.get("timestamp") {
            Some(t) => Some(
                timestamp(t)
                    .ok_or_else(|| doc_err(format!("`timestamp` {t} is not an RFC 3339 time")))?,
            ),
            None => None,
        };
        let statements = obj
            .get("statements")
            .and_then(Value::as_array)
            .ok_or_else(|| doc_err("has no `statements` array".into()))?;
        let statements = statements
            .iter()
            .enumerate()
            .map(|(i, s)| statement(s, i + 1, doc_time, source))
            .collect::<Result<_, _>>()?;
        Ok(VexDocument {
            source: source.to_string(),
            statements,
        })
    }
}

fn timestamp(v: &Value) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(v.as_str()?, &Rfc3339).ok()
}

fn statement(
    v: &Value,
    index: usize,
    doc_time: Option<OffsetDateTime>,
    source: &str,
) -> Result<Statement, PolicyError> {
    let err = |problem: String| PolicyError::VexStatement {
        file: source.to_string(),
        statement: index,
        problem,
    };
    let obj = v
        .as_object()
        .ok_or_else(|| err("is not a JSON object".into()))?;
    let vulnerability_ids = match obj.get("vulnerability") {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Object(o)) => {
            let mut ids: Vec<String> = ["name", "@id"]
                .iter()
                .filter_map(|k| o.get(*k).and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            if let Some(aliases) = o.get("aliases") {
                let list = aliases
                    .as_array()
                    .ok_or_else(|| err("`vulnerability.aliases` is not an array".into()))?;
                for a in list {
                    let a = a.as_str().ok_or_else(|| {
                        err(format!("`vulnerability.aliases` holds {a}, not a string"))
                    })?;
                    ids.push(a.to_string());
                }
            }
            ids.retain(|s| !s.is_empty());
            if ids.is_empty() {
                return Err(err("`vulnerability` has no `name`".into()));
            }
            ids
        }
        Some(other) => {
            return Err(err(format!(
                "`vulnerability` is {other}, expected an object with `name`"
            )));
        }
        None => return Err(err("has no `vulnerability`".into())),
    };
    let status_text = obj
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| err("has no `status`".into()))?;
    let status = VexStatus::parse(status_text).ok_or_else(|| {
        err(format!(
            "`status` is `{status_text}`; expected not_affected, affected, fixed or under_investigation"
        ))
    })?;
    let text = |k: &str| -> Result<Option<String>, PolicyError> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(err(format!("`{k}` is {other}, not a string"))),
        }
    };
    let justification = text("justification")?;
    let impact_statement = text("impact_statement")?;
    if let Some(j) = &justification
        && !JUSTIFICATIONS.contains(&j.as_str())
    {
        return Err(err(format!(
            "`justification` is `{j}`; expected one of {}",
            JUSTIFICATIONS.join(", ")
        )));
    }
    if status == VexStatus::NotAffected && justification.is_none() && impact_statement.is_none() {
        return Err(err(
            "is not_affected but has neither `justification` nor `impact_statement` (OpenVEX requires one)".into(),
        ));
    }
    let products = obj
        .get("products")
        .and_then(Value::as_array)
        .ok_or_else(|| err("has no `products` array".into()))?
        .iter()
        .enumerate()
        .map(|(i, p)| product(p).map_err(|m| err(format!("product {}: {m}", i + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    let timestamp = match obj.get("timestamp") {
        Some(t) => Some(
            timestamp(t).ok_or_else(|| err(format!("`timestamp` {t} is not an RFC 3339 time")))?,
        ),
        None => doc_time,
    };
    Ok(Statement {
        index,
        vulnerability_ids,
        products,
        status,
        justification,
        impact_statement,
        timestamp,
    })
}

/// A product is a string (`@id`, OpenVEX 0.0.x) or an object with `@id`, `identifiers.purl`
/// and `subcomponents`. An `@id` that is not a purl (a hash, a URL) is kept but names nothing
/// kura can match.
fn product(v: &Value) -> Result<Product, String> {
    match v {
        Value::String(s) => Ok(Product {
            purl: purl::parse(s),
            subcomponents: Vec::new(),
        }),
        Value::Object(o) => {
            let id = o.get("@id").and_then(Value::as_str);
            let ident = o
                .get("identifiers")
                .and_then(|i| i.get("purl"))
                .and_then(Value::as_str);
            let purl = id
                .and_then(purl::parse)
                .or_else(|| ident.and_then(purl::parse));
            if purl.is_none() && id.is_none() && ident.is_none() {
                return Err("has neither `@id` nor `identifiers.purl`".into());
            }
            let subcomponents = match o.get("subcomponents") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        product(s)
                            .map(|p| p.purl)
                            .map_err(|m| format!("subcomponent {}: {m}", i + 1))
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => return Err(format!("`subcomponents` is {other}, not an array")),
            };
            Ok(Product {
                purl,
                subcomponents,
            })
        }
        other => Err(format!("is {other}, expected an object with `@id`")),
    }
}
