//! `Gemfile.lock` (Bundler): under each `GEM`, `GIT` and `PATH` source, the `specs:` block lists
//! resolved gems at four spaces (`nokogiri (1.15.4-x86_64-linux)`); six-space lines are their
//! dependencies' requirements. A platform suffix after the version becomes the purl `platform`
//! qualifier. Bundler does not record groups in the lockfile, so nothing is marked dev.

use kura_types::Ecosystem;

use super::{file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Ruby gems from `Gemfile.lock`.
pub struct GemfileLock;

const FORMAT: &str = "Gemfile.lock";

impl Analyzer for GemfileLock {
    fn id(&self) -> &'static str {
        "gemfile-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Ruby gems (Gemfile.lock)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/Gemfile.lock", "**/gems.locked"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        matches!(file_name(path), "Gemfile.lock" | "gems.locked")
    }
    fn max_size(&self) -> u64 {
        4 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = super::utf8(input.data, FORMAT, input.path)?;
        let mut in_specs = false;
        let mut packages = Vec::new();
        for line in text.lines() {
            if !line.starts_with(' ') {
                in_specs = false;
                continue;
            }
            if line == "  specs:" {
                in_specs = true;
                continue;
            }
            let Some(spec) = line.strip_prefix("    ") else {
                continue;
            };
            if !in_specs || spec.starts_with(' ') {
                continue;
            }
            let Some((name, rest)) = spec.split_once(" (") else {
                continue;
            };
            let Some(full) = rest.strip_suffix(')') else {
                continue;
            };
            // Gem versions never contain `-`; what follows is the platform.
            let (version, platform) = full.split_once('-').unwrap_or((full, ""));
            let mut p = package(Ecosystem::RubyGems, name, version, input.path);
            if !platform.is_empty() {
                p.purl = kura_purl::Purl::new("gem", name, version)
                    .qualifier("platform", platform)
                    .to_string();
            }
            packages.push(p);
        }
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

    pub(crate) const FIXTURE: &str = "GIT
  remote: https://example.com/rails.git
  revision: abc
  specs:
    mygem (0.1.0)

GEM
  remote: https://rubygems.example/
  specs:
    actionpack (7.1.0)
      rack (>= 2.2.4)
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    rack (3.0.8)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  actionpack
  nokogiri

BUNDLED WITH
   2.4.19
";

    #[test]
    fn specs_with_platforms() {
        let f = run(&GemfileLock, "app/Gemfile.lock", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("mygem", "0.1.0", false),
                ("actionpack", "7.1.0", false),
                ("nokogiri", "1.15.4", false),
                ("rack", "3.0.8", false),
            ])
        );
        assert_eq!(
            f.packages[2].purl,
            "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux"
        );
    }
}
