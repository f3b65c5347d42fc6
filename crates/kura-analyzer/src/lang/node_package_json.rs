//! Installed npm packages: `node_modules/<name>/package.json` and
//! `node_modules/@scope/<name>/package.json` at any depth (nested `node_modules`, pnpm's
//! `.pnpm/<id>/node_modules/…`). Other `package.json` files inside a package (`lib/package.json`
//! holding only `"type": "module"`) are not installed packages and are not wanted.

use kura_types::Ecosystem;

use super::{PackageExt, json_licenses, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Installed npm packages from `node_modules/**/package.json`.
pub struct NodePackageJson;

const FORMAT: &str = "package.json";

#[derive(serde::Deserialize)]
struct Manifest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<serde_json::Value>,
}

/// True for `…node_modules/<name>/package.json` and `…node_modules/@scope/<name>/package.json`.
fn is_installed_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else {
        return false;
    };
    let rest = match dir.rfind("node_modules/") {
        Some(i) if i == 0 || dir.as_bytes().get(i - 1) == Some(&b'/') => &dir[i + 13..],
        _ => return false,
    };
    match rest.split_once('/') {
        None => !rest.is_empty() && !rest.starts_with('.'),
        Some((scope, name)) => scope.starts_with('@') && !name.is_empty() && !name.contains('/'),
    }
}

impl Analyzer for NodePackageJson {
    fn id(&self) -> &'static str {
        "node-package-json"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "installed npm packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/node_modules/<name>/package.json",
            "**/node_modules/@<scope>/<name>/package.json",
        ]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        is_installed_manifest(path)
    }
    fn max_size(&self) -> u64 {
        4 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let m: Manifest = super::json(input.data, FORMAT, input.path)?;
        // Manifests without name or version exist (private stubs); they declare no package.
        let (Some(name), Some(version)) = (m.name, m.version) else {
            return Ok(FileFindings::default());
        };
        let mut lic = json_licenses(m.license.as_ref());
        lic.extend(json_licenses(m.licenses.as_ref()));
        Ok(FileFindings {
            packages: vec![package(Ecosystem::Npm, &name, &version, input.path).licenses(lic)],
            ..Default::default()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::run;

    pub(crate) const FIXTURE: &str = r#"{"name":"@babel/core","version":"7.23.0","license":"MIT","dependencies":{"debug":"^4.1.0"}}"#;

    #[test]
    fn wants_only_package_roots() {
        for (path, want) in [
            ("app/node_modules/lodash/package.json", true),
            ("node_modules/lodash/package.json", true),
            ("app/node_modules/@babel/core/package.json", true),
            ("app/node_modules/a/node_modules/b/package.json", true),
            (
                "app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json",
                true,
            ),
            ("app/node_modules/lodash/lib/package.json", false),
            ("app/node_modules/@babel/core/lib/package.json", false),
            ("app/node_modules/.bin/package.json", false),
            ("app/package.json", false),
            ("app/my_node_modules/x/package.json", false),
        ] {
            assert_eq!(NodePackageJson.wants(path, 0o644, 10), want, "{path}");
        }
    }

    #[test]
    fn license_forms_table() {
        for (json, want) in [
            (FIXTURE, vec!["MIT"]),
            (
                r#"{"name":"a","version":"1.0.0","license":{"type":"ISC"}}"#,
                vec!["ISC"],
            ),
            (
                r#"{"name":"a","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#,
                vec!["MIT", "Apache-2.0"],
            ),
            (r#"{"name":"a","version":"1.0.0"}"#, vec![]),
        ] {
            let f = run(
                &NodePackageJson,
                "node_modules/a/package.json",
                json.as_bytes(),
            );
            assert_eq!(f.packages[0].licenses, want, "{json}");
        }
    }

    #[test]
    fn scoped_purl_and_missing_version() {
        let f = run(
            &NodePackageJson,
            "app/node_modules/@babel/core/package.json",
            FIXTURE.as_bytes(),
        );
        assert_eq!(f.packages[0].purl, "pkg:npm/%40babel/core@7.23.0");
        assert_eq!(
            f.packages[0].location.path,
            "/app/node_modules/@babel/core/package.json"
        );
        let f = run(
            &NodePackageJson,
            "node_modules/a/package.json",
            br#"{"name":"a"}"#,
        );
        assert!(f.packages.is_empty());
    }
}
