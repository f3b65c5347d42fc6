//! Maven `pom.xml` (POM 4.0.0 reference): the project's own coordinates (group and version
//! inherited from `<parent>` when absent) and its `<dependencies>` whose versions are literal or
//! resolve through this file's `<properties>` and `${project.*}`. Versions managed elsewhere
//! (parent POMs, imported BOMs) cannot be known from one file: those dependencies are skipped and
//! counted in a warning. `<dependencyManagement>` entries are constraints, not dependencies.
//! Scope `test` marks a dependency dev. Licenses come from `<licenses><license><name>`.

use std::collections::HashMap;

use kura_types::{Ecosystem, Package};

use super::{PackageExt, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Maven project and dependencies from `pom.xml`.
pub struct MavenPom;

const FORMAT: &str = "pom.xml";

#[derive(Default, Clone)]
struct Dep {
    group: String,
    artifact: String,
    version: String,
    scope: String,
}

/// What one POM declares.
#[derive(Default)]
pub(crate) struct Pom {
    project: Dep,
    parent: Dep,
    properties: HashMap<String, String>,
    deps: Vec<Dep>,
    licenses: Vec<String>,
}

/// Parse a POM document.
pub(crate) fn parse(text: &str) -> Result<Pom, super::xml::XmlError> {
    let mut pom = Pom::default();
    let mut cur = Dep::default();
    super::xml::walk(text, |path, t| {
        let field = |d: &mut Dep, leaf: &str| match leaf {
            "groupId" => d.group = t.to_string(),
            "artifactId" => d.artifact = t.to_string(),
            "version" => d.version = t.to_string(),
            "scope" => d.scope = t.to_string(),
            _ => {}
        };
        match path {
            ["project", leaf] => field(&mut pom.project, leaf),
            ["project", "parent", leaf] => field(&mut pom.parent, leaf),
            ["project", "properties", key] => {
                pom.properties.insert(key.to_string(), t.to_string());
            }
            ["project", "licenses", "license", "name"] => pom.licenses.push(t.to_string()),
            ["project", "dependencies", "dependency", leaf] => field(&mut cur, leaf),
            ["project", "dependencies", "dependency"] => pom.deps.push(std::mem::take(&mut cur)),
            _ => {}
        }
    })?;
    if pom.project.group.is_empty() {
        pom.project.group = pom.parent.group.clone();
    }
    if pom.project.version.is_empty() {
        pom.project.version = pom.parent.version.clone();
    }
    Ok(pom)
}

impl Pom {
    /// License names declared in `<licenses>`.
    pub(crate) fn license_names(&self) -> Vec<String> {
        self.licenses.clone()
    }

    /// Substitute `${…}` references; `None` when one cannot be resolved from this file.
    fn resolve(&self, s: &str) -> Option<String> {
        self.resolve_at(s, 0)
    }

    fn resolve_at(&self, s: &str, depth: u32) -> Option<String> {
        // Properties referring to properties are followed a few levels only (cycles exist).
        if depth > 8 {
            return None;
        }
        let mut out = String::new();
        let mut rest = s;
        for _ in 0..64 {
            let Some(i) = rest.find("${") else {
                out.push_str(rest);
                return (!out.is_empty()).then_some(out);
            };
            let end = rest.get(i..)?.find('}')? + i;
            out.push_str(rest.get(..i)?);
            let key = rest.get(i + 2..end)?;
            let val = match key {
                "project.version" | "pom.version" | "version" => Some(self.project.version.clone()),
                "project.groupId" | "pom.groupId" => Some(self.project.group.clone()),
                "project.parent.version" => Some(self.parent.version.clone()),
                k => self.properties.get(k).cloned(),
            }?;
            if val.contains("${") {
                out.push_str(&self.resolve_at(&val, depth + 1)?);
            } else {
                out.push_str(&val);
            }
            rest = rest.get(end + 1..)?;
        }
        None
    }

    /// Packages: the project, then resolvable dependencies; plus how many were skipped.
    pub(crate) fn packages(&self, path: &str) -> (Vec<Package>, usize) {
        let mut out = Vec::new();
        let p = &self.project;
        if let (Some(g), Some(v)) = (self.resolve(&p.group), self.resolve(&p.version))
            && !p.artifact.is_empty()
        {
            out.push(
                package(Ecosystem::Maven, &format!("{g}:{}", p.artifact), &v, path)
                    .licenses(&self.licenses),
            );
        }
        let mut skipped = 0;
        for d in &self.deps {
            match (
                self.resolve(&d.group),
                self.resolve(&d.artifact),
                self.resolve(&d.version),
            ) {
                (Some(g), Some(a), Some(v)) => out.push(
                    package(Ecosystem::Maven, &format!("{g}:{a}"), &v, path).dev(d.scope == "test"),
                ),
                _ => skipped += 1,
            }
        }
        (super::dedup(out), skipped)
    }
}

impl Analyzer for MavenPom {
    fn id(&self) -> &'static str {
        "maven-pom"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Maven dependencies (pom.xml)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/pom.xml"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "pom.xml"
    }
    fn max_size(&self) -> u64 {
        8 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = super::utf8(input.data, FORMAT, input.path)?;
        let pom = parse(text).map_err(|e| AnalyzeError::malformed(FORMAT, input.path, e))?;
        let (packages, skipped) = pom.packages(input.path);
        let warnings = if skipped > 0 {
            vec![format!(
                "{}: {skipped} dependencies skipped: version not declared in this file",
                super::abs_path(input.path)
            )]
        } else {
            Vec::new()
        };
        Ok(FileFindings {
            packages,
            os: None,
            warnings,
            ..Default::default()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};

    pub(crate) const FIXTURE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>2.0.0</version>
  </parent>
  <artifactId>app</artifactId>
  <licenses>
    <license><name>Apache-2.0</name></license>
  </licenses>
  <properties>
    <log4j.version>2.14.1</log4j.version>
    <jackson.version>${jackson.base}.1</jackson.version>
    <jackson.base>2.15</jackson.base>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>x</groupId><artifactId>managed</artifactId><version>9</version></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>app-common</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
    </dependency>
    <dependency>
      <groupId>org.unknown</groupId>
      <artifactId>x</artifactId>
      <version>${undefined}</version>
    </dependency>
  </dependencies>
</project>
"#;

    #[test]
    fn literal_and_property_versions() {
        let f = run(&MavenPom, "app/pom.xml", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("com.example:app", "2.0.0", false),
                ("org.apache.logging.log4j:log4j-core", "2.14.1", false),
                (
                    "com.fasterxml.jackson.core:jackson-databind",
                    "2.15.1",
                    false
                ),
                ("com.example:app-common", "2.0.0", false),
                ("junit:junit", "4.13.2", true),
            ])
        );
        assert_eq!(f.packages[0].licenses, ["Apache-2.0"]);
        assert_eq!(
            f.packages[1].purl,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(f.warnings.len(), 1);
        assert!(
            f.warnings[0].contains("2 dependencies skipped"),
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn self_referencing_property_does_not_loop() {
        let pom = "<project><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version><properties><v>${v}</v></properties></project>";
        let f = run(&MavenPom, "pom.xml", pom.as_bytes());
        assert!(f.packages.is_empty());
    }
}
