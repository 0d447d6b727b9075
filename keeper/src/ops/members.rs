//! Governance members' commands: propose a typed action, vote, execute, and list proposals
//! with what each waits for.

use super::migrate::{MemberSpec, RiskSpec, TierSpec};
use super::submit::submit;
use super::{amount, load_governance, parse_duration, read, show_duration, utc, VaultView};
use crate::chain::Chain;
use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;
use std::str::FromStr;
use vault::client::proposal_address;
use vault::instructions::{execution_window, voting_expired};
use vault::state::{
    required_delay, ChangeClass, FeeRates, GovernanceAction, Proposal, ProposalStatus, VenueEntry,
};

/// A base58 address, or an error naming what it was meant to be.
pub fn parse_key(text: &str, what: &str) -> Result<Pubkey> {
    Pubkey::from_str(text.trim()).map_err(|_| anyhow!("{what} {text:?} is not a base58 address"))
}

/// A governance action as typed on the command line.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum ActionArg {
    /// No new positions (protective: executable as soon as approved).
    PauseTrading,
    ResumeTrading,
    /// No new deposits (protective).
    PauseDeposits,
    ResumeDeposits,
    /// Clear a tripped circuit breaker (waits the timelock).
    ResetBreaker,
    /// Unwind leveraged positions (protective).
    EmergencyDeleverage,
    /// Replace the trading hot key (waits the timelock).
    SetKeeper {
        key: String,
    },
    SetFeeRecipient {
        key: String,
    },
    /// Allow a venue program (adverse: waits max(timelock, 7 days, 2 x notice)).
    AllowVenue {
        program: String,
        /// Any pool of the venue, not only allowlisted ones.
        #[arg(long)]
        any_pool: bool,
        /// Any mint on the venue, not only allowlisted ones.
        #[arg(long)]
        any_mint: bool,
    },
    DisallowVenue {
        program: String,
    },
    AllowPool {
        pool: String,
    },
    DisallowPool {
        pool: String,
    },
    AllowMint {
        mint: String,
    },
    DisallowMint {
        mint: String,
    },
    SetThreshold {
        threshold: u8,
    },
    /// Durations: 3600, 90s, 15m, 12h or 30d.
    SetTimelock {
        duration: String,
    },
    SetProposalLifetime {
        duration: String,
    },
    SetLockup {
        duration: String,
    },
    SetNotice {
        duration: String,
    },
    SetCrystallizationPeriod {
        duration: String,
    },
    SetRedemptionGrace {
        duration: String,
    },
    /// Amounts in base-token units ("100.5").
    SetMinDeposit {
        amount: String,
    },
    SetMaxAum {
        amount: String,
    },
    /// One management/performance pair per tier, in tier order: "200/2000,175/1750".
    SetFeeRates {
        rates: String,
    },
    /// A TOML file of risk-limit fields (the `[risk]` table of a vault file); fields it does
    /// not name keep their current value.
    SetRiskLimits {
        file: PathBuf,
    },
    /// A TOML file of `[[members]]` entries, as in a vault file's governance.
    SetMembers {
        file: PathBuf,
    },
    /// A TOML file of `[[tiers]]` entries, as in a vault file.
    SetTiers {
        file: PathBuf,
    },
}

fn read_toml<T: serde::de::DeserializeOwned>(file: &PathBuf) -> Result<T> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))
}

