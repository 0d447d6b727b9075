//! The operator, investor and member commands as the `keeper` binary parses them, and one
//! function that runs any of them against any chain. The binary and the end-to-end tests
//! share it, so what CI runs is what people run.

use super::local;
use super::members::{self, ActionArg, Vote};
use super::migrate::{self, VaultSpec};
use super::wallet::read_keypair;
use super::{amount, investor, load_vault, status, utc};
use crate::chain::Chain;
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::path::{Path, PathBuf};
use vault::state::WithdrawAmount;

/// Where a command acts and as whom.
#[derive(Clone, Debug, clap::Args)]
pub struct Target {
    /// `local` for the embedded chain saved in --local-dir, or JSON-RPC URLs separated by
    /// commas (tried in turn on failure).
    #[arg(long, env = "KEEPER_URL", default_value = "local", global = true)]
    pub url: String,
    /// Directory of the local chain's saved state and wallets.
    #[arg(long, env = "KEEPER_LOCAL_DIR", default_value = local::DEFAULT_DIR, global = true)]
    pub local_dir: PathBuf,
    /// Keypair file that signs and pays (default: the Solana CLI's ~/.config/solana/id.json);
    /// on the local chain also a wallet name: alice, bob, carol, keeper or investor.
    #[arg(long, env = "KEEPER_KEYPAIR", global = true)]
    pub keypair: Option<String>,
    /// The vault's address (on the local chain: default the one `migrate` created).
    #[arg(long, env = "FLASHFORGE_VAULT", global = true)]
    pub vault: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Do not ask before irreversible actions.
    #[arg(long, global = true)]
    pub yes: bool,
}

impl Target {
    pub fn is_local(&self) -> bool {
        self.url == "local"
    }

