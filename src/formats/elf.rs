//! ELF headers: class, byte order, type, machine and whether a program interpreter
//! (`PT_INTERP`) is named, from the first bytes of a file. Nothing past the bytes given is read.

/// Why the bytes are not a readable ELF header; the messages follow the file's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    /// No `\x7fELF` magic.
    #[error("is not an ELF executable (a Linux binary)")]
    NotElf,
    /// `EI_CLASS` is neither 32- nor 64-bit.
    #[error("has an ELF header of an unknown class")]
    UnknownClass,
    /// `EI_DATA` is neither little- nor big-endian.
    #[error("has an ELF header of an unknown byte order")]
    UnknownByteOrder,
    /// The header ends before its program-header fields.
    #[error("has a truncated ELF header")]
    Truncated,
}

/// How an executable is linked, from its program headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Linking {
    /// No `PT_INTERP`: the kernel runs it directly (static, or static-pie).
    Static,
    /// A `PT_INTERP` (the dynamic loader's path, when it is within the header bytes).
    Dynamic(Option<String>),
    /// The program headers lie beyond the bytes read.
    Unknown,
}

/// What shallot reads from an ELF header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// `ELFCLASS64`.
    pub is_64: bool,
    /// `ELFDATA2LSB`.
    pub little_endian: bool,
    /// `e_type`.
    pub kind: u16,
    /// `e_machine`.
    pub machine: u16,
    /// From the program headers.
    pub linking: Linking,
}

/// `e_type` of an executable.
pub const ET_EXEC: u16 = 2;
/// `e_type` of a shared object, which a position-independent executable is.
pub const ET_DYN: u16 = 3;
/// `e_machine` of x86-64.
pub const EM_X86_64: u16 = 62;
/// `e_machine` of arm64 (aarch64).
pub const EM_AARCH64: u16 = 183;
/// `p_type` of the program header naming the interpreter.
pub const PT_INTERP: u32 = 3;

impl Elf {
    /// Reads the ELF header and program headers found in `bytes` (the start of the file).
    pub fn parse(bytes: &[u8]) -> Result<Elf, ElfError> {
        if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
            return Err(ElfError::NotElf);
        }
        let is_64 = match bytes.get(4) {
            Some(1) => false,
            Some(2) => true,
            _ => return Err(ElfError::UnknownClass),
        };
        let little = match bytes.get(5) {
            Some(1) => true,
            Some(2) => false,
            _ => return Err(ElfError::UnknownByteOrder),
        };
        let r = Reader { bytes, little };
        let short = ElfError::Truncated;
        let kind = r.u16(16).ok_or(short)?;
        let machine = r.u16(18).ok_or(short)?;
        let (phoff, phentsize, phnum) = if is_64 {
            (r.u64(0x20), r.u16(0x36), r.u16(0x38))
        } else {
            (r.u32(0x1c).map(u64::from), r.u16(0x2a), r.u16(0x2c))
        };
        let (phoff, phentsize, phnum) = (
            phoff.ok_or(short)?,
            phentsize.ok_or(short)?,
            phnum.ok_or(short)?,
        );
        Ok(Elf {
            is_64,
            little_endian: little,
            kind,
            machine,
            linking: r.linking(is_64, phoff, phentsize, phnum),
        })
    }
}

/// What the executables of one architecture are: `e_machine`, class and byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// `e_machine`.
    pub machine: u16,
    /// `ELFCLASS64`.
    pub is_64: bool,
    /// `ELFDATA2LSB`.
    pub little_endian: bool,
}

/// Linux architectures as platforms name them (Go's `GOARCH`, OCI's `architecture`), what
/// their executables are, and how messages call them.
const MACHINES: &[(&str, Machine, &str)] = &[
    ("amd64", m(EM_X86_64, true, true), "x86-64 (amd64)"),
    ("arm64", m(EM_AARCH64, true, true), "arm64 (aarch64)"),
    ("arm", m(40, false, true), "32-bit arm"),
    ("386", m(3, false, true), "32-bit x86 (386)"),
    ("riscv64", m(243, true, true), "riscv64"),
    ("ppc64le", m(21, true, true), "ppc64le"),
    ("ppc64", m(21, true, false), "big-endian ppc64"),
    ("s390x", m(22, true, false), "s390x"),
    ("loong64", m(258, true, true), "loong64 (loongarch)"),
    ("mips64le", m(8, true, true), "mips64le"),
    ("mips64", m(8, true, false), "big-endian mips64"),
    ("mipsle", m(8, false, true), "32-bit mipsle"),
    ("mips", m(8, false, false), "32-bit big-endian mips"),
];