impl ActionArg {
    /// The action against vault `v` (amounts use its decimals; partial limits fill in from its
    /// current ones).
    pub fn to_action(&self, v: &VaultView) -> Result<GovernanceAction> {
        use GovernanceAction as A;
        let dur = |s: &str| parse_duration(s);
        let amt = |s: &str| amount::parse_ui(s, v.decimals());
        Ok(match self {
            ActionArg::PauseTrading => A::PauseTrading,
            ActionArg::ResumeTrading => A::ResumeTrading,
            ActionArg::PauseDeposits => A::PauseDeposits,
            ActionArg::ResumeDeposits => A::ResumeDeposits,
            ActionArg::ResetBreaker => A::ResetCircuitBreaker,
            ActionArg::EmergencyDeleverage => A::StartEmergencyDeleverage,
            ActionArg::SetKeeper { key } => A::SetKeeper(parse_key(key, "keeper")?),
            ActionArg::SetFeeRecipient { key } => {
                A::SetFeeRecipient(parse_key(key, "fee recipient")?)
            }
            ActionArg::AllowVenue {
                program,
                any_pool,
                any_mint,
            } => A::AllowVenue(VenueEntry {
                program: parse_key(program, "venue program")?,
                any_pool: *any_pool,
                any_mint: *any_mint,
            }),
            ActionArg::DisallowVenue { program } => {
                A::DisallowVenue(parse_key(program, "venue program")?)
            }
            ActionArg::AllowPool { pool } => A::AllowPool(parse_key(pool, "pool")?),
            ActionArg::DisallowPool { pool } => A::DisallowPool(parse_key(pool, "pool")?),
            ActionArg::AllowMint { mint } => A::AllowMint(parse_key(mint, "mint")?),
            ActionArg::DisallowMint { mint } => A::DisallowMint(parse_key(mint, "mint")?),
            ActionArg::SetThreshold { threshold } => A::SetThreshold(*threshold),
            ActionArg::SetTimelock { duration } => A::SetTimelock(dur(duration)?),
            ActionArg::SetProposalLifetime { duration } => A::SetProposalLifetime(dur(duration)?),
            ActionArg::SetLockup { duration } => A::SetLockup(dur(duration)?),
            ActionArg::SetNotice { duration } => A::SetNotice(dur(duration)?),
            ActionArg::SetCrystallizationPeriod { duration } => {
                A::SetCrystallizationPeriod(dur(duration)?)
            }
            ActionArg::SetRedemptionGrace { duration } => A::SetRedemptionGrace(dur(duration)?),
            ActionArg::SetMinDeposit { amount } => A::SetMinDeposit(amt(amount)?),
            ActionArg::SetMaxAum { amount } => A::SetMaxAum(amt(amount)?),
            ActionArg::SetFeeRates { rates } => A::SetFeeRates(parse_rates(rates)?),
            ActionArg::SetRiskLimits { file } => {
                let spec: RiskSpec = read_toml(file)?;
                A::SetRiskLimits(spec.apply(v.vault.risk, v.decimals())?)
            }
            ActionArg::SetMembers { file } => {
                #[derive(serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                struct F {
                    members: Vec<MemberSpec>,
                }
                let f: F = read_toml(file)?;
                A::SetMembers(
                    f.members
                        .iter()
                        .map(MemberSpec::to_member)
                        .collect::<Result<_>>()?,
                )
            }
            ActionArg::SetTiers { file } => {
                #[derive(serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                struct F {
                    tiers: Vec<TierSpec>,
                }
                let f: F = read_toml(file)?;
                A::SetInvestorTiers(
                    f.tiers
                        .iter()
                        .map(|t| t.to_tier(v.decimals()))
                        .collect::<Result<_>>()?,
                )
            }
        })
    }
}

/// "200/2000,175/1750" → one `FeeRates` per tier.
pub fn parse_rates(text: &str) -> Result<Vec<FeeRates>> {
    text.split(',')
        .map(|pair| {
            let (m, p) = pair.trim().split_once('/').ok_or_else(|| {
                anyhow!("fee rates {pair:?}: write management/performance in bps, e.g. 200/2000")
            })?;
            let bps = |s: &str| -> Result<u16> {
                s.trim()
                    .parse()
                    .map_err(|_| anyhow!("fee rate {s:?} is not a whole number of bps"))
            };
            Ok(FeeRates {
                management_fee_bps: bps(m)?,
                performance_fee_bps: bps(p)?,
            })
        })
        .collect()
}

