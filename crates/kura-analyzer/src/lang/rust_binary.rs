//! Rust binaries built with `cargo auditable`: the `.dep-v0` section (ELF, or PE section of the
//! same name) holds zlib-compressed JSON `{"packages":[{"name","version","source","kind",
//! "dependencies","root"}]}` (format described by the `auditable-serde` crate).

use std::io::Read;

use kura_types::Ecosystem;

use super::elf::{self, Elf};
use super::{BINARY_MAX_SIZE, PackageExt, is_executable, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Crates recorded by cargo-auditable in executables.
pub struct RustBinary;

const FORMAT: &str = "cargo-auditable .dep-v0";
/// The decompressed dependency list of even the largest binaries is well under this.
const MAX_JSON: u64 = 8 * 1024 * 1024;

#[derive(serde::Deserialize)]
struct VersionInfo {
    packages: Vec<AuditPkg>,
}

#[derive(serde::Deserialize)]
struct AuditPkg {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
}

impl Analyzer for RustBinary {
    fn id(&self) -> &'static str {
        "rust-binary"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Rust crates from cargo-auditable binaries"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["executable files (ELF, PE) with a .dep-v0 section"]
    }
    fn wants(&self, _path: &str, mode: u32, size: u64) -> bool {
        is_executable(mode, size)
    }
    fn max_size(&self) -> u64 {
        BINARY_MAX_SIZE
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let section = match Elf::parse(input.data) {
            Some(e) => e.section(".dep-v0"),
            None => elf::pe_section(input.data, ".dep-v0"),
        };
        let Some(section) = section else {
            return Ok(FileFindings::default());
        };
        let mut json = Vec::new();
        flate2::read::ZlibDecoder::new(section)
            .take(MAX_JSON + 1)
            .read_to_end(&mut json)
            .map_err(|e| AnalyzeError::malformed(FORMAT, input.path, format!("zlib: {e}")))?;
        if json.len() as u64 > MAX_JSON {
            return Err(AnalyzeError::malformed(
                FORMAT,
                input.path,
                format!("decompresses to more than {MAX_JSON} bytes"),
            ));
        }
        let info: VersionInfo = super::json(&json, FORMAT, input.path)?;
        // Build dependencies run at compile time and are not linked in: dev, in our terms.
        let packages = info
            .packages
            .iter()
            .map(|p| {
                package(Ecosystem::Cargo, &p.name, &p.version, input.path)
                    .dev(p.kind.as_deref() == Some("build"))
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
    use crate::lang::elf::writer::elf64;
    use crate::lang::testing::{nvd, run, triples};
    use std::io::Write;

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    const DEPS: &str = r#"{"packages":[
        {"name":"myapp","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
        {"name":"serde","version":"1.0.190","source":"crates.io"},
        {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;

    #[test]
    fn reads_dep_v0_from_elf() {
        let (file, _) = elf64(
            &[(".text", b"\x90"), (".dep-v0", &zlib(DEPS.as_bytes()))],
            0x1000,
        );
        let f = run(&RustBinary, "usr/local/bin/myapp", &file);
        assert_eq!(
            nvd(&f),
            triples(&[
                ("myapp", "0.1.0", false),
                ("serde", "1.0.190", false),
                ("cc", "1.0.83", true)
            ])
        );
        assert_eq!(f.packages[1].purl, "pkg:cargo/serde@1.0.190");
    }

    #[test]
    fn elf_without_section_yields_nothing() {
        let (file, _) = elf64(&[(".text", b"\x90")], 0x1000);
        assert!(run(&RustBinary, "bin/true", &file).packages.is_empty());
    }

    #[test]
    fn corrupt_or_oversized_sections_are_errors() {
        let (file, _) = elf64(&[(".dep-v0", b"not zlib")], 0x1000);
        let input = FileInput {
            path: "bin/x",
            mode: 0o755,
            data: &file,
        };
        assert!(RustBinary.analyze(&input).is_err());
        // A zlib bomb: highly compressible data larger than the cap.
        let bomb = zlib(&vec![b' '; (MAX_JSON + 10) as usize]);
        let (file, _) = elf64(&[(".dep-v0", &bomb)], 0x1000);
        let input = FileInput {
            path: "bin/x",
            mode: 0o755,
            data: &file,
        };
        let err = RustBinary.analyze(&input).unwrap_err().to_string();
        assert!(err.contains("bin/x") && err.contains("more than"), "{err}");
    }
}
