//! Creating a vault from a TOML file, idempotently.
//!
//! The first run initializes the vault and files one proposal for every allowlist entry the
//! file names (adding a venue, pool or mint loosens the vault's limits, so the program makes
//! it wait the adverse delay like any other loosening; members approve these proposals as
//! usual). A later run with the same file finds the vault, checks that it matches the file,
//! finds the allowlist entries present or already proposed, and sends nothing.

use super::members::{describe, parse_key};
use super::submit::submit;
use super::{amount, load_governance, parse_duration, read, show_duration, VaultView};
use crate::chain::{self, Chain};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::path::Path;
use vault::client::{proposal_address, vault_address};
use vault::instructions::{GovernanceParams, InitializeVaultParams};
use vault::state::{
    Allowlist, GovernanceAction, InvestorTier, Member, Proposal, ProposalStatus, RiskLimits,
    VenueEntry, PERMISSION_EXECUTE, PERMISSION_PROPOSE, PERMISSION_VOTE,
};

/// A number, or a string for what a TOML number cannot say exactly ("12.5" tokens, "30d").
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Num {
    Int(u64),
    Text(String),
}

impl Num {
    fn amount(&self, decimals: u8, field: &str) -> Result<u64> {
        match self {
            Num::Int(n) => amount::parse_ui(&n.to_string(), decimals),
            Num::Text(t) if t == "max" => Ok(u64::MAX),
            Num::Text(t) => amount::parse_ui(t, decimals),
        }
        .with_context(|| format!("`{field}`"))
    }

    fn seconds(&self, field: &str) -> Result<u64> {
        match self {
            Num::Int(n) => Ok(*n),
            Num::Text(t) => parse_duration(t),
        }
        .with_context(|| format!("`{field}`"))
    }
}