/// One line describing an action, amounts in base-token units.
pub fn describe(a: &GovernanceAction, decimals: u8) -> String {
    use GovernanceAction as A;
    let ui = |x: &u64| amount::format_ui(*x, decimals);
    match a {
        A::SetRiskLimits(r) => format!(
            "set risk limits (buy {} max, {} positions, exposure {} / {} per token, score ≥ {}, \
             daily loss {} bps, drawdown {} bps, health ≥ {} bps{})",
            ui(&r.max_buy_per_trade),
            r.max_open_positions,
            ui(&r.max_total_exposure),
            ui(&r.max_exposure_per_token),
            r.min_safety_score,
            r.daily_loss_limit_bps,
            r.max_drawdown_bps,
            r.min_health_factor_bps,
            if r.reduce_only { ", reduce only" } else { "" }
        ),
        A::SetFeeRates(r) => format!(
            "set fee rates {}",
            r.iter()
                .map(|f| format!("{}/{}", f.management_fee_bps, f.performance_fee_bps))
                .collect::<Vec<_>>()
                .join(",")
        ),
        A::SetInvestorTiers(t) => format!(
            "set investor tiers {}",
            t.iter()
                .map(|t| format!(
                    "[{}..{}) {}/{}",
                    ui(&t.min_deposit),
                    ui(&t.max_deposit),
                    t.management_fee_bps,
                    t.performance_fee_bps
                ))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        A::SetKeeper(k) => format!("set keeper {k}"),
        A::SetFeeRecipient(k) => format!("set fee recipient {k}"),
        A::AllowVenue(v) => format!(
            "allow venue {}{}{}",
            v.program,
            if v.any_pool { " (any pool)" } else { "" },
            if v.any_mint { " (any mint)" } else { "" }
        ),
        A::DisallowVenue(k) => format!("disallow venue {k}"),
        A::AllowPool(k) => format!("allow pool {k}"),
        A::DisallowPool(k) => format!("disallow pool {k}"),
        A::AllowMint(k) => format!("allow mint {k}"),
        A::DisallowMint(k) => format!("disallow mint {k}"),
        A::SetMembers(m) => format!(
            "set members {}",
            m.iter()
                .map(|m| format!("{}{}", m.key, if m.guardian { " (guardian)" } else { "" }))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        A::SetThreshold(t) => format!("set threshold {t}"),
        A::SetTimelock(s) => format!("set timelock {}", show_duration(*s)),
        A::SetProposalLifetime(s) => format!("set proposal lifetime {}", show_duration(*s)),
        A::PauseTrading => "pause trading".into(),
        A::ResumeTrading => "resume trading".into(),
        A::PauseDeposits => "pause deposits".into(),
        A::ResumeDeposits => "resume deposits".into(),
        A::ResetCircuitBreaker => "reset the circuit breaker".into(),
        A::SetLockup(s) => format!("set lock-up {}", show_duration(*s)),
        A::SetNotice(s) => format!("set notice {}", show_duration(*s)),
        A::SetCrystallizationPeriod(s) => {
            format!("set crystallization period {}", show_duration(*s))
        }
        A::SetMinDeposit(x) => format!("set minimum deposit {}", ui(x)),
        A::SetMaxAum(x) => format!("set maximum AUM {}", ui(x)),
        A::StartEmergencyDeleverage => "start emergency deleverage".into(),
        A::SetRedemptionGrace(s) => format!("set redemption grace {}", show_duration(*s)),
    }
}

fn class_name(c: ChangeClass) -> &'static str {
    match c {
        ChangeClass::Protective => "protective",
        ChangeClass::Neutral => "neutral",
        ChangeClass::Adverse => "adverse",
    }
}

/// One proposal with what it waits for.
#[derive(Clone, Debug, Serialize)]
pub struct ProposalRow {
    pub index: u64,
    pub address: String,
    pub action: String,
    pub class: &'static str,
    /// Active, Approved, Rejected, Executed, Cancelled — or Stale / Expired when it can no
    /// longer take effect.
    pub status: String,
    pub approvals: usize,
    pub rejections: usize,
    pub threshold: u8,
    pub proposer: String,
    pub created_at: i64,
    /// When an approved proposal may be executed.
    pub executable_at: Option<i64>,
    /// The last moment it may still be voted on (active) or executed (approved).
    pub expires_at: i64,
}

fn row(
    v: &VaultView,
    g: &vault::state::Governance,
    p: &Proposal,
    address: Pubkey,
    now: i64,
) -> ProposalRow {
    let class = p.action.classify(&v.vault).unwrap_or(ChangeClass::Adverse);
    let window = execution_window(p, g, &v.vault).ok();
    let mut status = format!("{:?}", p.status);
    let expires_at = match p.status {
        ProposalStatus::Approved => window.map_or(0, |w| w.1),
        _ => p
            .created_at
            .saturating_add(g.proposal_lifetime_seconds as i64),
    };
    let open = matches!(p.status, ProposalStatus::Active | ProposalStatus::Approved);
    if open && g.is_stale(p.index) {
        status = "Stale".into();
    } else if (p.status == ProposalStatus::Active && voting_expired(p, g, now))
        || (p.status == ProposalStatus::Approved && now > expires_at)
    {
        status = "Expired".into();
    }
    ProposalRow {
        index: p.index,
        address: address.to_string(),
        action: describe(&p.action, v.decimals()),
        class: class_name(class),
        status,
        approvals: p.approvals.len(),
        rejections: p.rejections.len(),
        threshold: g.threshold,
        proposer: p.proposer.to_string(),
        created_at: p.created_at,
        executable_at: (p.status == ProposalStatus::Approved)
            .then(|| window.map(|w| w.0))
            .flatten(),
        expires_at,
    }
}

/// Every proposal still on chain, oldest first (closed ones have returned their rent and are
/// gone).
pub async fn list<C: Chain>(chain: &mut C, v: &VaultView) -> Result<Vec<ProposalRow>> {
    let g = load_governance(chain, v).await?;
    let now = chain.now().await?;
    let keys: Vec<Pubkey> = (1..=g.proposal_index)
        .map(|i| proposal_address(&v.vault.governance, i))
        .collect();
    // One batched read (getMultipleAccounts over RPC), not one call per proposal.
    let accounts = chain.accounts(&keys).await?;
    let mut out = Vec::new();
    for (k, a) in keys.into_iter().zip(accounts) {
        let Some(a) = a else { continue };
        let p: Proposal = super::decode(&k, &a, "proposal")?;
        out.push(row(v, &g, &p, k, now));
    }
    Ok(out)
}

pub fn render_list(rows: &[ProposalRow]) -> String {
    if rows.is_empty() {
        return "no proposals\n".into();
    }
    let t: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.index.to_string(),
                r.status.clone(),
                format!("{}/{}", r.approvals, r.threshold),
                r.class.to_string(),
                r.executable_at.map(utc).unwrap_or_else(|| "-".into()),
                r.action.clone(),
            ]
        })
        .collect();
    super::table(
        &["#", "status", "votes", "class", "executable at", "action"],
        &t,
    )
}

