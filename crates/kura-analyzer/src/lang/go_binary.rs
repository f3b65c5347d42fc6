//! Go binaries: the build information the Go linker embeds (`runtime/debug.BuildInfo`).
//!
//! Layout (Go source `src/debug/buildinfo/buildinfo.go`): a 32-byte header starting with the
//! 14-byte magic `\xff Go buildinf:`, 16-byte aligned, then the pointer size and a flags byte.
//! Go 1.18+ sets flag bit 1 and stores the Go version and module info inline as
//! uvarint-length-prefixed strings after the header. Older linkers store two pointers to Go string
//! headers `(data pointer, length)`, which we resolve through the ELF load segments.
//!
//! The module info text has `path`, `mod`, `dep`, `=>` (replaces the preceding `mod`/`dep`) and
//! `build` lines, tab-separated, framed by 16-byte sentinels.

use kura_types::{Ecosystem, Package};

use super::elf::{self, Elf};
use super::{BINARY_MAX_SIZE, is_executable, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Go module build info from executables (ELF; PE and Mach-O for Go 1.18+).
pub struct GoBinary;

const FORMAT: &str = "Go build info";
const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
const FLAG_BIG_ENDIAN: u8 = 1;
const FLAG_INLINE: u8 = 2;
/// Go strings longer than this in build info are corrupt, not real.
const MAX_STRING: u64 = 16 * 1024 * 1024;

impl Analyzer for GoBinary {
    fn id(&self) -> &'static str {
        "go-binary"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Go modules and toolchain version from binaries"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["executable files (ELF, PE, Mach-O)"]
    }
    fn wants(&self, _path: &str, mode: u32, size: u64) -> bool {
        is_executable(mode, size)
    }
    fn max_size(&self) -> u64 {
        BINARY_MAX_SIZE
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let Some(info) = build_info(input.data, input.path)? else {
            return Ok(FileFindings::default());
        };
        Ok(FileFindings {
            packages: packages(&info, input.path),
            ..Default::default()
        })
    }
}

/// Build info decoded from a binary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Toolchain version (`go1.21.5`).
    pub go_version: String,
    /// Main module path and version.
    pub main: Option<(String, String)>,
    /// Dependencies `(path, version)` after replacements.
    pub deps: Vec<(String, String)>,
}

/// Locate and decode build info; `Ok(None)` when the file is not a Go binary.
pub fn build_info(data: &[u8], path: &str) -> Result<Option<BuildInfo>, AnalyzeError> {
    let elf = Elf::parse(data);
    let header_off = match &elf {
        Some(e) if e.has_sections() => match e.section(".go.buildinfo") {
            Some(sec) if sec.starts_with(MAGIC) => Some(offset_in(data, sec)),
            // A sectioned ELF without `.go.buildinfo` is not a Go 1.13+ binary: bail out fast.
            _ => return Ok(None),
        },
        // Section headers stripped: search the writable load segments, as the Go reader does.
        Some(e) => e
            .load_segments()
            .iter()
            .filter(|s| s.writable)
            .filter_map(|s| e.segment_data(s))
            .find_map(|seg| find_magic(seg).map(|o| offset_in(data, seg) + o)),
        None if is_pe_or_macho(data) => find_magic(data),
        None => return Ok(None),
    };
    let Some(off) = header_off else {
        return Ok(None);
    };
    let bad = |reason: &str| {
        AnalyzeError::malformed(FORMAT, path, format!("{reason} (header at byte {off})"))
    };
    let header = data
        .get(off..off + HEADER)
        .ok_or_else(|| bad("truncated header"))?;
    let ptr_size = header[14];
    let flags = header[15];
    let (version, modinfo) = if flags & FLAG_INLINE != 0 {
        let rest = data.get(off + HEADER..).unwrap_or_default();
        let (v, n) = read_varint_string(rest).ok_or_else(|| bad("truncated Go version"))?;
        let (m, _) = read_varint_string(rest.get(n..).unwrap_or_default())
            .ok_or_else(|| bad("truncated module info"))?;
        (v.to_vec(), m.to_vec())
    } else {
        let Some(e) = &elf else {
            return Err(bad(
                "pre-Go 1.18 pointer-format build info is read only from ELF files",
            ));
        };
        if ptr_size != 4 && ptr_size != 8 {
            return Err(bad(&format!("pointer size {ptr_size}")));
        }
        let be = flags & FLAG_BIG_ENDIAN != 0;
        let p = |i: usize| {
            let s = off + 16 + i * usize::from(ptr_size);
            data.get(s..s + usize::from(ptr_size))
                .and_then(|b| elf::decode_ptr(b, be))
        };
        let vptr = p(0).ok_or_else(|| bad("truncated pointers"))?;
        let mptr = p(1).ok_or_else(|| bad("truncated pointers"))?;
        let v =
            read_go_string(e, vptr, ptr_size, be).ok_or_else(|| bad("unmapped version string"))?;
        let m = read_go_string(e, mptr, ptr_size, be).ok_or_else(|| bad("unmapped module info"))?;
        (v.to_vec(), m.to_vec())
    };
    let mut info = parse_modinfo(&strip_sentinels(&modinfo));
    info.go_version = String::from_utf8_lossy(&version).into_owned();
    Ok(Some(info))
}

fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn is_pe_or_macho(data: &[u8]) -> bool {
    data.starts_with(b"MZ")
        || [
            [0xfe, 0xed, 0xfa, 0xce],
            [0xfe, 0xed, 0xfa, 0xcf],
            [0xce, 0xfa, 0xed, 0xfe],
            [0xcf, 0xfa, 0xed, 0xfe],
        ]
        .iter()
        .any(|m| data.starts_with(m))
}

/// The magic is 16-byte aligned in memory; sections keep that alignment in the file.
fn find_magic(data: &[u8]) -> Option<usize> {
    (0..data.len())
        .step_by(16)
        .find(|&i| data.get(i..i + MAGIC.len()) == Some(MAGIC))
}

fn read_uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

fn read_varint_string(b: &[u8]) -> Option<(&[u8], usize)> {
    let (len, n) = read_uvarint(b)?;
    if len > MAX_STRING {
        return None;
    }
    let end = n.checked_add(usize::try_from(len).ok()?)?;
    Some((b.get(n..end)?, end))
}

fn read_go_string<'a>(e: &Elf<'a>, addr: u64, ptr_size: u8, be: bool) -> Option<&'a [u8]> {
    let data_ptr = e.read_ptr(addr, ptr_size, be)?;
    let len = e.read_ptr(addr.checked_add(ptr_size.into())?, ptr_size, be)?;
    if len > MAX_STRING {
        return None;
    }
    e.read_vaddr(data_ptr, len)
}

/// Module info is framed by 16 bytes on each side when it ends with `\n` + 16 bytes.
fn strip_sentinels(m: &[u8]) -> Vec<u8> {
    if m.len() >= 33 && m.get(m.len() - 17) == Some(&b'\n') {
        m[16..m.len() - 16].to_vec()
    } else {
        m.to_vec()
    }
}

