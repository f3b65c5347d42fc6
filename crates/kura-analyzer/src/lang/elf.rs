//! Just enough ELF (System V gABI, "Object Files" chapter) and PE/COFF (Microsoft PE format,
//! "Section Table") reading to find a named section and map virtual addresses to file offsets.
//! Every read is bounds-checked: a truncated or lying header yields `None`, never a panic.

/// A parsed ELF header with its section and program header tables located.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    is64: bool,
    big_endian: bool,
    phoff: u64,
    phentsize: u64,
    phnum: u64,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u64,
}

/// One `PT_LOAD` segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub writable: bool,
}

const PT_LOAD: u32 = 1;
const PF_W: u32 = 2;
const SHT_NOBITS: u32 = 8;

/// True when `data` starts with the ELF magic.
pub(crate) fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

fn slice(data: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let len = usize::try_from(len).ok()?;
    data.get(start..start.checked_add(len)?)
}

impl<'a> Elf<'a> {
    /// Parse the ELF header; `None` when the data is not ELF or the header is truncated.
    pub(crate) fn parse(data: &'a [u8]) -> Option<Elf<'a>> {
        if !is_elf(data) {
            return None;
        }
        let is64 = match data.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big_endian = match data.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let mut e = Elf {
            data,
            is64,
            big_endian,
            phoff: 0,
            phentsize: 0,
            phnum: 0,
            shoff: 0,
            shentsize: 0,
            shnum: 0,
            shstrndx: 0,
        };
        if is64 {
            e.phoff = e.u64_at(32)?;
            e.shoff = e.u64_at(40)?;
            e.phentsize = e.u16_at(54)?.into();
            e.phnum = e.u16_at(56)?.into();
            e.shentsize = e.u16_at(58)?.into();
            e.shnum = e.u16_at(60)?.into();
            e.shstrndx = e.u16_at(62)?.into();
        } else {
            e.phoff = e.u32_at(28)?.into();
            e.shoff = e.u32_at(32)?.into();
            e.phentsize = e.u16_at(42)?.into();
            e.phnum = e.u16_at(44)?.into();
            e.shentsize = e.u16_at(46)?.into();
            e.shnum = e.u16_at(48)?.into();
            e.shstrndx = e.u16_at(50)?.into();
        }
        Some(e)
    }

    fn bytes<const N: usize>(&self, off: u64) -> Option<[u8; N]> {
        slice(self.data, off, N as u64)?.try_into().ok()
    }
    fn u16_at(&self, off: u64) -> Option<u16> {
        let b = self.bytes::<2>(off)?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
    fn u32_at(&self, off: u64) -> Option<u32> {
        let b = self.bytes::<4>(off)?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
    fn u64_at(&self, off: u64) -> Option<u64> {
        let b = self.bytes::<8>(off)?;
        Some(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
    /// An address-sized field (4 or 8 bytes by class).
    #[cfg(test)]
    fn addr_at(&self, off: u64) -> Option<u64> {
        if self.is64 {
            self.u64_at(off)
        } else {
            self.u32_at(off).map(u64::from)
        }
    }

    /// True when the file has a section header table we can read.
    pub(crate) fn has_sections(&self) -> bool {
        self.shnum > 0 && self.shoff > 0 && self.shentsize >= if self.is64 { 64 } else { 40 }
    }

    /// (name offset, type, file offset, size) of section `i`.
    fn section_header(&self, i: u64) -> Option<(u32, u32, u64, u64)> {
        let base = self.shoff.checked_add(i.checked_mul(self.shentsize)?)?;
        let name = self.u32_at(base)?;
        let ty = self.u32_at(base + 4)?;
        let (off, size) = if self.is64 {
            (self.u64_at(base + 24)?, self.u64_at(base + 32)?)
        } else {
            (
                self.u32_at(base + 16)?.into(),
                self.u32_at(base + 20)?.into(),
            )
        };
        Some((name, ty, off, size))
    }

    /// The file bytes of the section called `name`, when present and inside the file.
    pub(crate) fn section(&self, name: &str) -> Option<&'a [u8]> {
        if !self.has_sections() {
            return None;
        }
        let (_, _, stroff, strsize) = self.section_header(self.shstrndx)?;
        let strtab = slice(self.data, stroff, strsize)?;
        for i in 0..self.shnum {
            let Some((noff, ty, off, size)) = self.section_header(i) else {
                continue;
            };
            let Some(n) = strtab.get(noff as usize..) else {
                continue;
            };
            let end = n.iter().position(|&b| b == 0).unwrap_or(n.len());
            if n.get(..end) == Some(name.as_bytes()) {
                if ty == SHT_NOBITS {
                    return None;
                }
                return slice(self.data, off, size);
            }
        }
        None
    }

    /// The `PT_LOAD` segments.
    pub(crate) fn load_segments(&self) -> Vec<Segment> {
        let min = if self.is64 { 56 } else { 32 };
        if self.phentsize < min {
            return Vec::new();
        }
        (0..self.phnum)
            .filter_map(|i| {
                let base = self.phoff.checked_add(i.checked_mul(self.phentsize)?)?;
                if self.u32_at(base)? != PT_LOAD {
                    return None;
                }
                if self.is64 {
                    Some(Segment {
                        writable: self.u32_at(base + 4)? & PF_W != 0,
                        offset: self.u64_at(base + 8)?,
                        vaddr: self.u64_at(base + 16)?,
                        filesz: self.u64_at(base + 32)?,
                    })
                } else {
                    Some(Segment {
                        offset: self.u32_at(base + 4)?.into(),
                        vaddr: self.u32_at(base + 8)?.into(),
                        filesz: self.u32_at(base + 16)?.into(),
                        writable: self.u32_at(base + 24)? & PF_W != 0,
                    })
                }
            })
            .collect()
    }

    /// File bytes of a segment.
    pub(crate) fn segment_data(&self, s: &Segment) -> Option<&'a [u8]> {
        slice(self.data, s.offset, s.filesz)
    }

    /// `len` bytes at virtual address `addr`, when a load segment maps them from the file.
    pub(crate) fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.load_segments().into_iter().find_map(|s| {
            let rel = addr.checked_sub(s.vaddr)?;
            if rel.checked_add(len)? > s.filesz {
                return None;
            }
            slice(self.data, s.offset.checked_add(rel)?, len)
        })
    }

    /// Read a pointer-sized value from a virtual address with this file's byte order.
    pub(crate) fn read_ptr(&self, addr: u64, ptr_size: u8, big_endian: bool) -> Option<u64> {
        let b = self.read_vaddr(addr, ptr_size.into())?;
        decode_ptr(b, big_endian)
    }

    /// Address size of the file class.
    #[cfg(test)]
    pub(crate) fn addr_size(&self) -> u8 {
        if self.is64 { 8 } else { 4 }
    }

    /// Entry point (used only by tests to prove header reading).
    #[cfg(test)]
    pub(crate) fn entry(&self) -> Option<u64> {
        self.addr_at(24)
    }
}

/// Decode a 4- or 8-byte pointer.
pub(crate) fn decode_ptr(b: &[u8], big_endian: bool) -> Option<u64> {
    match b.len() {
        4 => {
            let a: [u8; 4] = b.try_into().ok()?;
            Some(
                if big_endian {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                }
                .into(),
            )
        }
        8 => {
            let a: [u8; 8] = b.try_into().ok()?;
            Some(if big_endian {
                u64::from_be_bytes(a)
            } else {
                u64::from_le_bytes(a)
            })
        }
        _ => None,
    }
}

/// The raw bytes of the PE section called `name` (names of at most 8 bytes, as `.dep-v0` is).
pub(crate) fn pe_section<'a>(data: &'a [u8], name: &str) -> Option<&'a [u8]> {
    if !data.starts_with(b"MZ") {
        return None;
    }
    let u16_at = |o: usize| -> Option<u16> {
        Some(u16::from_le_bytes(data.get(o..o + 2)?.try_into().ok()?))
    };
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?))
    };
    let pe = u32_at(0x3c)? as usize;
    if data.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
        return None;
    }
    let coff = pe + 4;
    let nsections = u16_at(coff + 2)? as usize;
    let opt_size = u16_at(coff + 16)? as usize;
    let table = coff + 20 + opt_size;
    for i in 0..nsections {
        let h = table.checked_add(i.checked_mul(40)?)?;
        let raw_name = data.get(h..h + 8)?;
        let end = raw_name.iter().position(|&b| b == 0).unwrap_or(8);
        if raw_name.get(..end)? == name.as_bytes() {
            let vsize = u64::from(u32_at(h + 8)?);
            let raw_size = u64::from(u32_at(h + 16)?);
            let ptr = u64::from(u32_at(h + 20)?);
            // The raw size is rounded up to the file alignment; the virtual size is exact.
            let size = if vsize > 0 {
                vsize.min(raw_size)
            } else {
                raw_size
            };
            return slice(data, ptr, size);
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod writer {
    //! A tiny little-endian ELF64 writer for tests: named sections and one PT_LOAD segment
    //! mapping the whole file at a chosen virtual address.

    /// Build an ELF64 file holding `sections` (name, bytes); the whole file is loaded at `vaddr`.
    /// Returns the file and each section's file offset.
    pub fn elf64(sections: &[(&str, &[u8])], vaddr: u64) -> (Vec<u8>, Vec<u64>) {
        let mut out = vec![0u8; 64 + 56];
        let mut offsets = Vec::new();
        for (_, data) in sections {
            while !out.len().is_multiple_of(16) {
                out.push(0);
            }
            offsets.push(out.len() as u64);
            out.extend_from_slice(data);
        }
        let mut shstrtab = vec![0u8];
        let mut name_offs = Vec::new();
        for (name, _) in sections {
            name_offs.push(shstrtab.len() as u32);
            shstrtab.extend_from_slice(name.as_bytes());
            shstrtab.push(0);
        }
        let shstr_name = shstrtab.len() as u32;
        shstrtab.extend_from_slice(b".shstrtab\0");
        let shstr_off = out.len() as u64;
        out.extend_from_slice(&shstrtab);
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        // Null section, then ours, then .shstrtab.
        out.extend_from_slice(&[0u8; 64]);
        let sh = |name: u32, ty: u32, off: u64, size: u64, out: &mut Vec<u8>| {
            let mut h = [0u8; 64];
            h[0..4].copy_from_slice(&name.to_le_bytes());
            h[4..8].copy_from_slice(&ty.to_le_bytes());
            h[24..32].copy_from_slice(&off.to_le_bytes());
            h[32..40].copy_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&h);
        };
        for (i, (_, data)) in sections.iter().enumerate() {
            sh(name_offs[i], 1, offsets[i], data.len() as u64, &mut out);
        }
        sh(shstr_name, 3, shstr_off, shstrtab.len() as u64, &mut out);
        let shnum = sections.len() as u16 + 2;
        let total = out.len() as u64;
        // ELF header.
        out[0..4].copy_from_slice(b"\x7fELF");
        out[4] = 2; // ELFCLASS64
        out[5] = 1; // ELFDATA2LSB
        out[6] = 1;
        out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[24..32].copy_from_slice(&vaddr.to_le_bytes());
        out[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
        out[40..48].copy_from_slice(&shoff.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes());
        out[54..56].copy_from_slice(&56u16.to_le_bytes());
        out[56..58].copy_from_slice(&1u16.to_le_bytes());
        out[58..60].copy_from_slice(&64u16.to_le_bytes());
        out[60..62].copy_from_slice(&shnum.to_le_bytes());
        out[62..64].copy_from_slice(&(shnum - 1).to_le_bytes());
        // One PT_LOAD, RW, mapping the file at vaddr.
        let ph = 64;
        out[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        out[ph + 4..ph + 8].copy_from_slice(&6u32.to_le_bytes());
        out[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes());
        out[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
        out[ph + 32..ph + 40].copy_from_slice(&total.to_le_bytes());
        out[ph + 40..ph + 48].copy_from_slice(&total.to_le_bytes());
        (out, offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_named_section_and_maps_addresses() {
        let (file, offs) = writer::elf64(&[(".a", b"hello"), (".dep-v0", b"payload")], 0x40_0000);
        let elf = Elf::parse(&file).unwrap();
        assert_eq!(elf.addr_size(), 8);
        assert_eq!(elf.entry(), Some(0x40_0000));
        assert_eq!(elf.section(".dep-v0"), Some(&b"payload"[..]));
        assert_eq!(elf.section(".a"), Some(&b"hello"[..]));
        assert_eq!(elf.section(".missing"), None);
        assert_eq!(
            elf.read_vaddr(0x40_0000 + offs[1], 7),
            Some(&b"payload"[..])
        );
        assert_eq!(elf.read_vaddr(0x10, 4), None);
    }

    #[test]
    fn truncated_headers_do_not_panic() {
        let (file, _) = writer::elf64(&[(".dep-v0", b"payload")], 0x1000);
        for n in 0..file.len() {
            if let Some(e) = Elf::parse(&file[..n]) {
                let _ = e.section(".dep-v0");
                let _ = e.load_segments();
                let _ = e.read_vaddr(0x1000, 8);
            }
            let _ = pe_section(&file[..n], ".dep-v0");
        }
    }
}
