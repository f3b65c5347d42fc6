//! SPDX 2.3 JSON (`spdx-schema.json` of the SPDX 2.3 specification).
//!
//! The document DESCRIBES one root package (the image or tree), which CONTAINS the operating
//! system package and every found package. Layer and path facts, which SPDX 2.3 has no field
//! for, are package `annotations` of type OTHER whose comment is `kura:<name>=<value>`.

use crate::license::{LicenseKind, classify_license};
use crate::{RenderOptions, ReportError, util};
use kura_types::{Inventory, Package};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const ROOT_ID: &str = "SPDXRef-Target";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// An SPDX 2.3 document for the inventory.
pub fn document(inv: &Inventory, opts: &RenderOptions) -> Result<Value, ReportError> {
    let created = util::utc_timestamp(&opts.now)?;
    let tool = format!("Tool: kura-{}", opts.kura_version);
    let mut refs = LicenseRefs::default();
    let mut packages = vec![root_package(inv)];
    let mut relationships = vec![relationship(DOCUMENT_ID, "DESCRIBES", ROOT_ID)];
    if let Some(os) = &inv.os {
        packages.push(json!({
            "SPDXID": OS_ID,
            "name": os.id,
            "versionInfo": os.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING_SYSTEM",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
        }));
        relationships.push(relationship(ROOT_ID, "CONTAINS", OS_ID));
    }
    let bom_refs = util::package_refs(inv);
    for (p, r) in inv.packages.iter().zip(&bom_refs) {
        let id = spdx_id(p, r);
        packages.push(package(p, &id, inv, &mut refs, &created, &tool));
        relationships.push(relationship(ROOT_ID, "CONTAINS", &id));
    }
    let digest = util::target_digest(&inv.target).unwrap_or(&inv.target.name);
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": if inv.target.name.is_empty() { "unknown" } else { inv.target.name.as_str() },
        "documentNamespace": namespace(&inv.target.name, digest, &opts.kura_version),
        "creationInfo": {
            "created": created,
            "creators": [tool],
            "licenseListVersion": license_list_version(),
        },
        "packages": packages,
        "relationships": relationships,
    });
    if !refs.by_text.is_empty() {
        doc["hasExtractedLicensingInfos"] = refs.infos();
    }
    Ok(doc)
}

/// SPDX 2.3 §6.5: a unique absolute URI per document. It is derived from the target's digest
/// and the kura version, so rerunning the same kura on the same image names the same document.
/// The SPDX specification suggests `https://spdx.org/spdxdocs/` for creators without a site.
fn namespace(name: &str, digest: &str, version: &str) -> String {
    let short: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    format!(
        "https://spdx.org/spdxdocs/kura-{}-{}",
        if short.is_empty() { "target" } else { &short },
        util::uuid_from(&[digest, version])
    )
}

