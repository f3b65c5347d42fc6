//! NuGet `packages.lock.json` (lock file versions 1 and 2): `dependencies` maps each target
//! framework to `{ "Name": { "type": "Direct" | "Transitive" | "CentralTransitive" | "Project",
//! "resolved": "1.2.3" } }`. Project references are the solution itself and are skipped; a package
//! locked for several frameworks is reported once per version.

use std::collections::BTreeMap;

use kura_types::Ecosystem;

use super::{file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// NuGet packages from `packages.lock.json`.
pub struct NugetLock;

const FORMAT: &str = "packages.lock.json";

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    dependencies: BTreeMap<String, BTreeMap<String, Dep>>,
}

#[derive(serde::Deserialize)]
struct Dep {
    #[serde(rename = "type", default)]
    ty: String,
    #[serde(default)]
    resolved: Option<String>,
}

impl Analyzer for NugetLock {
    fn id(&self) -> &'static str {
        "nuget-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "NuGet packages (packages.lock.json)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/packages.lock.json"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "packages.lock.json"
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let lock: Lock = super::json(input.data, FORMAT, input.path)?;
        let packages = lock
            .dependencies
            .values()
            .flatten()
            .filter(|(_, d)| !d.ty.eq_ignore_ascii_case("project"))
            .filter_map(|(n, d)| {
                Some(package(
                    Ecosystem::NuGet,
                    n,
                    d.resolved.as_deref()?,
                    input.path,
                ))
            })
            .collect();
        Ok(FileFindings {
            packages: super::dedup(packages),
            ..Default::default()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};

    pub(crate) const FIXTURE: &str = r#"{
  "version": 1,
  "dependencies": {
    "net6.0": {
      "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.1, )", "resolved": "13.0.1", "contentHash": "abc"},
      "Microsoft.Extensions.Logging": {"type": "Transitive", "resolved": "6.0.0"},
      "MyLib": {"type": "Project", "dependencies": {}}
    },
    "net8.0": {
      "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.1, )", "resolved": "13.0.1"}
    }
  }
}"#;

    #[test]
    fn frameworks_collapse_projects_skipped() {
        let f = run(&NugetLock, "src/packages.lock.json", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("Microsoft.Extensions.Logging", "6.0.0", false),
                ("Newtonsoft.Json", "13.0.1", false)
            ])
        );
    }
}