/// What a member's command did.
#[derive(Clone, Debug, Serialize)]
pub struct VoteReport {
    pub action: &'static str,
    pub signature: String,
    pub proposal: ProposalRow,
}

pub fn render_vote(r: &VoteReport) -> String {
    format!(
        "{} landed: {}\n{}",
        r.action,
        r.signature,
        render_list(std::slice::from_ref(&r.proposal))
    )
}

async fn proposal_row<C: Chain>(chain: &mut C, v: &VaultView, index: u64) -> Result<ProposalRow> {
    let v = super::load_vault(chain, &v.address).await?;
    let g = load_governance(chain, &v).await?;
    let now = chain.now().await?;
    let k = proposal_address(&v.vault.governance, index);
    let p: Proposal = read(chain, &k, "proposal")
        .await?
        .ok_or_else(|| anyhow!("there is no proposal {index} (it may have been closed)"))?;
    Ok(row(&v, &g, &p, k, now))
}

/// The delay `action` would wait after approval, judged against the vault as it is now.
pub async fn delay_of<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    action: &GovernanceAction,
) -> Result<(&'static str, u64)> {
    let g = load_governance(chain, v).await?;
    let class = action.classify(&v.vault).map_err(|e| anyhow!("{e}"))?;
    Ok((class_name(class), required_delay(class, &v.vault, &g)))
}

pub async fn propose<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    member: &Keypair,
    action: GovernanceAction,
) -> Result<VoteReport> {
    let g = load_governance(chain, v).await?;
    let index = g.proposal_index + 1;
    let ix = vault::client::propose(&v.keys, &member.pubkey(), index, action);
    let signature = submit(chain, member, &[], &[ix]).await?.to_string();
    Ok(VoteReport {
        action: "proposal",
        signature,
        proposal: proposal_row(chain, v, index).await?,
    })
}

/// What a guardian's action did.
#[derive(Clone, Debug, Serialize)]
pub struct GuardReport {
    pub action: String,
    pub signature: String,
}

/// A guardian's immediate action (pauses, tightening, removals, emergency deleverage).
pub async fn guard<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    guardian: &Keypair,
    action: GovernanceAction,
) -> Result<GuardReport> {
    let text = describe(&action, v.decimals());
    let ix = vault::client::guardian_act(&v.keys, &guardian.pubkey(), action);
    let signature = submit(chain, guardian, &[], &[ix]).await?.to_string();
    Ok(GuardReport {
        action: text,
        signature,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    Approve,
    Reject,
    Execute,
}

pub async fn vote<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    member: &Keypair,
    index: u64,
    vote: Vote,
) -> Result<VoteReport> {
    if index == 0 {
        bail!("proposals are numbered from 1");
    }
    let m = member.pubkey();
    let (ix, action) = match vote {
        Vote::Approve => (
            vault::client::approve_proposal(&v.keys, &m, index),
            "approval",
        ),
        Vote::Reject => (
            vault::client::reject_proposal(&v.keys, &m, index),
            "rejection",
        ),
        Vote::Execute => (
            vault::client::execute_proposal(&v.keys, &m, index),
            "execution",
        ),
    };
    let signature = submit(chain, member, &[], &[ix]).await?.to_string();
    Ok(VoteReport {
        action,
        signature,
        proposal: proposal_row(chain, v, index).await?,
    })
}
