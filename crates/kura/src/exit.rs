//! Exit codes (documented in docs/exit-codes.md) and error rendering.

use std::process::ExitCode;

/// Success: nothing found that the policy gates on.
pub const OK: u8 = 0;
/// Findings remain after policy (`--exit-code` overrides it for scans), or a verification failed.
pub const FINDINGS: u8 = 1;
/// kura itself failed: bad input, unreadable image, I/O, network.
pub const ERROR: u8 = 2;

/// Print an error with its chain of causes and exit with [`ERROR`].
/// A broken pipe (output piped into `head`) is not an error.
pub fn report_error(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::from(OK);
    }
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    ExitCode::from(ERROR)
}