    fn keypair(&self) -> Result<Keypair> {
        let path = match &self.keypair {
            Some(k) if self.is_local() => local::wallet_path(&self.local_dir, k),
            Some(k) => PathBuf::from(k),
            None => {
                let default = std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(".config/solana/id.json"));
                match default {
                    Some(p) if p.exists() && !self.is_local() => p,
                    _ => bail!(
                        "pass --keypair: a keypair file{}",
                        if self.is_local() {
                            ", or a local wallet name (alice, bob, carol, keeper, investor)"
                        } else {
                            ""
                        }
                    ),
                }
            }
        };
        read_keypair(&path)
    }

    fn vault(&self) -> Result<Pubkey> {
        if let Some(v) = &self.vault {
            return members::parse_key(v, "--vault");
        }
        if self.is_local() {
            if let Some(v) = local::remembered_vault(&self.local_dir) {
                return Ok(v);
            }
        }
        bail!("pass --vault ADDRESS (or set FLASHFORGE_VAULT)")
    }
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum OpCommand {
    /// Creates a vault from a TOML file, or checks that it exists as described (idempotent).
    /// Allowlist entries are filed as proposals for the members to approve.
    Migrate {
        file: PathBuf,
        #[command(flatten)]
        t: Target,
    },
    /// Deposits base tokens (amount in token units, e.g. 250.5) from your wallet.
    Deposit {
        amount: String,
        #[command(flatten)]
        t: Target,
    },
    /// Asks to withdraw: an amount in token units, `all`, or a share count with --shares.
    RequestWithdraw {
        amount: String,
        /// AMOUNT is a number of shares.
        #[arg(long)]
        shares: bool,
        #[command(flatten)]
        t: Target,
    },
    /// Cancels your pending withdrawal request; the shares return to your position.
    CancelWithdraw {
        #[command(flatten)]
        t: Target,
    },
    /// Collects a withdrawal whose notice and lock-up have passed.
    Withdraw {
        #[command(flatten)]
        t: Target,
    },
    /// Your position: shares, value, lock-up end, fees paid, high-water mark.
    Position {
        /// Whose position (default: the keypair's).
        #[arg(long)]
        investor: Option<String>,
        #[command(flatten)]
        t: Target,
    },
    /// Governance: propose, vote, execute, list.
    Gov {
        #[command(subcommand)]
        what: GovCommand,
    },
    /// Anyone: the vault's state.
    Vault {
        #[command(subcommand)]
        what: VaultCommand,
    },
    /// The embedded chain's saved state.
    Local {
        #[command(subcommand)]
        what: LocalCommand,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum GovCommand {
    /// Files a proposal.
    Propose {
        #[command(subcommand)]
        action: ActionArg,
        #[command(flatten)]
        t: Target,
    },
    /// A guardian acting alone and at once: pause, tighten limits, remove allowlist entries,
    /// emergency deleverage (the vault refuses anything that loosens).
    Guard {
        #[command(subcommand)]
        action: ActionArg,
        #[command(flatten)]
        t: Target,
    },
    Approve {
        index: u64,
        #[command(flatten)]
        t: Target,
    },
    Reject {
        index: u64,
        #[command(flatten)]
        t: Target,
    },
    /// Executes an approved proposal whose delay has passed.
    Execute {
        index: u64,
        #[command(flatten)]
        t: Target,
    },
    /// Every proposal still on chain, with its votes and when it may execute.
    List {
        #[command(flatten)]
        t: Target,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum VaultCommand {
    /// NAV, positions, leverage loops and their health, limits and their use, breaker.
    Status {
        #[command(flatten)]
        t: Target,
    },
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum LocalCommand {
    /// Starts a local chain: a base token, funded wallets, and a vault file to migrate.
    Init {
        #[command(flatten)]
        t: Target,
    },
    /// Moves the local chain's clock forward (3600, 90s, 15m, 12h or 30d).
    Warp {
        duration: String,
        #[command(flatten)]
        t: Target,
    },
}

/// A command without its target.
#[derive(Clone, Debug)]
pub enum Op {
    Migrate(PathBuf),
    Deposit(String),
    RequestWithdraw { amount: String, shares: bool },
    CancelWithdraw,
    Withdraw,
    Position(Option<String>),
    Propose(ActionArg),
    Guard(ActionArg),
    Vote(u64, Vote),
    List,
    Status,
    LocalInit,
    Warp(String),
}

impl OpCommand {
    pub fn split(self) -> (Op, Target) {
        match self {
            OpCommand::Migrate { file, t } => (Op::Migrate(file), t),
            OpCommand::Deposit { amount, t } => (Op::Deposit(amount), t),
            OpCommand::RequestWithdraw { amount, shares, t } => {
                (Op::RequestWithdraw { amount, shares }, t)
            }
            OpCommand::CancelWithdraw { t } => (Op::CancelWithdraw, t),
            OpCommand::Withdraw { t } => (Op::Withdraw, t),
            OpCommand::Position { investor, t } => (Op::Position(investor), t),
            OpCommand::Gov { what } => match what {
                GovCommand::Propose { action, t } => (Op::Propose(action), t),
                GovCommand::Guard { action, t } => (Op::Guard(action), t),
                GovCommand::Approve { index, t } => (Op::Vote(index, Vote::Approve), t),
                GovCommand::Reject { index, t } => (Op::Vote(index, Vote::Reject), t),
                GovCommand::Execute { index, t } => (Op::Vote(index, Vote::Execute), t),
                GovCommand::List { t } => (Op::List, t),
            },
            OpCommand::Vault {
                what: VaultCommand::Status { t },
            } => (Op::Status, t),
            OpCommand::Local { what } => match what {
                LocalCommand::Init { t } => (Op::LocalInit, t),
                LocalCommand::Warp { duration, t } => (Op::Warp(duration), t),
            },
        }
    }
}

/// Asks on the terminal; without one, only `--yes` proceeds.
pub type Confirm<'a> = &'a mut dyn FnMut(&str) -> Result<bool>;

/// The terminal prompt: reads y/N from standard input, refuses without a terminal.
pub fn ask_terminal(question: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        bail!("{question}\nno terminal to confirm on: pass --yes to proceed");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn confirm(t: &Target, ask: Confirm, question: String) -> Result<()> {
    if t.yes || ask(&question)? {
        Ok(())
    } else {
        bail!("cancelled; nothing was sent")
    }
}

fn show<T: Serialize>(t: &Target, value: &T, human: impl Fn(&T) -> String) -> Result<String> {
    if t.json {
        Ok(serde_json::to_string_pretty(value)? + "\n")
    } else {
        Ok(human(value))
    }
}

/// Runs `op` against `chain`; returns what to print.
pub async fn exec<C: Chain>(
    chain: &mut C,
    op: &Op,
    t: &Target,
    ask: Confirm<'_>,
) -> Result<String> {
    // The commands' futures are large (each holds a chain call's state); on the heap they
    // cannot overflow a caller's stack, whatever it runs on.
    Box::pin(exec_inner(chain, op, t, ask)).await
}

async fn exec_inner<C: Chain>(
    chain: &mut C,
    op: &Op,
    t: &Target,
    ask: Confirm<'_>,
) -> Result<String> {
    match op {
        Op::LocalInit => bail!("`local init` starts its own chain"),
        Op::Warp(d) => {
            let _ = d;
            bail!("`local warp` moves the local chain's clock and needs --url local")
        }
        Op::Migrate(file) => {
            let spec = VaultSpec::from_file(file)?;
            let creator = t.keypair()?;
            let address = vault::client::vault_address(&creator.pubkey(), spec.vault_id).0;
            if crate::chain::account(chain, &address).await?.is_none() {
                confirm(
                    t,
                    ask,
                    format!(
                        "Create vault {address} from {} with {} as creator (the seed deposit \
                         stays in the vault for good)?",
                        file.display(),
                        creator.pubkey()
                    ),
                )?;
            }
            let r = migrate::migrate(chain, &creator, &spec).await?;
            if t.is_local() {
                local::remember_vault(&t.local_dir, &address)?;
            }
            show(t, &r, migrate::render)
        }
        Op::Deposit(text) => {
            let v = load_vault(chain, &t.vault()?).await?;
            let amount = amount::parse_ui(text, v.decimals())?;
            if amount == 0 {
                bail!("deposit at least one base unit");
            }
            let who = t.keypair()?;
            let now = chain.now().await?;
            confirm(
                t,
                ask,
                format!(
                    "Deposit {} into vault {}? It is locked up until about {}.",
                    v.ui(amount),
                    v.address,
                    utc(now.saturating_add(v.vault.config.lockup_seconds as i64))
                ),
            )?;
            let r = investor::deposit(chain, &v, &who, amount).await?;
            show(t, &r, investor::render_action)
        }
        Op::RequestWithdraw {
            amount: text,
            shares,
        } => {
            let v = load_vault(chain, &t.vault()?).await?;
            let amount = if text.trim() == "all" {
                WithdrawAmount::All
            } else if *shares {
                WithdrawAmount::Shares(
                    text.trim()
                        .parse()
                        .map_err(|_| anyhow!("{text:?} is not a whole number of shares"))?,
                )
            } else {
                WithdrawAmount::Assets(amount::parse_ui(text, v.decimals())?)
            };
            let who = t.keypair()?;
            confirm(
                t,
                ask,
                format!(
                    "Request a withdrawal of {text}{} from vault {}? The shares stop earning \
                     and are paid after the {} notice (or the lock-up's end, if later).",
                    if *shares { " shares" } else { "" },
                    v.address,
                    super::show_duration(v.vault.config.notice_seconds)
                ),
            )?;
            let r = investor::request_withdraw(chain, &v, &who, amount).await?;
            show(t, &r, investor::render_action)
        }
        Op::CancelWithdraw => {
            let v = load_vault(chain, &t.vault()?).await?;
            let r = investor::cancel_withdraw(chain, &v, &t.keypair()?).await?;
            show(t, &r, investor::render_action)
        }
        Op::Withdraw => {
            let v = load_vault(chain, &t.vault()?).await?;
            let r = investor::withdraw(chain, &v, &t.keypair()?).await?;
            show(t, &r, investor::render_action)
        }
        Op::Position(who) => {
            let v = load_vault(chain, &t.vault()?).await?;
            let key = match who {
                Some(k) => members::parse_key(k, "--investor")?,
                None => t.keypair()?.pubkey(),
            };
            let r = investor::position(chain, &v, &key).await?;
            show(t, &r, investor::render_position)
        }
        Op::Propose(arg) => {
            let v = load_vault(chain, &t.vault()?).await?;
            let action = arg.to_action(&v)?;
            let (class, delay) = members::delay_of(chain, &v, &action).await?;
            let who = t.keypair()?;
            let r = members::propose(chain, &v, &who, action).await?;
            show(t, &r, |r| {
                format!(
                    "{}{class} change: once approved it waits {} before execution\n",
                    members::render_vote(r),
                    super::show_duration(delay)
                )
            })
        }
        Op::Guard(arg) => {
            let v = load_vault(chain, &t.vault()?).await?;
            let action = arg.to_action(&v)?;
            let text = members::describe(&action, v.decimals());
            confirm(
                t,
                ask,
                format!("As guardian, {text} on vault {} now?", v.address),
            )?;
            let r = members::guard(chain, &v, &t.keypair()?, action).await?;
            show(t, &r, |r| {
                format!("guardian action landed: {}\n", r.signature)
            })
        }
        Op::Vote(index, vote) => {
            let v = load_vault(chain, &t.vault()?).await?;
            if *vote != Vote::Approve {
                confirm(
                    t,
                    ask,
                    format!(
                        "{} proposal {index} of vault {}? This cannot be undone.",
                        if *vote == Vote::Execute {
                            "Execute"
                        } else {
                            "Reject"
                        },
                        v.address
                    ),
                )?;
            }
            let r = members::vote(chain, &v, &t.keypair()?, *index, *vote).await?;
            show(t, &r, members::render_vote)
        }
        Op::List => {
            let v = load_vault(chain, &t.vault()?).await?;
            let r = members::list(chain, &v).await?;
            show(t, &r, |r| members::render_list(r))
        }
        Op::Status => {
            let v = load_vault(chain, &t.vault()?).await?;
            let r = status::status(chain, &v).await?;
            show(t, &r, status::render)
        }
    }
}

/// Runs `op` on the local chain saved in `t.local_dir`, saving the state afterwards — also
/// after a refusal, so whatever did land (a migration's first steps) is never lost.
pub async fn exec_local(op: &Op, t: &Target, ask: Confirm<'_>) -> Result<String> {
    let dir: &Path = &t.local_dir;
    match op {
        Op::LocalInit => {
            let r = Box::pin(local::init(dir)).await?;
            return show(t, &r, local::render_init);
        }
        Op::Warp(d) => {
            let secs = super::parse_duration(d)?;
            let mut chain = Box::pin(local::open(dir)).await?;
            chain.chain.warp(secs as i64, 150).await;
            let now = chain.now().await?;
            local::close(&mut chain, dir).await?;
            return show(
                t,
                &serde_json::json!({ "now": now, "now_utc": utc(now) }),
                |_| format!("local chain time is now {}\n", utc(now)),
            );
        }
        _ => {}
    }
    let mut chain = Box::pin(local::open(dir)).await?;
    let out = exec(&mut chain, op, t, ask).await;
    local::close(&mut chain, dir).await?;
    out
}
