//! `gradle.lockfile` (Gradle dependency locking): `group:artifact:version=conf1,conf2` lines.
//! A dependency is dev when every configuration it is locked for is a test configuration
//! (name starting with `test`, e.g. `testCompileClasspath`, `testRuntimeClasspath`).

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Maven packages from `gradle.lockfile`.
pub struct GradleLock;

const FORMAT: &str = "gradle.lockfile";

impl Analyzer for GradleLock {
    fn id(&self) -> &'static str {
        "gradle-lockfile"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Maven packages (Gradle lockfile)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/gradle.lockfile",
            "**/gradle/dependency-locks/*.lockfile",
        ]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        let n = file_name(path);
        n == "gradle.lockfile"
            || (n.ends_with(".lockfile") && path.contains("gradle/dependency-locks/"))
    }
    fn max_size(&self) -> u64 {
        4 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = super::utf8(input.data, FORMAT, input.path)?;
        let packages = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("empty="))
            .filter_map(|l| {
                let (coords, confs) = l.split_once('=').unwrap_or((l, ""));
                let mut parts = coords.split(':');
                let (Some(g), Some(a), Some(v), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return None;
                };
                if g.is_empty() || a.is_empty() || v.is_empty() {
                    return None;
                }
                let dev =
                    !confs.is_empty() && confs.split(',').all(|c| c.trim().starts_with("test"));
                Some(package(Ecosystem::Maven, &format!("{g}:{a}"), v, input.path).dev(dev))
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

    pub(crate) const FIXTURE: &str = "# This is a Gradle generated file for dependency locking.\n\
        # Manual edits can break the build and are not advised.\n\
        # This file is expected to be part of source control.\n\
        com.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath,testCompileClasspath\n\
        junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\n\
        org.slf4j:slf4j-api:2.0.9=runtimeClasspath\n\
        not-a-coordinate=runtimeClasspath\n\
        empty=annotationProcessor\n";

    #[test]
    fn coordinates_and_test_configurations() {
        let f = run(&GradleLock, "app/gradle.lockfile", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("com.google.guava:guava", "31.1-jre", false),
                ("junit:junit", "4.13.2", true),
                ("org.slf4j:slf4j-api", "2.0.9", false),
            ])
        );
        assert_eq!(
            f.packages[0].purl,
            "pkg:maven/com.google.guava/guava@31.1-jre"
        );
    }
}
