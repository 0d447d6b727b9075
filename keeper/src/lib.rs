//! The Flashforge keeper: detects new pools, scores their safety, and trades through the
//! vault inside the limits the vault enforces.

pub mod accounts;
pub mod bench;
pub mod chain;
pub mod detect;
pub mod execute;
pub mod gather;
pub mod jito;
pub mod journal;
pub mod ops;
pub mod pipeline;
pub mod run;
pub mod score;
pub mod sim;
pub mod strategy;

use std::path::{Path, PathBuf};

/// The shared fixture directory (`../shared/fixtures` beside the repository) holding real
/// mainnet transactions and accounts: `$FLASHFORGE_FIXTURES` when set, else the first
/// `shared/fixtures` found beside the repository or any directory above it, else the
/// workspace's standard location `/work/shared/fixtures`.
pub fn fixtures_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FLASHFORGE_FIXTURES") {
        return Some(PathBuf::from(p));
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let cwd = std::env::current_dir().ok();
    repo.ancestors()
        .chain(cwd.iter().flat_map(|c| c.ancestors()))
        .map(|a| a.join("shared/fixtures"))
        .chain([PathBuf::from("/work/shared/fixtures")])
        .find(|p| p.join("tx").is_dir())
}