const fn m(machine: u16, is_64: bool, little_endian: bool) -> Machine {
    Machine {
        machine,
        is_64,
        little_endian,
    }
}

impl Machine {
    /// The executables of `architecture` (`amd64`, `arm64`, …); `None` for one not listed.
    pub fn of(architecture: &str) -> Option<Machine> {
        MACHINES
            .iter()
            .find(|(name, _, _)| *name == architecture)
            .map(|(_, machine, _)| *machine)
    }
}

impl Elf {
    /// Its `e_machine`, class and byte order.
    pub fn machine(&self) -> Machine {
        m(self.machine, self.is_64, self.little_endian)
    }

    /// The architecture it is built for, as messages name it (`arm64 (aarch64)`).
    pub fn describe(&self) -> String {
        let machine = self.machine();
        if let Some((_, _, shown)) = MACHINES.iter().find(|(_, m, _)| *m == machine) {
            return (*shown).to_string();
        }
        match (self.machine, self.is_64) {
            (EM_X86_64, false) => "x32 (x86-64 with 32-bit pointers)".to_string(),
            (n, _) => format!("another architecture (ELF machine {n})"),
        }
    }
}

/// Integers of an ELF file in its byte order; `None` past the bytes read.
struct Reader<'a> {
    bytes: &'a [u8],
    little: bool,
}

