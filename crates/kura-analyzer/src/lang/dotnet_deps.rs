//! .NET `*.deps.json` (written next to every built app; "runtimeconfig and deps.json" in the .NET
//! host docs): `libraries` maps `Name/Version` to `{ "type": "package" | "project" | … }`. Only
//! NuGet packages (`type: package`) are reported; projects and framework references are the app
//! and its SDK.

use std::collections::BTreeMap;

use kura_types::Ecosystem;

use super::{file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// NuGet packages from `*.deps.json`.
pub struct DotnetDeps;

const FORMAT: &str = "deps.json";

#[derive(serde::Deserialize)]
struct Deps {
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(serde::Deserialize)]
struct Library {
    #[serde(rename = "type", default)]
    ty: String,
}

impl Analyzer for DotnetDeps {
    fn id(&self) -> &'static str {
        "dotnet-deps"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "NuGet packages (.deps.json)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/*.deps.json"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path).ends_with(".deps.json")
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let deps: Deps = super::json(input.data, FORMAT, input.path)?;
        let packages = deps
            .libraries
            .iter()
            .filter(|(_, l)| l.ty.eq_ignore_ascii_case("package"))
            .filter_map(|(k, _)| k.split_once('/'))
            .map(|(n, v)| package(Ecosystem::NuGet, n, v, input.path))
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
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {
      "MyApp/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}, "runtime": {"MyApp.dll": {}}},
      "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {}}}
    }
  },
  "libraries": {
    "MyApp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-abc", "path": "newtonsoft.json/13.0.1"},
    "System.Text.Json/8.0.0": {"type": "package", "serviceable": true}
  }
}"#;

    #[test]
    fn packages_only() {
        let f = run(&DotnetDeps, "app/MyApp.deps.json", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("Newtonsoft.Json", "13.0.1", false),
                ("System.Text.Json", "8.0.0", false)
            ])
        );
        assert_eq!(f.packages[0].purl, "pkg:nuget/Newtonsoft.Json@13.0.1");
    }
}
