//! Server process metrics from procfs (proc(5)): peak RSS from `/proc/PID/status` and CPU time
//! from `/proc/PID/stat`.

use std::path::PathBuf;

/// Clock ticks per second in `/proc/PID/stat`; proc(5) expresses them in `USER_HZ`, which the
/// kernel ABI fixes at 100 on every architecture Linux exports to user space.
pub const USER_HZ: u64 = 100;

/// Problems reading or parsing procfs files.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// The file could not be read (process gone, no procfs).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A field is missing or malformed.
    #[error("{file}: {problem}")]
    Parse {
        /// Which file.
        file: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Memory figures from `/proc/PID/status`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Memory {
    /// Peak resident set size (`VmHWM`).
    pub peak_rss_kib: u64,
    /// Current resident set size (`VmRSS`).
    pub rss_kib: u64,
}

/// Parse `VmHWM` and `VmRSS` out of `/proc/PID/status` text.
pub fn parse_status(text: &str) -> Result<Memory, String> {
    let field = |name: &str| -> Result<u64, String> {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            .ok_or_else(|| format!("no {name} line"))?;
        let mut parts = line.split_whitespace();
        let value = parts.next().ok_or_else(|| format!("{name} has no value"))?;
        match parts.next() {
            Some("kB") => {}
            other => return Err(format!("{name} unit is {other:?}, expected kB")),
        }
        value
            .parse::<u64>()
            .map_err(|e| format!("{name} value {value:?}: {e}"))
    };
    Ok(Memory {
        peak_rss_kib: field("VmHWM")?,
        rss_kib: field("VmRSS")?,
    })
}

/// Parse user + system CPU ticks (fields 14 and 15) out of `/proc/PID/stat` text. The command
/// name (field 2) is in parentheses and may itself contain spaces and `)`, so fields are counted
/// from the last `)`, as proc(5) advises.
pub fn parse_stat_cpu_ticks(text: &str) -> Result<u64, String> {
    let close = text.rfind(')').ok_or("no ')' closing the command name")?;
    let rest = text
        .get(close + 1..)
        .ok_or("nothing after the command name")?;
    // After the name come field 3 (state) onwards; utime is field 14, stime field 15.
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = |name: &str| -> Result<u64, String> {
        let v = fields.next().ok_or_else(|| format!("no {name} field"))?;
        v.parse::<u64>().map_err(|e| format!("{name} {v:?}: {e}"))
    };
    let utime = next("utime")?;
    let stime = next("stime")?;
    utime
        .checked_add(stime)
        .ok_or_else(|| "utime + stime overflows".to_string())
}

fn read(pid: u32, name: &str) -> Result<(PathBuf, String), ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/{name}"));
    let text = fs_err::read_to_string(&path)?;
    Ok((path, text))
}

/// Read the memory figures of process `pid`.
pub fn memory(pid: u32) -> Result<Memory, ProcError> {
    let (file, text) = read(pid, "status")?;
    parse_status(&text).map_err(|problem| ProcError::Parse { file, problem })
}

/// Read the CPU time (user + system) of process `pid`, in seconds.
pub fn cpu_seconds(pid: u32) -> Result<f64, ProcError> {
    let (file, text) = read(pid, "stat")?;
    let ticks =
        parse_stat_cpu_ticks(&text).map_err(|problem| ProcError::Parse { file, problem })?;
    Ok(ticks as f64 / USER_HZ as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parsing_table() {
        let ok = "Name:\tx\nVmPeak:\t 10 kB\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        let cases: &[(&str, Result<Memory, ()>)] = &[
            (
                ok,
                Ok(Memory {
                    peak_rss_kib: 2048,
                    rss_kib: 1024,
                }),
            ),
            ("VmHWM:\t1 kB\n", Err(())),
            ("VmHWM:\t1 MB\nVmRSS:\t1 kB\n", Err(())),
            ("VmHWM:\tx kB\nVmRSS:\t1 kB\n", Err(())),
            ("VmHWM:\nVmRSS:\t1 kB\n", Err(())),
            // A prefix of another key must not match.
            (
                "VmHWMX:\t5 kB\nVmHWM:\t7 kB\nVmRSS:\t1 kB\n",
                Ok(Memory {
                    peak_rss_kib: 7,
                    rss_kib: 1,
                }),
            ),
            ("", Err(())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_status(text).map_err(|_| ()), *want, "input {text:?}");
        }
    }

    #[test]
    fn stat_parsing_counts_fields_after_last_paren() {
        let cases: &[(&str, Result<u64, ()>)] = &[
            (
                "42 (registry) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0",
                Ok(300),
            ),
            (
                "42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0",
                Ok(10),
            ),
            ("42 (x) S 1 2", Err(())),
            ("42 x S 1 2 3 4 5 6 7 8 9 10 11 12", Err(())),
            ("42 (x) S 1 42 42 0 -1 4194560 100 0 0 0 -5 3", Err(())),
            ("", Err(())),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_stat_cpu_ticks(text).map_err(|_| ()),
                *want,
                "input {text:?}"
            );
        }
    }

    #[test]
    fn own_process_is_readable() {
        let mem = memory(std::process::id()).map_err(|e| e.to_string());
        assert!(
            matches!(mem, Ok(m) if m.peak_rss_kib >= m.rss_kib && m.rss_kib > 0),
            "{mem:?}"
        );
        assert!(cpu_seconds(std::process::id()).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn procfs_parsers_never_panic(s in ".{0,300}") {
            let _ = parse_status(&s);
            let _ = parse_stat_cpu_ticks(&s);
        }
    }
}
