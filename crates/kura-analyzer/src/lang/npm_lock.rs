//! `package-lock.json` / `npm-shrinkwrap.json` / `node_modules/.package-lock.json`.
//!
//! Lockfile v2 and v3 list every install location under `packages` (`node_modules/a`,
//! `node_modules/a/node_modules/b`), each with `version`, `dev`, `license`; v1 nests
//! `dependencies` recursively. v2 carries both; `packages` wins. Entries outside `node_modules`
//! (the root `""`, workspace folders) and symlinks (`link: true`) are the project itself and are
//! skipped, as are non-registry versions (`git+…`, `file:…`). `devOptional` packages are not dev:
//! an optional runtime dependency may install them in production.

use std::collections::BTreeMap;

use kura_types::{Ecosystem, Package};

use super::{PackageExt, file_name, json_licenses, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// npm packages from `package-lock.json` v1, v2 and v3.
pub struct NpmLock;

const FORMAT: &str = "package-lock.json";

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Option<BTreeMap<String, V2Pkg>>,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, V1Dep>>,
}

#[derive(serde::Deserialize)]
struct V2Pkg {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    license: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct V1Dep {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Dep>,
}

impl Analyzer for NpmLock {
    fn id(&self) -> &'static str {
        "npm-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "npm packages (package-lock.json)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/package-lock.json",
            "**/npm-shrinkwrap.json",
            "**/node_modules/.package-lock.json",
        ]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        matches!(
            file_name(path),
            "package-lock.json" | "npm-shrinkwrap.json" | ".package-lock.json"
        )
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let lock: Lock = super::json(input.data, FORMAT, input.path)?;
        let mut out = Vec::new();
        if let Some(pkgs) = &lock.packages {
            for (key, p) in pkgs {
                let Some(i) = key.rfind("node_modules/") else {
                    continue;
                };
                let Some(version) = p.version.as_deref() else {
                    continue;
                };
                if p.link {
                    continue;
                }
                let name = p.name.as_deref().unwrap_or(&key[i + 13..]);
                push(
                    &mut out,
                    name,
                    version,
                    p.dev,
                    json_licenses(p.license.as_ref()),
                    input.path,
                );
            }
        } else if let Some(deps) = &lock.dependencies {
            let mut stack: Vec<(&String, &V1Dep)> = deps.iter().collect();
            while let Some((name, d)) = stack.pop() {
                if let Some(v) = d.version.as_deref() {
                    push(&mut out, name, v, d.dev, Vec::new(), input.path);
                }
                stack.extend(d.dependencies.iter());
            }
            out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        }
        Ok(FileFindings {
            packages: super::dedup(out),
            ..Default::default()
        })
    }
}

fn push(
    out: &mut Vec<Package>,
    name: &str,
    version: &str,
    dev: bool,
    lic: Vec<String>,
    path: &str,
) {
    // v1 aliases record `npm:real-name@1.2.3` as the version.
    let (name, version) = match version.strip_prefix("npm:") {
        Some(spec) => match spec.get(1..).and_then(|s| s.find('@')) {
            Some(i) => (&spec[..=i], &spec[i + 2..]),
            None => return,
        },
        None => (name, version),
    };
    if version.contains(':') || version.is_empty() {
        return;
    }
    out.push(
        package(Ecosystem::Npm, name, version, path)
            .dev(dev)
            .licenses(lic),
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};

    pub(crate) const FIXTURE: &str = r#"{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "dependencies": {"debug": "^4.3.4"}},
    "node_modules/@babel/core": {"version": "7.23.0", "dev": true, "license": "MIT"},
    "node_modules/debug": {"version": "4.3.4", "license": "MIT"},
    "node_modules/ms": {"version": "2.1.2", "license": "MIT"},
    "node_modules/debug/node_modules/ms": {"version": "2.1.3", "license": "MIT"},
    "node_modules/@babel/core/node_modules/ms": {"version": "2.1.2", "dev": true},
    "node_modules/fsevents": {"version": "2.3.3", "devOptional": true, "optional": true},
    "node_modules/my-alias": {"name": "lodash", "version": "4.17.21"},
    "node_modules/local": {"resolved": "packages/local", "link": true},
    "packages/local": {"name": "local", "version": "0.0.1"},
    "node_modules/gitdep": {"version": "git+ssh://git@example.com/x.git#abc"}
  }
}"#;

    #[test]
    fn v3_packages_with_nesting_aliases_links() {
        let f = run(&NpmLock, "app/package-lock.json", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("@babel/core", "7.23.0", true),
                ("ms", "2.1.2", false),
                ("debug", "4.3.4", false),
                ("ms", "2.1.3", false),
                ("fsevents", "2.3.3", false),
                ("lodash", "4.17.21", false),
            ])
        );
        assert_eq!(f.packages[0].purl, "pkg:npm/%40babel/core@7.23.0");
        assert_eq!(f.packages[2].licenses, ["MIT"]);
    }

    #[test]
    fn v1_nested_dependencies() {
        let v1 = r#"{"name":"app","lockfileVersion":1,"dependencies":{
            "debug":{"version":"4.3.4","dependencies":{"ms":{"version":"2.1.3"}}},
            "ms":{"version":"2.1.2","dev":true},
            "alias":{"version":"npm:@scope/real@1.0.0"},
            "tarball":{"version":"file:../x.tgz"}}}"#;
        let f = run(&NpmLock, "package-lock.json", v1.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("@scope/real", "1.0.0", false),
                ("debug", "4.3.4", false),
                ("ms", "2.1.2", true),
                ("ms", "2.1.3", false),
            ])
        );
    }
}