/// A vault file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSpec {
    /// With the creator's key, fixes the vault's address: one creator may run several vaults.
    pub vault_id: u64,
    pub base_mint: String,
    pub keeper: String,
    pub fee_recipient: String,
    /// Base-token units the creator deposits for the vault's dead shares.
    pub seed_deposit: Num,
    pub lockup: Num,
    pub notice: Num,
    pub crystallization_period: Num,
    pub redemption_grace: Num,
    pub min_deposit: Num,
    /// "max" for no cap.
    pub max_aum: Num,
    pub governance: GovernanceSpec,
    /// Default: the seed tiers scaled to the mint's decimals.
    pub tiers: Option<Vec<TierSpec>>,
    /// Default: the seed limits; fields left out keep their seed value.
    pub risk: Option<RiskSpec>,
    #[serde(default)]
    pub allow: AllowSpec,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSpec {
    pub threshold: u8,
    pub timelock: Num,
    pub proposal_lifetime: Num,
    pub members: Vec<MemberSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberSpec {
    pub key: String,
    /// Any of "propose", "vote", "execute"; default all three.
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub guardian: bool,
}

impl MemberSpec {
    pub fn to_member(&self) -> Result<Member> {
        let mut permissions = 0u8;
        for p in self
            .permissions
            .clone()
            .unwrap_or_else(|| vec!["propose".into(), "vote".into(), "execute".into()])
        {
            permissions |= match p.as_str() {
                "propose" => PERMISSION_PROPOSE,
                "vote" => PERMISSION_VOTE,
                "execute" => PERMISSION_EXECUTE,
                other => bail!(
                    "member {}: unknown permission {other:?} (propose, vote or execute)",
                    self.key
                ),
            };
        }
        Ok(Member {
            key: parse_key(&self.key, "member")?,
            permissions,
            guardian: self.guardian,
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    pub min_deposit: Num,
    /// "max" for the last tier.
    pub max_deposit: Num,
    pub management_fee_bps: u16,
    pub performance_fee_bps: u16,
}

impl TierSpec {
    pub fn to_tier(&self, decimals: u8) -> Result<InvestorTier> {
        Ok(InvestorTier {
            min_deposit: self.min_deposit.amount(decimals, "tiers.min_deposit")?,
            max_deposit: self.max_deposit.amount(decimals, "tiers.max_deposit")?,
            management_fee_bps: self.management_fee_bps,
            performance_fee_bps: self.performance_fee_bps,
        })
    }
}

/// Risk limits, each optional; amounts in base-token units. The AUM bands keep their values.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSpec {
    pub max_buy_per_trade: Option<Num>,
    pub max_open_positions: Option<u16>,
    pub max_total_exposure: Option<Num>,
    pub max_exposure_per_token: Option<Num>,
    pub min_safety_score: Option<u8>,
    pub daily_loss_limit_bps: Option<u16>,
    pub max_drawdown_bps: Option<u16>,
    pub min_health_factor_bps: Option<u16>,
    pub max_mark_age_seconds: Option<u32>,
    pub reduce_only: Option<bool>,
}

impl RiskSpec {
    /// `base` with the fields this spec names replaced.
    pub fn apply(&self, mut base: RiskLimits, decimals: u8) -> Result<RiskLimits> {
        let amt = |n: &Option<Num>, f: &str, cur: u64| -> Result<u64> {
            n.as_ref().map_or(Ok(cur), |n| n.amount(decimals, f))
        };
        base.max_buy_per_trade = amt(
            &self.max_buy_per_trade,
            "risk.max_buy_per_trade",
            base.max_buy_per_trade,
        )?;
        base.max_total_exposure = amt(
            &self.max_total_exposure,
            "risk.max_total_exposure",
            base.max_total_exposure,
        )?;
        base.max_exposure_per_token = amt(
            &self.max_exposure_per_token,
            "risk.max_exposure_per_token",
            base.max_exposure_per_token,
        )?;
        base.max_open_positions = self.max_open_positions.unwrap_or(base.max_open_positions);
        base.min_safety_score = self.min_safety_score.unwrap_or(base.min_safety_score);
        base.daily_loss_limit_bps = self
            .daily_loss_limit_bps
            .unwrap_or(base.daily_loss_limit_bps);
        base.max_drawdown_bps = self.max_drawdown_bps.unwrap_or(base.max_drawdown_bps);
        base.min_health_factor_bps = self
            .min_health_factor_bps
            .unwrap_or(base.min_health_factor_bps);
        base.max_mark_age_seconds = self
            .max_mark_age_seconds
            .unwrap_or(base.max_mark_age_seconds);
        base.reduce_only = self.reduce_only.unwrap_or(base.reduce_only);
        Ok(base)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSpec {
    #[serde(default)]
    pub venues: Vec<VenueSpec>,
    #[serde(default)]
    pub pools: Vec<String>,
    #[serde(default)]
    pub mints: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueSpec {
    pub program: String,
    #[serde(default)]
    pub any_pool: bool,
    #[serde(default)]
    pub any_mint: bool,
}

impl VaultSpec {
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn base_mint(&self) -> Result<Pubkey> {
        parse_key(&self.base_mint, "base_mint")
    }

    /// The initialization parameters for a base mint of `decimals`.
    pub fn params(&self, decimals: u8) -> Result<InitializeVaultParams> {
        let tiers = match &self.tiers {
            Some(t) => Some(
                t.iter()
                    .map(|t| t.to_tier(decimals))
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        let risk_limits = match &self.risk {
            Some(r) => Some(r.apply(
                RiskLimits::seed_default(decimals).map_err(|e| anyhow!("{e}"))?,
                decimals,
            )?),
            None => None,
        };
        Ok(InitializeVaultParams {
            vault_id: self.vault_id,
            governance: GovernanceParams {
                members: self
                    .governance
                    .members
                    .iter()
                    .map(MemberSpec::to_member)
                    .collect::<Result<_>>()?,
                threshold: self.governance.threshold,
                timelock_seconds: self.governance.timelock.seconds("governance.timelock")?,
                proposal_lifetime_seconds: self
                    .governance
                    .proposal_lifetime
                    .seconds("governance.proposal_lifetime")?,
            },
            keeper: parse_key(&self.keeper, "keeper")?,
            fee_recipient: parse_key(&self.fee_recipient, "fee_recipient")?,
            seed_assets: self.seed_deposit.amount(decimals, "seed_deposit")?,
            lockup_seconds: self.lockup.seconds("lockup")?,
            notice_seconds: self.notice.seconds("notice")?,
            crystallization_period_seconds: self
                .crystallization_period
                .seconds("crystallization_period")?,
            redemption_grace_seconds: self.redemption_grace.seconds("redemption_grace")?,
            min_deposit: self.min_deposit.amount(decimals, "min_deposit")?,
            max_aum: self.max_aum.amount(decimals, "max_aum")?,
            tiers,
            risk_limits,
        })
    }

    /// The allowlist additions the file asks for, in file order.
    pub fn allow_actions(&self) -> Result<Vec<GovernanceAction>> {
        let mut out = Vec::new();
        for v in &self.allow.venues {
            out.push(GovernanceAction::AllowVenue(VenueEntry {
                program: parse_key(&v.program, "allow.venues.program")?,
                any_pool: v.any_pool,
                any_mint: v.any_mint,
            }));
        }
        for p in &self.allow.pools {
            out.push(GovernanceAction::AllowPool(parse_key(p, "allow.pools")?));
        }
        for m in &self.allow.mints {
            out.push(GovernanceAction::AllowMint(parse_key(m, "allow.mints")?));
        }
        Ok(out)
    }
}

/// What happened to one allowlist entry.
#[derive(Clone, Debug, Serialize)]
pub struct AllowOutcome {
    pub action: String,
    /// "allowed" (already in the allowlist), "pending" (an open proposal carries it),
    /// "proposed" (filed by this run) or "needs a member" (the creator may not propose).
    pub state: &'static str,
    pub proposal: Option<u64>,
    pub proposal_address: Option<String>,
}

/// What a migration did and every address involved.
#[derive(Clone, Debug, Serialize)]
pub struct MigrationReport {
    pub vault: String,
    pub created: bool,
    pub signature: Option<String>,
    pub governance: String,
    pub allowlist: String,
    pub vault_token_account: String,
    pub base_mint: String,
    pub allowlist_entries: Vec<AllowOutcome>,
}

pub fn render(r: &MigrationReport) -> String {
    let mut s = String::new();
    s.push_str(if r.created {
        "vault created\n"
    } else {
        "vault exists and matches the file; nothing to create\n"
    });
    let mut rows = vec![
        vec!["vault".into(), r.vault.clone()],
        vec!["governance".into(), r.governance.clone()],
        vec!["allowlist".into(), r.allowlist.clone()],
        vec!["vault token account".into(), r.vault_token_account.clone()],
        vec!["base mint".into(), r.base_mint.clone()],
    ];
    if let Some(sig) = &r.signature {
        rows.push(vec!["signature".into(), sig.clone()]);
    }
    s.push_str(&super::table(&["", ""], &rows));
    if !r.allowlist_entries.is_empty() {
        s.push('\n');
        let rows: Vec<Vec<String>> = r
            .allowlist_entries
            .iter()
            .map(|a| {
                vec![
                    a.state.to_string(),
                    a.proposal.map(|p| p.to_string()).unwrap_or_default(),
                    a.proposal_address.clone().unwrap_or_default(),
                    a.action.clone(),
                ]
            })
            .collect();
        s.push_str(&super::table(
            &["allowlist", "#", "proposal", "entry"],
            &rows,
        ));
        if r.allowlist_entries.iter().any(|a| a.state == "proposed") {
            s.push_str(
                "members approve the proposals with `keeper gov approve N`; additions wait the \
                 adverse delay before `keeper gov execute N`\n",
            );
        }
    }
    s
}

/// Differences between an existing vault and the file, one line each.
fn differences(
    v: &VaultView,
    p: &InitializeVaultParams,
    g: &vault::state::Governance,
) -> Vec<String> {
    let c = &v.vault.config;
    let mut d = Vec::new();
    let mut cmp = |name: &str, chain: String, file: String| {
        if chain != file {
            d.push(format!(
                "{name}: the vault has {chain}, the file says {file}"
            ));
        }
    };
    cmp("keeper", c.keeper.to_string(), p.keeper.to_string());
    cmp(
        "fee_recipient",
        c.fee_recipient.to_string(),
        p.fee_recipient.to_string(),
    );
    let dur = |s: u64| show_duration(s);
    cmp("lockup", dur(c.lockup_seconds), dur(p.lockup_seconds));
    cmp("notice", dur(c.notice_seconds), dur(p.notice_seconds));
    cmp(
        "crystallization_period",
        dur(c.crystallization_period_seconds),
        dur(p.crystallization_period_seconds),
    );
    cmp(
        "redemption_grace",
        dur(c.redemption_grace_seconds),
        dur(p.redemption_grace_seconds),
    );
    cmp("min_deposit", v.ui(c.min_deposit), v.ui(p.min_deposit));
    cmp("max_aum", v.ui(c.max_aum), v.ui(p.max_aum));
    if let Some(t) = &p.tiers {
        cmp("tiers", format!("{:?}", c.tiers), format!("{t:?}"));
    }
    if let Some(r) = &p.risk_limits {
        cmp("risk", format!("{:?}", v.vault.risk), format!("{r:?}"));
    }
    cmp(
        "governance.members",
        format!("{:?}", g.members),
        format!("{:?}", p.governance.members),
    );
    cmp(
        "governance.threshold",
        g.threshold.to_string(),
        p.governance.threshold.to_string(),
    );
    cmp(
        "governance.timelock",
        dur(g.timelock_seconds),
        dur(p.governance.timelock_seconds),
    );
    cmp(
        "governance.proposal_lifetime",
        dur(g.proposal_lifetime_seconds),
        dur(p.governance.proposal_lifetime_seconds),
    );
    d
}

/// Creates the vault `spec` describes with `creator` as creator and payer, or checks that it
/// exists as described; then makes sure every allowlist entry is allowed or proposed.
pub async fn migrate<C: Chain>(
    chain: &mut C,
    creator: &Keypair,
    spec: &VaultSpec,
) -> Result<MigrationReport> {
    let base_mint = spec.base_mint()?;
    let mint = chain::account(chain, &base_mint)
        .await?
        .ok_or_else(|| anyhow!("base_mint {base_mint} does not exist on this cluster"))?;
    if mint.owner != spl_token_interface::ID && mint.owner != spl_token_2022_interface::ID {
        bail!(
            "base_mint {base_mint} is not a token mint (owned by {})",
            mint.owner
        );
    }
    // Decimals sit at the same offset in both token programs' mint layouts.
    let decimals = *mint
        .data
        .get(44)
        .ok_or_else(|| anyhow!("base_mint {base_mint} is not a token mint"))?;
    let params = spec.params(decimals)?;
    let allow = spec.allow_actions()?;
    let address = vault_address(&creator.pubkey(), spec.vault_id).0;

    let existing = read::<C, vault::state::Vault>(chain, &address, "vault").await?;
    let (created, signature) = match existing {
        Some(_) => {
            let v = super::load_vault(chain, &address).await?;
            if v.vault.base_mint != base_mint {
                bail!(
                    "vault {address} (vault_id {}) already exists with base mint {}, not {base_mint}",
                    spec.vault_id,
                    v.vault.base_mint
                );
            }
            let g = load_governance(chain, &v).await?;
            let diff = differences(&v, &params, &g);
            if !diff.is_empty() {
                bail!(
                    "vault {address} already exists and differs from the file:\n  {}\nchange a \
                     live vault through governance proposals (`keeper gov propose`), or pick \
                     another vault_id for a new vault",
                    diff.join("\n  ")
                );
            }
            (false, None)
        }
        None => {
            let creator_account = spl_associated_token_account_interface::address::get_associated_token_address_with_program_id(
                &creator.pubkey(),
                &base_mint,
                &mint.owner,
            );
            let have = super::token_balance(chain, &creator_account).await?;
            if have < params.seed_assets {
                bail!(
                    "the creator's token account {creator_account} holds {}, less than the \
                     seed_deposit of {}",
                    amount::format_ui(have, decimals),
                    amount::format_ui(params.seed_assets, decimals)
                );
            }
            let ix = vault::client::initialize_vault(
                &creator.pubkey(),
                &base_mint,
                &mint.owner,
                &creator_account,
                params.clone(),
            );
            let sig = submit(chain, creator, &[], &[ix]).await?;
            (true, Some(sig.to_string()))
        }
    };

    let v = super::load_vault(chain, &address).await?;
    let g = load_governance(chain, &v).await?;
    let allowlist: Allowlist = read(chain, &v.keys.allowlist(), "allowlist")
        .await?
        .ok_or_else(|| anyhow!("the vault's allowlist is missing"))?;
    // Open proposals that already carry an addition.
    let now = chain.now().await?;
    let mut pending: Vec<(u64, GovernanceAction)> = Vec::new();
    for i in (g.stale_index + 1)..=g.proposal_index {
        let k = proposal_address(&v.vault.governance, i);
        if let Some(p) = read::<C, Proposal>(chain, &k, "proposal").await? {
            let open = matches!(p.status, ProposalStatus::Active | ProposalStatus::Approved);
            let alive = match p.status {
                ProposalStatus::Active => !vault::instructions::voting_expired(&p, &g, now),
                _ => vault::instructions::execution_window(&p, &g, &v.vault)
                    .map(|w| now <= w.1)
                    .unwrap_or(false),
            };
            if open && alive {
                pending.push((i, p.action));
            }
        }
    }
    let can_propose = g
        .member(&creator.pubkey())
        .is_some_and(|m| m.can(PERMISSION_PROPOSE));
    let mut entries = Vec::new();
    for action in allow {
        let present = match &action {
            GovernanceAction::AllowVenue(e) => allowlist.venue(&e.program) == Some(e),
            GovernanceAction::AllowPool(k) => allowlist.pools.contains(k),
            GovernanceAction::AllowMint(k) => allowlist.mints.contains(k),
            _ => false,
        };
        let text = describe(&action, decimals);
        let outcome = if present {
            AllowOutcome {
                action: text,
                state: "allowed",
                proposal: None,
                proposal_address: None,
            }
        } else if let Some((i, _)) = pending.iter().find(|(_, a)| *a == action) {
            AllowOutcome {
                action: text,
                state: "pending",
                proposal: Some(*i),
                proposal_address: Some(proposal_address(&v.vault.governance, *i).to_string()),
            }
        } else if can_propose {
            let index = load_governance(chain, &v).await?.proposal_index + 1;
            let ix = vault::client::propose(&v.keys, &creator.pubkey(), index, action.clone());
            submit(chain, creator, &[], &[ix])
                .await
                .with_context(|| format!("proposing: {text}"))?;
            pending.push((index, action));
            AllowOutcome {
                action: text,
                state: "proposed",
                proposal: Some(index),
                proposal_address: Some(proposal_address(&v.vault.governance, index).to_string()),
            }
        } else {
            AllowOutcome {
                action: text,
                state: "needs a member",
                proposal: None,
                proposal_address: None,
            }
        };
        entries.push(outcome);
    }
    Ok(MigrationReport {
        vault: address.to_string(),
        created,
        signature,
        governance: v.vault.governance.to_string(),
        allowlist: v.keys.allowlist().to_string(),
        vault_token_account: v.keys.token_account.to_string(),
        base_mint: base_mint.to_string(),
        allowlist_entries: entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
vault_id = 7
base_mint = "So11111111111111111111111111111111111111112"
keeper = "11111111111111111111111111111111"
fee_recipient = "11111111111111111111111111111111"
seed_deposit = "0.001"
lockup = "30d"
notice = 604800
crystallization_period = "90d"
redemption_grace = "12h"
min_deposit = 10
max_aum = "max"
[governance]
threshold = 1
timelock = "1h"
proposal_lifetime = "7d"
[[governance.members]]
key = "11111111111111111111111111111111"
permissions = ["propose", "execute"]
guardian = true
[risk]
max_buy_per_trade = "2.5"
[[allow.venues]]
program = "11111111111111111111111111111111"
any_pool = true
"#;

    #[test]
    fn a_vault_file_becomes_exact_parameters() {
        let spec: VaultSpec = toml::from_str(FILE).unwrap();
        let p = spec.params(9).unwrap();
        assert_eq!(p.vault_id, 7);
        assert_eq!(p.seed_assets, 1_000_000);
        assert_eq!(p.lockup_seconds, 30 * 86_400);
        assert_eq!(p.notice_seconds, 604_800);
        assert_eq!(p.redemption_grace_seconds, 43_200);
        assert_eq!(p.min_deposit, 10_000_000_000);
        assert_eq!(p.max_aum, u64::MAX);
        assert_eq!(p.governance.timelock_seconds, 3_600);
        let m = &p.governance.members[0];
        assert_eq!(m.permissions, PERMISSION_PROPOSE | PERMISSION_EXECUTE);
        assert!(m.guardian);
        let risk = p.risk_limits.unwrap();
        assert_eq!(risk.max_buy_per_trade, 2_500_000_000);
        // Fields the file leaves out keep the seed defaults.
        let seed = RiskLimits::seed_default(9).unwrap();
        assert_eq!(risk.max_open_positions, seed.max_open_positions);
        assert_eq!(risk.bands, seed.bands);
        assert!(p.tiers.is_none());
        let allow = spec.allow_actions().unwrap();
        assert_eq!(
            allow,
            [GovernanceAction::AllowVenue(VenueEntry {
                program: Pubkey::default(),
                any_pool: true,
                any_mint: false
            })]
        );
    }

    #[test]
    fn the_documented_example_parses_and_asks_for_real_addresses() {
        let text = include_str!("../../../migrations/vault.example.toml");
        let spec: VaultSpec = toml::from_str(text).unwrap();
        assert_eq!(spec.allow.venues.len(), 1);
        assert_eq!(spec.tiers.as_ref().map(Vec::len), Some(2));
        let e = format!("{:#}", spec.params(6).unwrap_err());
        assert!(e.contains("REPLACE_WITH"), "{e}");
    }

    #[test]
    fn mistakes_in_a_vault_file_are_named() {
        let err = |from: &str, to: &str| -> String {
            let text = FILE.replace(from, to);
            match toml::from_str::<VaultSpec>(&text) {
                Err(e) => e.to_string(),
                Ok(spec) => format!("{:#}", spec.params(6).unwrap_err()),
            }
        };
        assert!(
            err("vault_id = 7", "vault_id = 7\nvaultid = 1").contains("unknown field `vaultid`")
        );
        assert!(err("\"execute\"]", "\"admin\"]").contains("unknown permission \"admin\""));
        assert!(
            err("seed_deposit = \"0.001\"", "seed_deposit = \"0.0000001\"")
                .contains("`seed_deposit`")
        );
        assert!(err("lockup = \"30d\"", "lockup = \"a month\"").contains("`lockup`"));
        assert!(err(
            "keeper = \"11111111111111111111111111111111\"",
            "keeper = \"nope\""
        )
        .contains("keeper \"nope\" is not a base58 address"));
    }
}