fn parse_modinfo(m: &[u8]) -> BuildInfo {
    let text = String::from_utf8_lossy(m);
    let mut info = BuildInfo::default();
    // Which entry a `=>` line replaces: None = main module, Some(i) = deps[i].
    let mut last: Option<Option<usize>> = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", p, v, ..] => {
                info.main = Some((p.to_string(), v.to_string()));
                last = Some(None);
            }
            ["dep", p, v, ..] => {
                info.deps.push((p.to_string(), v.to_string()));
                last = Some(Some(info.deps.len() - 1));
            }
            // A replacement by a local directory has no version (`(devel)` since Go 1.18); the
            // original requirement still names the module the code stands in for, so we keep it.
            ["=>", p, v, ..] if !v.is_empty() && *v != "(devel)" => {
                let target = match last {
                    Some(Some(i)) => info.deps.get_mut(i),
                    Some(None) => info.main.as_mut(),
                    None => None,
                };
                if let Some(t) = target {
                    *t = (p.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    info
}

/// `go1.21.5 X:boringcrypto` → `v1.21.5`; development toolchains give `None`.
fn stdlib_version(go: &str) -> Option<String> {
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| format!("v{v}"))
}

fn packages(info: &BuildInfo, path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    if let Some((p, v)) = &info.main {
        // `(devel)` is what `go build` records for the module being built from a checkout.
        let v = if v == "(devel)" { "" } else { v.as_str() };
        out.push(package(Ecosystem::Go, p, v, path));
    }
    for (p, v) in &info.deps {
        out.push(package(Ecosystem::Go, p, v, path));
    }
    if let Some(v) = stdlib_version(&info.go_version) {
        out.push(package(Ecosystem::Go, "stdlib", &v, path));
    }
    super::dedup(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::elf::writer::elf64;
    use crate::lang::testing::{nvd, run, triples};

    const MODINFO: &str = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
        dep\tgithub.com/pkg/errors\tv0.9.1\th1:abc=\n\
        dep\tgolang.org/x/net\tv0.1.0\th1:def=\n=>\tgithub.com/fork/net\tv0.2.0\th1:ghi=\n\
        dep\texample.com/local\tv1.0.0\t\n=>\t./local\t(devel)\t\n\
        build\t-compiler=gc\n";

    fn framed(s: &str) -> Vec<u8> {
        let mut m = b"0123456789abcdef".to_vec();
        m.extend_from_slice(s.as_bytes());
        m.extend_from_slice(b"fedcba9876543210");
        m
    }

    fn uvarint(mut x: usize, out: &mut Vec<u8>) {
        while x >= 0x80 {
            out.push((x as u8) | 0x80);
            x >>= 7;
        }
        out.push(x as u8);
    }

    fn inline_section(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut s = MAGIC.to_vec();
        s.push(8);
        s.push(FLAG_INLINE);
        s.resize(HEADER, 0);
        uvarint(version.len(), &mut s);
        s.extend_from_slice(version.as_bytes());
        uvarint(modinfo.len(), &mut s);
        s.extend_from_slice(modinfo);
        s
    }

    fn expected() -> Vec<(String, String, bool)> {
        triples(&[
            ("example.com/app", "", false),
            ("github.com/pkg/errors", "v0.9.1", false),
            ("github.com/fork/net", "v0.2.0", false),
            ("example.com/local", "v1.0.0", false),
            ("stdlib", "v1.21.5", false),
        ])
    }

    #[test]
    fn inline_format_with_replacements() {
        let sec = inline_section("go1.21.5", &framed(MODINFO));
        let (file, _) = elf64(
            &[(".text", b"\x90\x90"), (".go.buildinfo", &sec)],
            0x40_0000,
        );
        let f = run(&GoBinary, "usr/bin/app", &file);
        assert_eq!(nvd(&f), expected());
        assert_eq!(f.packages[2].purl, "pkg:golang/github.com/fork/net@v0.2.0");
        assert_eq!(f.packages[4].location.path, "/usr/bin/app");
    }

    #[test]
    fn pointer_format_pre_go_1_18() {
        // Lay out: header section with two pointers, then two Go string headers and their data
        // in a second section; addresses are file offsets + vaddr (one PT_LOAD maps the file).
        let vaddr = 0x40_0000u64;
        let modinfo = framed(MODINFO);
        let version = b"go1.21.5";
        // First pass to learn offsets (sections are laid out in order, 16-aligned).
        let data_sec_len = 32 + version.len() + modinfo.len();
        let mut header = MAGIC.to_vec();
        header.push(8);
        header.push(0);
        header.resize(HEADER, 0);
        let placeholder = vec![0u8; data_sec_len];
        let (_, offs) = elf64(
            &[(".go.buildinfo", &header), (".data", &placeholder)],
            vaddr,
        );
        let d = vaddr + offs[1];
        let mut data_sec = Vec::new();
        data_sec.extend_from_slice(&(d + 32).to_le_bytes());
        data_sec.extend_from_slice(&(version.len() as u64).to_le_bytes());
        data_sec.extend_from_slice(&(d + 32 + version.len() as u64).to_le_bytes());
        data_sec.extend_from_slice(&(modinfo.len() as u64).to_le_bytes());
        data_sec.extend_from_slice(version);
        data_sec.extend_from_slice(&modinfo);
        header[16..24].copy_from_slice(&d.to_le_bytes());
        header[24..32].copy_from_slice(&(d + 16).to_le_bytes());
        let (file, offs2) = elf64(&[(".go.buildinfo", &header), (".data", &data_sec)], vaddr);
        assert_eq!(offs, offs2);
        let f = run(&GoBinary, "app", &file);
        assert_eq!(nvd(&f), expected());
    }

    #[test]
    fn section_headers_stripped_falls_back_to_segment_scan() {
        let sec = inline_section("go1.21.5", &framed(MODINFO));
        let (mut file, _) = elf64(
            &[(".text", b"\x90\x90"), (".go.buildinfo", &sec)],
            0x40_0000,
        );
        // Zero e_shoff and e_shnum, as `sstrip`-style tools do.
        file[40..48].fill(0);
        file[60..62].fill(0);
        let f = run(&GoBinary, "usr/bin/app", &file);
        assert_eq!(nvd(&f), expected());
    }

    #[test]
    fn elf_without_buildinfo_section_is_not_go() {
        let (file, _) = elf64(&[(".text", b"\x90\x90")], 0x1000);
        assert!(run(&GoBinary, "bin/ls", &file).packages.is_empty());
        assert!(
            run(&GoBinary, "bin/sh", b"#!/bin/sh\necho hi\n")
                .packages
                .is_empty()
        );
    }

    #[test]
    fn stdlib_versions() {
        for (go, want) in [
            ("go1.21.5", Some("v1.21.5")),
            ("go1.20.3 X:boringcrypto", Some("v1.20.3")),
            ("devel go1.22-abc", None),
            ("", None),
        ] {
            assert_eq!(stdlib_version(go).as_deref(), want, "{go}");
        }
    }

    #[test]
    fn wants_only_executables_under_the_cap() {
        assert!(GoBinary.wants("usr/bin/app", 0o100755, 1 << 20));
        assert!(GoBinary.wants("usr/bin/app", 0o755, 1 << 20));
        assert!(!GoBinary.wants("usr/bin/app", 0o100644, 1 << 20));
        assert!(!GoBinary.wants("usr/bin/app", 0o120777, 1 << 20));
        assert!(!GoBinary.wants("usr/bin/app", 0o755, BINARY_MAX_SIZE + 1));
    }

    /// Build the test program (a module with one dependency replaced by a local directory) for
    /// `goos` with the real Go toolchain; `None` when Go is not installed (outside CI).
    fn build_real(goos: &str) -> Option<Vec<u8>> {
        let go = kura_testutil::require_tool("go")?;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let w = |p: &str, s: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        w(
            "app/go.mod",
            "module example.com/app\n\ngo 1.18\n\nrequire example.com/greet v1.2.3\n\nreplace example.com/greet => ../greet\n",
        );
        w(
            "app/main.go",
            "package main\n\nimport \"example.com/greet\"\n\nfunc main() { greet.Hello() }\n",
        );
        w("greet/go.mod", "module example.com/greet\n\ngo 1.18\n");
        w(
            "greet/greet.go",
            "package greet\n\nfunc Hello() { println(\"hi\") }\n",
        );
        // The default build cache is kept on purpose: cross-compiling the runtime takes ~20 s
        // the first time and is reused afterwards.
        let out = std::process::Command::new(go)
            .args(["build", "-o", "../app.bin", "."])
            .current_dir(root.join("app"))
            .env("GOOS", goos)
            .env("GOARCH", "amd64")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("GOPATH", root.join("gopath"))
            .env("CGO_ENABLED", "0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(std::fs::read(root.join("app.bin")).unwrap())
    }

    fn names(f: &FileFindings) -> Vec<(&str, &str)> {
        f.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect()
    }

    #[test]
    fn real_go_binary_build_info() {
        let Some(bin) = build_real("linux") else {
            return;
        };
        let f = run(&GoBinary, "app.bin", &bin);
        let n = names(&f);
        assert_eq!(n.len(), 3, "{n:?}");
        assert_eq!(n[0], ("example.com/app", ""));
        assert_eq!(n[1], ("example.com/greet", "v1.2.3"));
        assert_eq!(n[2].0, "stdlib");
        assert!(n[2].1.starts_with("v1."), "{n:?}");
    }

    #[test]
    fn real_go_binaries_for_windows_and_macos() {
        for goos in ["windows", "darwin"] {
            let Some(bin) = build_real(goos) else {
                return;
            };
            let f = run(&GoBinary, "app.exe", &bin);
            let n = names(&f);
            assert_eq!(n.len(), 3, "{goos}: {n:?}");
            assert_eq!(n[1], ("example.com/greet", "v1.2.3"), "{goos}");
        }
    }
}
