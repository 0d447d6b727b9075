//! Transaction-log output that also works when a program runs natively.
//!
//! On-chain, `msg!` is the `sol_log` syscall and Anchor's `emit!` is `sol_log_data`. A program
//! built for the host has no syscalls: `msg!` prints to the process's stdout and `sol_log_data`
//! does nothing, so clients never see either. The runtime that hosts native programs
//! (solana-program-test, the embedded local chain) installs syscall stubs that append to the
//! transaction log; host builds route through those instead.
//!
//! Events are written as `Program data: <base64>` on-chain and, on the host, as
//! `Program log: Program data: <base64>`; [`decode_events`] reads both.

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
        $crate::log(&format!($($arg)*))
    };
}

/// Writes an Anchor event to the transaction log (see the crate docs for the two forms).
pub fn emit_event<E: anchor_lang::Event>(event: &E) {
    let data = anchor_lang::Event::data(event);
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log_data(&[&data]);
    #[cfg(not(target_os = "solana"))]
    {
        use base64::Engine as _;
        log(&format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(data)
        ));
    }
}

/// The base64 payloads of event lines in a transaction log, in order.
#[cfg(not(target_os = "solana"))]
pub fn event_payloads(logs: &[String]) -> impl Iterator<Item = Vec<u8>> + '_ {
    use base64::Engine as _;
    logs.iter().filter_map(|line| {
        let rest = line.strip_prefix("Program log: ").unwrap_or(line);
        let b64 = rest.strip_prefix("Program data: ")?;
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()
    })
}

/// Every event of type `E` in a transaction log, in order.
#[cfg(not(target_os = "solana"))]
pub fn decode_events<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(
    logs: &[String],
) -> Vec<E> {
    event_payloads(logs)
        .filter_map(|data| {
            let body = data.strip_prefix(E::DISCRIMINATOR)?;
            E::deserialize(&mut &body[..]).ok()
        })
        .collect()
}
