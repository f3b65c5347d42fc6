//! Installed gems: `specifications/*.gemspec`, the Ruby source RubyGems writes for each
//! installed gem (`s.name = "rake".freeze`, `s.version = "13.0.6"`, `s.licenses = ["MIT".freeze]`).
//! The file is Ruby, but RubyGems generates it in a fixed shape, so the assignments are read
//! textually; nothing is evaluated.

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package, parent_name};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Installed Ruby gems from `specifications/*.gemspec`.
pub struct Gemspec;

const FORMAT: &str = "gemspec";

impl Analyzer for Gemspec {
    fn id(&self) -> &'static str {
        "ruby-gemspec"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "installed Ruby gems"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/specifications/*.gemspec"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path).ends_with(".gemspec") && parent_name(path) == "specifications"
    }
    fn max_size(&self) -> u64 {
        1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = String::from_utf8_lossy(input.data);
        let (mut name, mut version, mut licenses) = (None, None, Vec::new());
        for line in text.lines() {
            let Some((lhs, rhs)) = line.split_once('=') else {
                continue;
            };
            // `==` is a comparison, not an assignment.
            if rhs.starts_with('=') || lhs.ends_with(['!', '<', '>']) {
                continue;
            }
            let attr = lhs.trim().rsplit_once('.').map(|(_, a)| a);
            match attr {
                Some("name") if name.is_none() => name = strings(rhs).into_iter().next(),
                Some("version") if version.is_none() => version = strings(rhs).into_iter().next(),
                Some("licenses" | "license") => licenses.extend(strings(rhs)),
                _ => {}
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            return Err(AnalyzeError::malformed(
                FORMAT,
                input.path,
                "no name or version assignment",
            ));
        };
        Ok(FileFindings {
            packages: vec![
                package(Ecosystem::RubyGems, &name, &version, input.path).licenses(licenses),
            ],
            ..Default::default()
        })
    }
}

/// Every quoted string literal in a Ruby expression (`"a".freeze`, `['b', "c"]`).
fn strings(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.char_indices();
    while let Some((_, c)) = chars.next() {
        if c == '"' || c == '\'' {
            let mut s = String::new();
            let mut closed = false;
            for (_, d) in chars.by_ref() {
                if d == c {
                    closed = true;
                    break;
                }
                s.push(d);
            }
            if closed {
                out.push(s);
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::run;

    pub(crate) const FIXTURE: &str = r#"# -*- encoding: utf-8 -*-
# stub: nokogiri 1.15.4 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.15.4"
  s.platform = "x86_64-linux".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Mike Dalessio".freeze]
  s.licenses = ["MIT".freeze]
  s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
end
"#;

    #[test]
    fn name_version_licenses() {
        let f = run(
            &Gemspec,
            "usr/local/bundle/specifications/nokogiri-1.15.4-x86_64-linux.gemspec",
            FIXTURE.as_bytes(),
        );
        let p = &f.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("nokogiri", "1.15.4")
        );
        assert_eq!(p.licenses, ["MIT"]);
        assert_eq!(p.purl, "pkg:gem/nokogiri@1.15.4");
    }

    #[test]
    fn version_object_and_single_license() {
        let src = "Gem::Specification.new do |spec|\n  spec.name    = 'rack'\n  spec.version = Gem::Version.new(\"3.0.8\")\n  spec.license = 'MIT'\nend\n";
        let f = run(
            &Gemspec,
            "specifications/rack-3.0.8.gemspec",
            src.as_bytes(),
        );
        assert_eq!(f.packages[0].version, "3.0.8");
        assert_eq!(f.packages[0].licenses, ["MIT"]);
    }

    #[test]
    fn wants_only_specifications_dir() {
        assert!(Gemspec.wants(
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            0o644,
            10
        ));
        assert!(!Gemspec.wants("src/app/app.gemspec", 0o644, 10));
    }
}
