//! Transaction-log output that also works when the program runs natively.
//!
//! On-chain, `msg!` is the `sol_log` syscall. A program built for the host has no syscalls;
//! `msg!` would print to the process's stdout, invisible to clients. The runtime that hosts
//! native programs (solana-program-test, the embedded local chain) installs syscall stubs
//! that append to the transaction log, so host builds route through those instead.

/// Appends `message` to the transaction log as `Program log: <message>`.
pub fn log(message: &str) {
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log(message);
    #[cfg(not(target_os = "solana"))]
    solana_sysvar::program_stubs::sol_log(message);
}

/// `format!`-style [`log`].
#[macro_export]
macro_rules! vlog {
    ($($arg:tt)*) => {
        $crate::log::log(&format!($($arg)*))
    };
}
