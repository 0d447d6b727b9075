//! A pre-filter on a transaction's logs, as a websocket `logsNotification` carries them:
//! whether it may create a pool of a known venue, so that the keeper reads over JSON-RPC only
//! those that may. On a busy venue nearly every transaction is a swap, and reading each one
//! would spend the endpoints' rate limits on nothing.
//!
//! The filter only ever says "no" when the logs show it: a venue's instruction ran, named
//! itself, and was not one of that venue's pool-creating instructions. Anything less certain
//! (empty or truncated logs, a venue instruction that logged no name) is a "maybe".

use super::venues::{Rule, VENUES};
use solana_sdk::pubkey::Pubkey;
use std::str::FromStr;

/// What a venue instruction logs first when it is a pool creation: Anchor programs log
/// `Instruction: <PascalCaseName>`, the others their instruction's own name.
fn creation_marker(rule: &Rule) -> String {
    if rule.discriminator.len() == 8 {
        let pascal: String = rule
            .name
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect();
        format!("Instruction: {pascal}")
    } else {
        format!("{}:", rule.name)
    }
}

/// Each venue's program and its creation markers, built once: the filter runs on every
/// notification.
fn venue_markers() -> &'static [(Pubkey, Vec<String>)] {
    static MARKERS: std::sync::OnceLock<Vec<(Pubkey, Vec<String>)>> = std::sync::OnceLock::new();
    MARKERS.get_or_init(|| {
        VENUES
            .iter()
            .map(|v| (v.program, v.rules.iter().map(creation_marker).collect()))
            .collect()
    })
}

/// Whether a line a program logged names the instruction it runs.
fn names_instruction(text: &str) -> bool {
    text.starts_with("Instruction: ")
        || text
            .split_once(':')
            .is_some_and(|(head, _)| !head.is_empty() && !head.contains(' '))
}

/// Whether the transaction that logged `logs` may create a pool of a known venue.
pub fn may_create_pool(logs: &[String]) -> bool {
    if logs.is_empty() || logs.iter().any(|l| l.starts_with("Log truncated")) {
        return true;
    }
    // The stack of invoked programs; for each, whether it is a venue and whether it named
    // its instruction yet.
    let mut stack: Vec<(Option<&'static [String]>, bool)> = Vec::new();
    for line in logs {
        let Some(rest) = line.strip_prefix("Program ") else {
            continue;
        };
        if let Some(text) = rest.strip_prefix("log: ") {
            if let Some((Some(markers), named)) = stack.last_mut() {
                if markers.iter().any(|m| text.starts_with(m.as_str())) {
                    return true;
                }
                *named |= names_instruction(text);
            }
            continue;
        }
        let Some((id, tail)) = rest.split_once(' ') else {
            continue;
        };
        if tail.starts_with("invoke [") {
            let markers = Pubkey::from_str(id).ok().and_then(|p| {
                venue_markers()
                    .iter()
                    .find(|(program, _)| *program == p)
                    .map(|(_, m)| m.as_slice())
            });
            stack.push((markers, false));
        } else if tail == "success" || tail.starts_with("failed") {
            // A venue instruction that never said what it was may have been a creation.
            if let Some((Some(_), false)) = stack.pop() {
                return true;
            }
        }
    }
    // Frames still open mean the logs stop early.
    !stack.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const AMM: &str = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8";
    const CPMM: &str = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C";

    #[test]
    fn markers_follow_each_kind_of_venue() {
        let names: Vec<String> = VENUES
            .iter()
            .flat_map(|v| v.rules.iter().map(creation_marker))
            .collect();
        assert!(names.contains(&"initialize2:".to_string()));
        assert!(names.contains(&"Instruction: InitializePoolV2".to_string()));
        assert!(names.contains(&"Instruction: InitializeWithToken2022".to_string()));
        assert!(names.contains(&"Instruction: CreateV2".to_string()));
    }

    #[test]
    fn a_named_swap_is_no_creation_and_a_creation_is_one() {
        let swap = lines(&[
            &format!("Program {AMM} invoke [1]"),
            "Program log: ray_log: AwDh9QU=",
            &format!("Program {AMM} success"),
        ]);
        assert!(!may_create_pool(&swap));
        let cpmm_swap = lines(&[
            &format!("Program {CPMM} invoke [1]"),
            "Program log: Instruction: SwapBaseInput",
            &format!("Program {CPMM} success"),
        ]);
        assert!(!may_create_pool(&cpmm_swap));
        let create = lines(&[
            &format!("Program {CPMM} invoke [1]"),
            "Program log: Instruction: Initialize",
            &format!("Program {CPMM} success"),
        ]);
        assert!(may_create_pool(&create));
    }

    #[test]
    fn anything_uncertain_is_a_maybe() {
        assert!(may_create_pool(&[]));
        let unnamed = lines(&[
            &format!("Program {CPMM} invoke [1]"),
            &format!("Program {CPMM} consumed 100 of 200 compute units"),
            &format!("Program {CPMM} success"),
        ]);
        assert!(may_create_pool(&unnamed), "a venue that logged no name");
        let cut = lines(&[
            &format!("Program {CPMM} invoke [1]"),
            "Program log: Instruction: SwapBaseInput",
            "Log truncated",
        ]);
        assert!(may_create_pool(&cut));
        let open = lines(&[
            &format!("Program {CPMM} invoke [1]"),
            "Program log: Instruction: SwapBaseInput",
        ]);
        assert!(may_create_pool(&open), "logs that stop early");
    }

    #[test]
    fn a_creation_inside_another_program_counts() {
        let logs = lines(&[
            "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 invoke [1]",
            "Program log: Instruction: Route",
            &format!("Program {CPMM} invoke [2]"),
            "Program log: Instruction: Initialize",
            &format!("Program {CPMM} success"),
            "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 success",
        ]);
        assert!(may_create_pool(&logs));
    }
}
