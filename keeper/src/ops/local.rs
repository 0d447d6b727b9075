//! The embedded chain as a place to try every command: `keeper local init` starts one, funds
//! a set of wallets and writes a vault file for it; every later command loads the saved state,
//! acts, and saves it again. Nothing here touches a network.
//!
//! The wallets it writes are fresh keypairs for this local chain only, stored with mode 600
//! like any other key.

use super::wallet::{read_keypair, write_keypair};
use crate::chain::local::LocalChain;
use anyhow::{bail, Context, Result};
use flashforge_tests::{TestChain, TokenProgram};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::path::{Path, PathBuf};

/// Where local state lives unless `--local-dir` says otherwise.
pub const DEFAULT_DIR: &str = ".flashforge-local";
/// Decimals of the local base token (like USDC).
pub const LOCAL_DECIMALS: u8 = 6;
/// The wallets `init` creates, with what each holds: (name, SOL, base tokens).
pub const WALLETS: [(&str, u64, u64); 5] = [
    ("alice", 100, 1_000),
    ("bob", 100, 0),
    ("carol", 100, 0),
    ("keeper", 100, 0),
    ("investor", 100, 1_000_000),
];

fn state_path(dir: &Path) -> PathBuf {
    dir.join("chain.bin")
}

/// The wallet file for `name` ("investor") in `dir`, or `name` itself when it is a path.
pub fn wallet_path(dir: &Path, name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.components().count() > 1 || name.ends_with(".json") {
        return p.to_path_buf();
    }
    dir.join("wallets").join(format!("{name}.json"))
}

/// The vault the latest `migrate` against this local chain created.
pub fn remembered_vault(dir: &Path) -> Option<Pubkey> {
    std::fs::read_to_string(dir.join("vault"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

pub fn remember_vault(dir: &Path, vault: &Pubkey) -> Result<()> {
    std::fs::write(dir.join("vault"), vault.to_string())
        .with_context(|| format!("writing {}", dir.join("vault").display()))
}

/// Boots the embedded chain with the state saved in `dir`.
pub async fn open(dir: &Path) -> Result<LocalChain> {
    let path = state_path(dir);
    if !path.exists() {
        bail!(
            "no local chain in {} — run `keeper local init` first (or pass --url for a cluster)",
            dir.display()
        );
    }
    let mut chain = LocalChain::new(TestChain::start().await, 0);
    chain.restore(&path).await?;
    Ok(chain)
}

/// Saves the chain's state back to `dir`.
pub async fn close(chain: &mut LocalChain, dir: &Path) -> Result<()> {
    chain.save(&state_path(dir)).await
}

#[derive(Clone, Debug, Serialize)]
pub struct InitReport {
    pub dir: String,
    pub base_mint: String,
    pub vault_file: String,
    pub wallets: Vec<(String, String)>,
}

pub fn render_init(r: &InitReport) -> String {
    let mut rows: Vec<Vec<String>> = vec![vec!["base mint".into(), r.base_mint.clone()]];
    for (name, key) in &r.wallets {
        rows.push(vec![format!("wallet {name}"), key.clone()]);
    }
    format!(
        "local chain saved in {}\n{}vault file: {}\nnext: keeper migrate {}\n",
        r.dir,
        super::table(&["", ""], &rows),
        r.vault_file,
        r.vault_file
    )
}

/// Starts a local chain in `dir`: a base token, funded wallets, and a vault file.
pub async fn init(dir: &Path) -> Result<InitReport> {
    if state_path(dir).exists() {
        bail!(
            "{} already holds a local chain; remove the directory to start over",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir.join("wallets"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let mut chain = LocalChain::new(TestChain::start().await, 0);
    chain.use_fresh_blockhashes();
    let mint = chain
        .chain
        .create_mint(TokenProgram::Spl, LOCAL_DECIMALS, &[])
        .await;
    let unit = 10u64.pow(LOCAL_DECIMALS as u32);
    let mut wallets = Vec::new();
    for (name, sol, tokens) in WALLETS {
        let path = wallet_path(dir, name);
        let kp = if path.exists() {
            read_keypair(&path)?
        } else {
            let kp = Keypair::new();
            write_keypair(&path, &kp)?;
            kp
        };
        chain
            .chain
            .fund(
                &kp.pubkey(),
                sol * solana_sdk::native_token::LAMPORTS_PER_SOL,
            )
            .await;
        let ata = chain.chain.token_account(&mint, &kp.pubkey()).await;
        if tokens > 0 {
            chain.chain.mint_to(&mint, &ata, tokens * unit).await;
        }
        wallets.push((name.to_string(), kp.pubkey()));
    }
    let key = |n: &str| {
        wallets
            .iter()
            .find(|(w, _)| w == n)
            .map(|(_, k)| k.to_string())
            .unwrap_or_default()
    };
    let vault_file = dir.join("vault.toml");
    let toml = format!(
        r#"# A vault on the local chain, created by `keeper local init`.
# `keeper migrate {file} --keypair alice` creates it; running it again changes nothing.
vault_id = 1
base_mint = "{mint}"
keeper = "{keeper}"
fee_recipient = "{alice}"
seed_deposit = "1"            # base-token units the creator locks as dead shares
lockup = "30d"
notice = "7d"
crystallization_period = "90d"
redemption_grace = "1d"
min_deposit = "10"
max_aum = "max"

[governance]
threshold = 2
timelock = "1h"
proposal_lifetime = "7d"

[[governance.members]]
key = "{alice}"

[[governance.members]]
key = "{bob}"

[[governance.members]]
key = "{carol}"
guardian = true

# Fees by net deposit, in base-token units: lower rates for larger investors.
[[tiers]]
min_deposit = "10"
max_deposit = "10000"
management_fee_bps = 200
performance_fee_bps = 2000

[[tiers]]
min_deposit = "10000"
max_deposit = "max"
management_fee_bps = 150
performance_fee_bps = 1500

[risk]
max_buy_per_trade = "100"
max_total_exposure = "2000"
max_exposure_per_token = "500"
min_safety_score = 60

[[allow.venues]]
program = "{amm}"
any_pool = true
any_mint = true
"#,
        file = vault_file.display(),
        keeper = key("keeper"),
        alice = key("alice"),
        bob = key("bob"),
        carol = key("carol"),
        amm = local_amm::ID,
    );
    std::fs::write(&vault_file, toml)
        .with_context(|| format!("writing {}", vault_file.display()))?;
    close(&mut chain, dir).await?;
    Ok(InitReport {
        dir: dir.display().to_string(),
        base_mint: mint.to_string(),
        vault_file: vault_file.display().to_string(),
        wallets: wallets
            .into_iter()
            .map(|(n, k)| (n, k.to_string()))
            .collect(),
    })
}