/// The license list version whose identifiers the classifier accepts: the `spdx` crate's
/// list major.minor (SPDX 2.3 §6.7 wants `M.N`).
fn license_list_version() -> String {
    let v = spdx::identifiers::VERSION;
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn root_package(inv: &Inventory) -> Value {
    let t = &inv.target;
    let purpose = if util::is_image(t) {
        "CONTAINER"
    } else if t.kind == "fs" {
        "SOURCE"
    } else {
        "OTHER"
    };
    let mut p = json!({
        "SPDXID": ROOT_ID,
        "name": if t.name.is_empty() { "unknown" } else { t.name.as_str() },
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": purpose,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    });
    if let Some(d) = util::target_digest(t) {
        p["versionInfo"] = d.into();
    }
    if let Some(purl) = util::oci_purl(t) {
        p["externalRefs"] = json!([purl_ref(&purl)]);
    }
    p
}

fn package(
    p: &Package,
    id: &str,
    inv: &Inventory,
    refs: &mut LicenseRefs,
    created: &str,
    tool: &str,
) -> Value {
    let mut v = json!({
        "SPDXID": id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "LIBRARY",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": refs.declared(&p.licenses),
        "copyrightText": "NOASSERTION",
    });
    if !p.purl.is_empty() {
        v["externalRefs"] = json!([purl_ref(&p.purl)]);
    }
    if let Some(s) = &p.source_name {
        let ver = p.source_version.as_deref().unwrap_or(&p.version);
        v["sourceInfo"] = format!("built from source package {s} {ver}").into();
    }
    let annotations: Vec<Value> = util::package_properties(p, inv)
        .into_iter()
        .map(|(k, val)| {
            json!({
                "annotationDate": created,
                "annotationType": "OTHER",
                "annotator": tool,
                "comment": format!("{k}={val}"),
            })
        })
        .collect();
    if !annotations.is_empty() {
        v["annotations"] = Value::Array(annotations);
    }
    v
}

/// SPDXIDs allow only `[A-Za-z0-9.-]` after `SPDXRef-` (SPDX 2.3 §7.2); the readable part is
/// sanitized and a hash of the unique package reference keeps two packages apart.
fn spdx_id(p: &Package, bom_ref: &str) -> String {
    let readable: String = format!("{}-{}", p.ecosystem.purl_type(), p.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let hash = util::sha256_hex(&[bom_ref]);
    format!(
        "SPDXRef-Package-{readable}-{}",
        hash.get(..16).unwrap_or(&hash)
    )
}

fn purl_ref(purl: &str) -> Value {
    json!({
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": purl,
    })
}

fn relationship(from: &str, ty: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": ty,
        "relatedSpdxElement": to,
    })
}

/// Free-text licenses become `LicenseRef-` identifiers with their text in
/// `hasExtractedLicensingInfos` (SPDX 2.3 §10), so `licenseDeclared` is always a valid
/// expression and no declared text is lost.
#[derive(Default)]
struct LicenseRefs {
    /// Declared text → LicenseRef id.
    by_text: BTreeMap<String, String>,
    /// Ids in use, to keep them unique.
    used: BTreeMap<String, ()>,
}

impl LicenseRefs {
    fn declared(&mut self, declared: &[String]) -> String {
        let parts: Vec<(bool, String)> = declared
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| match classify_license(l) {
                LicenseKind::Id(s) => (false, s),
                LicenseKind::Expression(s) => (s.contains(char::is_whitespace), s),
                LicenseKind::Name(s) => (false, self.reference(&s)),
            })
            .collect();
        match parts.as_slice() {
            [] => "NOASSERTION".to_string(),
            [(_, one)] => one.clone(),
            many => many
                .iter()
                .map(|(compound, s)| {
                    if *compound {
                        format!("({s})")
                    } else {
                        s.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        }
    }

    fn reference(&mut self, text: &str) -> String {
        if let Some(id) = self.by_text.get(text) {
            return id.clone();
        }
        let base: String = text
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .take(48)
            .collect();
        let base = match base.trim_matches('-') {
            "" => "LicenseRef-text".to_string(),
            b => format!("LicenseRef-{b}"),
        };
        let mut id = base.clone();
        let mut n = 1;
        while self.used.contains_key(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.used.insert(id.clone(), ());
        self.by_text.insert(text.to_string(), id.clone());
        id
    }

    fn infos(&self) -> Value {
        let mut v: Vec<(&String, &String)> = self.by_text.iter().map(|(t, id)| (id, t)).collect();
        v.sort();
        v.into_iter()
            .map(|(id, text)| {
                json!({
                    "licenseId": id,
                    "name": text,
                    "extractedText": text,
                    "comment": "declared by the package; not an SPDX license expression",
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_licenses_become_valid_expressions() {
        let mut refs = LicenseRefs::default();
        for (input, want) in [
            (vec![], "NOASSERTION"),
            (vec!["MIT"], "MIT"),
            (vec!["MIT OR Apache-2.0"], "MIT OR Apache-2.0"),
            (
                vec!["(MIT OR Apache-2.0) AND Zlib"],
                "(MIT OR Apache-2.0) AND Zlib",
            ),
            (vec!["MIT", "BSD-3-Clause"], "MIT AND BSD-3-Clause"),
            (
                vec!["MIT OR Apache-2.0", "Zlib"],
                "(MIT OR Apache-2.0) AND Zlib",
            ),
            (vec!["GPLv2+"], "LicenseRef-GPLv2"),
            (vec!["GPL v2+"], "LicenseRef-GPL-v2"),
            (vec!["GPL-v2+"], "LicenseRef-GPL-v2-2"),
            (vec!["GPLv2+", "MIT"], "LicenseRef-GPLv2 AND MIT"),
            (vec!["  "], "NOASSERTION"),
            (vec!["+++"], "LicenseRef-text"),
        ] {
            let input: Vec<String> = input.into_iter().map(String::from).collect();
            assert_eq!(refs.declared(&input), want, "{input:?}");
        }
    }
}