impl Reader<'_> {
    fn array<const N: usize>(&self, at: u64) -> Option<[u8; N]> {
        let at = usize::try_from(at).ok()?;
        self.bytes.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    fn u16(&self, at: u64) -> Option<u16> {
        let b = self.array(at)?;
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32(&self, at: u64) -> Option<u32> {
        let b = self.array(at)?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn u64(&self, at: u64) -> Option<u64> {
        let b = self.array(at)?;
        Some(if self.little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }

    /// Looks for `PT_INTERP` among the program headers.
    fn linking(&self, is_64: bool, phoff: u64, phentsize: u16, phnum: u16) -> Linking {
        for i in 0..u64::from(phnum) {
            let Some(header) = u64::from(phentsize)
                .checked_mul(i)
                .and_then(|o| o.checked_add(phoff))
            else {
                return Linking::Unknown;
            };
            let Some(kind) = self.u32(header) else {
                return Linking::Unknown;
            };
            if kind != PT_INTERP {
                continue;
            }
            // Offsets come from the file: every sum is checked, a wrap is "past the bytes".
            let field = |delta: u64| header.checked_add(delta);
            let (offset, size) = if is_64 {
                (
                    field(8).and_then(|at| self.u64(at)),
                    field(32).and_then(|at| self.u64(at)),
                )
            } else {
                (
                    field(4).and_then(|at| self.u32(at)).map(u64::from),
                    field(16).and_then(|at| self.u32(at)).map(u64::from),
                )
            };
            let interp = offset.zip(size).and_then(|(offset, size)| {
                let start = usize::try_from(offset).ok()?;
                let end = start.checked_add(usize::try_from(size).ok()?)?;
                let raw = self.bytes.get(start..end)?;
                let raw = raw.split(|b| *b == 0).next().unwrap_or(raw);
                std::str::from_utf8(raw).ok().map(str::to_string)
            });
            return Linking::Dynamic(interp);
        }
        Linking::Static
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const GLIBC_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

    /// The start of a little-endian ELF64 executable: header, two program headers (`PT_PHDR`, then
    /// `PT_INTERP` when `interp` is given, else `PT_LOAD`) and the interpreter's path.
    pub(crate) fn elf64(machine: u16, kind: u16, interp: Option<&str>) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 2 * 56];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // little endian
        b[6] = 1; // EV_CURRENT
        b[16..18].copy_from_slice(&kind.to_le_bytes());
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        b[0x34..0x36].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        b[0x38..0x3a].copy_from_slice(&2u16.to_le_bytes()); // e_phnum
        b[64..68].copy_from_slice(&6u32.to_le_bytes()); // PT_PHDR
        let second = 64 + 56;
        match interp {
            Some(path) => {
                b[second..second + 4].copy_from_slice(&PT_INTERP.to_le_bytes());
                let offset = b.len() as u64;
                b[second + 8..second + 16].copy_from_slice(&offset.to_le_bytes());
                b[second + 32..second + 40].copy_from_slice(&(path.len() as u64 + 1).to_le_bytes());
                b.extend_from_slice(path.as_bytes());
                b.push(0);
            }
            None => b[second..second + 4].copy_from_slice(&1u32.to_le_bytes()), // PT_LOAD
        }
        b
    }

    #[test]
    fn elf_headers_are_read() {
        let elf = Elf::parse(&elf64(EM_X86_64, ET_DYN, Some(GLIBC_LOADER))).unwrap();
        assert_eq!(
            elf,
            Elf {
                is_64: true,
                little_endian: true,
                kind: ET_DYN,
                machine: EM_X86_64,
                linking: Linking::Dynamic(Some(GLIBC_LOADER.to_string())),
            }
        );
        // An interpreter path beyond the bytes read is still "dynamic".
        let mut cut = elf64(EM_X86_64, ET_DYN, Some(GLIBC_LOADER));
        cut.truncate(64 + 2 * 56);
        assert_eq!(Elf::parse(&cut).unwrap().linking, Linking::Dynamic(None));
        assert_eq!(
            Elf::parse(b"\x7fELF").unwrap_err().to_string(),
            "has an ELF header of an unknown class"
        );
        assert_eq!(
            Elf::parse(b"\x7fELF\x02\x01").unwrap_err().to_string(),
            "has a truncated ELF header"
        );
        assert_eq!(
            Elf::parse(b"#!/bin/sh\n").unwrap_err().to_string(),
            "is not an ELF executable (a Linux binary)"
        );
        assert!(Elf::parse(&[]).is_err());
    }

    #[test]
    fn offsets_and_sizes_from_the_file_never_overflow() {
        let base = elf64(EM_X86_64, ET_DYN, Some(GLIBC_LOADER));
        let second = 64 + 56;
        let with = |at: usize, value: &[u8]| {
            let mut b = base.clone();
            b[at..at + value.len()].copy_from_slice(value);
            Elf::parse(&b).map(|e| e.linking)
        };
        let max = u64::MAX.to_le_bytes();
        // Program headers at the very top of the address space, or as many as fit in a u16.
        for phoff in [u64::MAX, u64::MAX - 3, u64::MAX - 56] {
            assert_eq!(with(0x20, &phoff.to_le_bytes()), Ok(Linking::Unknown));
        }
        let mut many = base.clone();
        many[0x36..0x3a].copy_from_slice(&[0xff; 4]);
        assert_eq!(Elf::parse(&many).map(|e| e.linking), Ok(Linking::Unknown));
        // An interpreter path at or past the top, or longer than the address space.
        assert_eq!(with(second + 8, &max), Ok(Linking::Dynamic(None)));
        assert_eq!(with(second + 32, &max), Ok(Linking::Dynamic(None)));
        let mut both = base.clone();
        both[second + 8..second + 16].copy_from_slice(&(u64::MAX - 4).to_le_bytes());
        both[second + 32..second + 40].copy_from_slice(&16u64.to_le_bytes());
        assert_eq!(
            Elf::parse(&both).map(|e| e.linking),
            Ok(Linking::Dynamic(None))
        );
    }

    #[test]
    fn architectures_have_their_machines() {
        let of = |arch| Machine::of(arch).map(|m| (m.machine, m.is_64, m.little_endian));
        assert_eq!(of("amd64"), Some((62, true, true)));
        assert_eq!(of("arm64"), Some((183, true, true)));
        assert_eq!(of("arm"), Some((40, false, true)));
        assert_eq!(of("sparc"), None);
        let arm64 = Elf::parse(&elf64(EM_AARCH64, ET_EXEC, None)).unwrap();
        assert_eq!(arm64.machine(), Machine::of("arm64").unwrap());
        assert_eq!(arm64.describe(), "arm64 (aarch64)");
        let mut x32 = elf64(EM_X86_64, ET_EXEC, None);
        x32[4] = 1;
        assert_eq!(
            Elf::parse(&x32).map(|e| e.describe()),
            Ok("x32 (x86-64 with 32-bit pointers)".to_string())
        );
    }

    #[test]
    fn big_endian_32_bit_headers_are_read() {
        // ELF32, big-endian, ET_EXEC for 32-bit arm, no program headers.
        let mut b = vec![0u8; 52];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 1;
        b[5] = 2;
        b[16..18].copy_from_slice(&ET_EXEC.to_be_bytes());
        b[18..20].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(
            Elf::parse(&b),
            Ok(Elf {
                is_64: false,
                little_endian: false,
                kind: ET_EXEC,
                machine: 40,
                linking: Linking::Static,
            })
        );
        assert_eq!(
            Elf::parse(&b).map(|e| e.describe()),
            Ok("another architecture (ELF machine 40)".to_string())
        );
        b[5] = 3;
        assert_eq!(
            Elf::parse(&b).map_err(|e| e.to_string()),
            Err("has an ELF header of an unknown byte order".to_string())
        );
    }
}
