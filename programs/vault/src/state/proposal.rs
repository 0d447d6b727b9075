//! Proposals and the typed actions they carry: how each action is classified (protective,
//! neutral or adverse to investors), how long it must wait, and how it is applied.

use super::{
    Allowlist, BreakerState, Governance, InvestorTier, KeyList, Member, RiskLimits, Vault,
    VaultConfig, VenueEntry,
};
use crate::constants::*;
use crate::error::VaultError;
use anchor_lang::prelude::*;

/// A fee-rate pair for one investor tier.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeRates {
    pub management_fee_bps: u16,
    pub performance_fee_bps: u16,
}

/// Every privileged change a vault knows. Typed rather than arbitrary CPI: each one can be read
/// and audited on its own.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum GovernanceAction {
    SetRiskLimits(RiskLimits),
    /// New rates for each tier, in tier order; boundaries unchanged.
    SetFeeRates(Vec<FeeRates>),
    SetInvestorTiers(Vec<InvestorTier>),
    SetKeeper(Pubkey),
    SetFeeRecipient(Pubkey),
    AllowVenue(VenueEntry),
    DisallowVenue(Pubkey),
    AllowPool(Pubkey),
    DisallowPool(Pubkey),
    AllowMint(Pubkey),
    DisallowMint(Pubkey),
    SetMembers(Vec<Member>),
    SetThreshold(u8),
    SetTimelock(u64),
    SetProposalLifetime(u64),
    PauseTrading,
    ResumeTrading,
    PauseDeposits,
    ResumeDeposits,
    ResetCircuitBreaker,
    SetLockup(u64),
    SetNotice(u64),
    SetCrystallizationPeriod(u64),
    SetMinDeposit(u64),
    SetMaxAum(u64),
    StartEmergencyDeleverage,
    SetRedemptionGrace(u64),
}

/// How an action affects investors, which decides how long it waits after approval.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeClass {
    /// Lower fees, tighter limits, pauses, removals, shorter lock-up: executable at once.
    Protective,
    /// Neither: waits the governance timelock.
    Neutral,
    /// Higher fees, looser limits, additions, longer lock-up or notice: waits at least
    /// max(timelock, 7 days, 2 x notice period) so investors can leave first.
    Adverse,
}

/// Lifecycle of a proposal.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProposalStatus {
    Active,
    Approved,
    Rejected,
    Executed,
    Cancelled,
}

/// One proposal: an action and the votes on it.
#[account]
#[derive(Debug)]
pub struct Proposal {
    pub version: u8,
    pub bump: u8,
    pub governance: Pubkey,
    /// 1-based position in the governance's sequence.
    pub index: u64,
    pub proposer: Pubkey,
    pub status: ProposalStatus,
    pub created_at: i64,
    pub approved_at: i64,
    pub executed_at: i64,
    pub approvals: Vec<Pubkey>,
    pub rejections: Vec<Pubkey>,
    pub cancellations: Vec<Pubkey>,
    pub action: GovernanceAction,
}

impl Proposal {
    /// Account size for a proposal carrying `action` (vote lists sized for every member).
    pub fn space(action: &GovernanceAction) -> usize {
        let votes = 3 * (4 + 32 * MAX_MEMBERS);
        let mut buf = Vec::new();
        let action_len = match action.serialize(&mut buf) {
            Ok(()) => buf.len(),
            Err(_) => 1024,
        };
        8 + 1 + 1 + 32 + 8 + 32 + 1 + 8 * 3 + votes + action_len
    }

    pub fn has_voted(&self, key: &Pubkey) -> bool {
        self.approvals.contains(key) || self.rejections.contains(key)
    }
}

/// Snapshot of what an action changed, for events (`before` and `after`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum ActionSnapshot {
    Config(VaultConfig),
    Risk(RiskLimits),
    /// Whether the entry was on the allowlist.
    Listed(bool),
    Governance {
        members: Vec<Member>,
        threshold: u8,
        timelock_seconds: u64,
        proposal_lifetime_seconds: u64,
        stale_index: u64,
    },
    Breaker(BreakerState),
    EmergencyDeleverage(bool),
}

/// The accounts an action may change.
pub struct ActionTargets<'a> {
    pub vault: &'a mut Vault,
    pub governance: &'a mut Governance,
    pub allowlist: &'a mut Allowlist,
}

/// Fee rates of the tier that applies at `net`.
fn rates_at(tiers: &[InvestorTier], net: u64) -> (u16, u16) {
    let mut chosen = tiers[0];
    for t in tiers {
        if net >= t.min_deposit {
            chosen = *t;
        }
    }
    (chosen.management_fee_bps, chosen.performance_fee_bps)
}

/// Whether no investor, at any size, pays more under `new` than under `old`.
fn tiers_no_costlier(old: &[InvestorTier], new: &[InvestorTier]) -> bool {
    if old.is_empty() || new.is_empty() {
        return false;
    }
    old.iter()
        .chain(new.iter())
        .map(|t| t.min_deposit)
        .chain(std::iter::once(0))
        .all(|net| {
            let (om, op) = rates_at(old, net);
            let (nm, np) = rates_at(new, net);
            nm <= om && np <= op
        })
}

fn tiers_with_rates(tiers: &[InvestorTier], rates: &[FeeRates]) -> Result<Vec<InvestorTier>> {
    require!(rates.len() == tiers.len(), VaultError::FeeRatesMismatch);
    Ok(tiers
        .iter()
        .zip(rates)
        .map(|(t, r)| InvestorTier {
            management_fee_bps: r.management_fee_bps,
            performance_fee_bps: r.performance_fee_bps,
            ..*t
        })
        .collect())
}

impl GovernanceAction {
    /// Classifies the action against the vault as it is now.
    pub fn classify(&self, vault: &Vault) -> Result<ChangeClass> {
        use ChangeClass::*;
        use GovernanceAction::*;
        let c = &vault.config;
        let protective_if = |p: bool| if p { Protective } else { Adverse };
        Ok(match self {
            SetRiskLimits(new) => protective_if(new.is_no_looser_than(&vault.risk)),
            SetFeeRates(rates) => protective_if(tiers_no_costlier(
                &c.tiers,
                &tiers_with_rates(&c.tiers, rates)?,
            )),
            SetInvestorTiers(t) => protective_if(tiers_no_costlier(&c.tiers, t)),
            SetKeeper(_) | SetFeeRecipient(_) => Neutral,
            AllowVenue(_) | AllowPool(_) | AllowMint(_) => Adverse,
            DisallowVenue(_) | DisallowPool(_) | DisallowMint(_) => Protective,
            SetMembers(_) | SetThreshold(_) | SetTimelock(_) | SetProposalLifetime(_) => Neutral,
            PauseTrading | PauseDeposits | StartEmergencyDeleverage => Protective,
            ResumeTrading | ResumeDeposits | ResetCircuitBreaker => Neutral,
            SetLockup(v) => protective_if(*v <= c.lockup_seconds),
            SetNotice(v) => protective_if(*v <= c.notice_seconds),
            // Crystallizing more often lets fees catch price peaks: shorter is adverse.
            SetCrystallizationPeriod(v) => protective_if(*v >= c.crystallization_period_seconds),
            SetMinDeposit(_) => Neutral,
            // A shorter grace gets overdue redemptions paid sooner.
            SetRedemptionGrace(v) => protective_if(*v <= c.redemption_grace_seconds),
            SetMaxAum(v) => {
                if *v <= c.max_aum {
                    Protective
                } else {
                    Neutral
                }
            }
        })
    }

    /// Whether a guardian may take this action alone: pauses, removals, tightened limits and
    /// emergency deleverage — and only when it is in fact protective.
    pub fn guardian_may(&self, vault: &Vault) -> Result<bool> {
        use GovernanceAction::*;
        let kind_ok = matches!(
            self,
            PauseTrading
                | PauseDeposits
                | SetRiskLimits(_)
                | DisallowVenue(_)
                | DisallowPool(_)
                | DisallowMint(_)
                | StartEmergencyDeleverage
        );
        Ok(kind_ok && self.classify(vault)? == ChangeClass::Protective)
    }

    /// Whether executing the action makes older pending proposals stale.
    pub fn invalidates_pending(&self) -> bool {
        matches!(
            self,
            GovernanceAction::SetMembers(_)
                | GovernanceAction::SetThreshold(_)
                | GovernanceAction::SetTimelock(_)
        )
    }
}

/// Seconds an action of `class` must wait after approval.
pub fn required_delay(class: ChangeClass, vault: &Vault, governance: &Governance) -> u64 {
    match class {
        ChangeClass::Protective => 0,
        ChangeClass::Neutral => governance.timelock_seconds,
        ChangeClass::Adverse => governance
            .timelock_seconds
            .max(MIN_ADVERSE_DELAY_SECONDS)
            .max(vault.config.notice_seconds.saturating_mul(2)),
    }
}

fn governance_snapshot(g: &Governance) -> ActionSnapshot {
    ActionSnapshot::Governance {
        members: g.members.clone(),
        threshold: g.threshold,
        timelock_seconds: g.timelock_seconds,
        proposal_lifetime_seconds: g.proposal_lifetime_seconds,
        stale_index: g.stale_index,
    }
}

/// Applies `action` and checks every invariant it could break. Returns `(before, after)`.
/// On error nothing has been changed.
pub fn apply_action(
    t: &mut ActionTargets,
    action: &GovernanceAction,
    now: i64,
) -> Result<(ActionSnapshot, ActionSnapshot)> {
    use GovernanceAction::*;
    let config_change = |t: &mut ActionTargets,
                         edit: &dyn Fn(&mut VaultConfig) -> Result<()>|
     -> Result<(ActionSnapshot, ActionSnapshot)> {
        let before = t.vault.config.clone();
        let mut after = before.clone();
        edit(&mut after)?;
        require!(after != before, VaultError::NoChange);
        after.validate()?;
        t.vault.config = after.clone();
        Ok((
            ActionSnapshot::Config(before),
            ActionSnapshot::Config(after),
        ))
    };
    let listed = |was: bool| (ActionSnapshot::Listed(was), ActionSnapshot::Listed(!was));
    t.vault.require_not_in_flight()?;

    let result = match action {
        SetRiskLimits(new) => {
            new.validate()?;
            let before = t.vault.risk;
            require!(*new != before, VaultError::NoChange);
            t.vault.risk = *new;
            (ActionSnapshot::Risk(before), ActionSnapshot::Risk(*new))
        }
        SetFeeRates(rates) => {
            let tiers = tiers_with_rates(&t.vault.config.tiers, rates)?;
            config_change(t, &|c| {
                c.tiers = tiers.clone();
                Ok(())
            })?
        }
        SetInvestorTiers(tiers) => config_change(t, &|c| {
            c.tiers = tiers.clone();
            Ok(())
        })?,
        SetKeeper(k) => config_change(t, &|c| {
            c.keeper = *k;
            Ok(())
        })?,
        SetFeeRecipient(r) => config_change(t, &|c| {
            c.fee_recipient = *r;
            Ok(())
        })?,
        AllowVenue(entry) => {
            t.allowlist.add_venue(*entry)?;
            listed(false)
        }
        DisallowVenue(p) => {
            t.allowlist.remove_venue(p)?;
            listed(true)
        }
        AllowPool(k) => {
            t.allowlist.add(KeyList::Pool, *k)?;
            listed(false)
        }
        DisallowPool(k) => {
            t.allowlist.remove(KeyList::Pool, k)?;
            listed(true)
        }
        AllowMint(k) => {
            t.allowlist.add(KeyList::Mint, *k)?;
            listed(false)
        }
        DisallowMint(k) => {
            t.allowlist.remove(KeyList::Mint, k)?;
            listed(true)
        }
        SetMembers(_) | SetThreshold(_) | SetTimelock(_) | SetProposalLifetime(_) => {
            let before = governance_snapshot(t.governance);
            let mut g = t.governance.clone();
            match action {
                SetMembers(m) => g.members = m.clone(),
                SetThreshold(n) => g.threshold = *n,
                SetTimelock(s) => g.timelock_seconds = *s,
                SetProposalLifetime(s) => g.proposal_lifetime_seconds = *s,
                _ => return err!(VaultError::NoChange),
            }
            if action.invalidates_pending() {
                g.stale_index = g.proposal_index;
            }
            g.invariant()?;
            let after = governance_snapshot(&g);
            let o = &*t.governance;
            require!(
                g.members != o.members
                    || g.threshold != o.threshold
                    || g.timelock_seconds != o.timelock_seconds
                    || g.proposal_lifetime_seconds != o.proposal_lifetime_seconds,
                VaultError::NoChange
            );
            *t.governance = g;
            (before, after)
        }
        PauseTrading => config_change(t, &|c| {
            c.trading_paused = true;
            Ok(())
        })?,
        ResumeTrading => config_change(t, &|c| {
            c.trading_paused = false;
            Ok(())
        })?,
        PauseDeposits => config_change(t, &|c| {
            c.deposits_paused = true;
            Ok(())
        })?,
        ResumeDeposits => config_change(t, &|c| {
            c.deposits_paused = false;
            Ok(())
        })?,
        ResetCircuitBreaker => {
            let before = t.vault.breaker;
            require!(before.tripped, VaultError::NoChange);
            t.vault.breaker = BreakerState::fresh(t.vault.scaled_prices().0, now);
            (
                ActionSnapshot::Breaker(before),
                ActionSnapshot::Breaker(t.vault.breaker),
            )
        }
        SetLockup(v) => config_change(t, &|c| {
            c.lockup_seconds = *v;
            Ok(())
        })?,
        SetNotice(v) => config_change(t, &|c| {
            c.notice_seconds = *v;
            Ok(())
        })?,
        SetCrystallizationPeriod(v) => config_change(t, &|c| {
            c.crystallization_period_seconds = *v;
            Ok(())
        })?,
        SetMinDeposit(v) => config_change(t, &|c| {
            c.min_deposit = *v;
            Ok(())
        })?,
        SetMaxAum(v) => config_change(t, &|c| {
            c.max_aum = *v;
            Ok(())
        })?,
        SetRedemptionGrace(v) => config_change(t, &|c| {
            c.redemption_grace_seconds = *v;
            Ok(())
        })?,
        StartEmergencyDeleverage => {
            require!(!t.vault.emergency_deleverage, VaultError::NoChange);
            t.vault.emergency_deleverage = true;
            (
                ActionSnapshot::EmergencyDeleverage(false),
                ActionSnapshot::EmergencyDeleverage(true),
            )
        }
    };
    t.vault.invariant()?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ledger_props::vault;
    use crate::state::{PERMISSION_ALL, PERMISSION_VOTE};

    fn governance() -> Governance {
        Governance {
            version: 1,
            bump: 0,
            vault: Pubkey::new_unique(),
            members: vec![
                Member {
                    key: Pubkey::new_unique(),
                    permissions: PERMISSION_ALL,
                    guardian: false,
                },
                Member {
                    key: Pubkey::new_unique(),
                    permissions: PERMISSION_VOTE,
                    guardian: true,
                },
            ],
            threshold: 2,
            timelock_seconds: 3_600,
            proposal_lifetime_seconds: 7 * 86_400,
            proposal_index: 5,
            stale_index: 0,
        }
    }

    fn allowlist() -> Allowlist {
        Allowlist {
            version: 1,
            bump: 0,
            vault: Pubkey::new_unique(),
            venues: vec![],
            pools: vec![],
            mints: vec![],
        }
    }

    #[test]
    fn classification_follows_the_investor() {
        use ChangeClass::*;
        use GovernanceAction::*;
        let v = vault(200, 2_000);
        let rates = |m, p| {
            vec![
                FeeRates {
                    management_fee_bps: m,
                    performance_fee_bps: p
                };
                2
            ]
        };
        // The test vault's tiers are 200/2000 then 100/1000.
        let lower = vec![
            FeeRates {
                management_fee_bps: 150,
                performance_fee_bps: 2_000,
            },
            FeeRates {
                management_fee_bps: 100,
                performance_fee_bps: 1_000,
            },
        ];
        assert_eq!(SetFeeRates(lower).classify(&v).unwrap(), Protective);
        assert_eq!(
            SetFeeRates(rates(200, 2_001)).classify(&v).unwrap(),
            Adverse
        );
        assert!(SetFeeRates(rates(1, 1)[..1].to_vec()).classify(&v).is_err());
        let mut tighter = v.risk;
        tighter.max_buy_per_trade -= 1;
        assert_eq!(SetRiskLimits(tighter).classify(&v).unwrap(), Protective);
        let mut looser = v.risk;
        looser.max_open_positions += 1;
        assert_eq!(SetRiskLimits(looser).classify(&v).unwrap(), Adverse);
        assert_eq!(
            SetLockup(v.config.lockup_seconds + 1).classify(&v).unwrap(),
            Adverse
        );
        assert_eq!(
            SetLockup(v.config.lockup_seconds - 1).classify(&v).unwrap(),
            Protective
        );
        assert_eq!(
            SetNotice(v.config.notice_seconds + 1).classify(&v).unwrap(),
            Adverse
        );
        assert_eq!(
            SetCrystallizationPeriod(1).classify(&v).unwrap(),
            Protective
        );
        assert_eq!(
            AllowMint(Pubkey::new_unique()).classify(&v).unwrap(),
            Adverse
        );
        assert_eq!(
            DisallowMint(Pubkey::new_unique()).classify(&v).unwrap(),
            Protective
        );
        assert_eq!(
            SetKeeper(Pubkey::new_unique()).classify(&v).unwrap(),
            Neutral
        );
        assert_eq!(PauseTrading.classify(&v).unwrap(), Protective);
        assert_eq!(ResumeTrading.classify(&v).unwrap(), Neutral);
        assert_eq!(SetMaxAum(1).classify(&v).unwrap(), Protective);
        // Moving a tier boundary so that some investors pay a higher rate is adverse even
        // though no rate number went up.
        let mut tiers = v.config.tiers.clone();
        tiers[0].max_deposit *= 2;
        tiers[1].min_deposit *= 2;
        assert_eq!(SetInvestorTiers(tiers).classify(&v).unwrap(), Adverse);
        let mut tiers = v.config.tiers.clone();
        tiers[0].max_deposit /= 2;
        tiers[1].min_deposit /= 2;
        assert_eq!(SetInvestorTiers(tiers).classify(&v).unwrap(), Protective);
    }

    #[test]
    fn delays_by_class() {
        let mut v = vault(200, 2_000);
        let g = governance();
        assert_eq!(required_delay(ChangeClass::Protective, &v, &g), 0);
        assert_eq!(required_delay(ChangeClass::Neutral, &v, &g), 3_600);
        assert_eq!(
            required_delay(ChangeClass::Adverse, &v, &g),
            MIN_ADVERSE_DELAY_SECONDS
        );
        v.config.notice_seconds = 30 * 86_400;
        assert_eq!(required_delay(ChangeClass::Adverse, &v, &g), 60 * 86_400);
    }

    #[test]
    fn guardians_only_protect() {
        use GovernanceAction::*;
        let v = vault(200, 2_000);
        assert!(PauseTrading.guardian_may(&v).unwrap());
        assert!(!ResumeTrading.guardian_may(&v).unwrap());
        assert!(
            !SetLockup(1).guardian_may(&v).unwrap(),
            "protective but not a guardian's call"
        );
        let mut looser = v.risk;
        looser.max_buy_per_trade += 1;
        assert!(!SetRiskLimits(looser).guardian_may(&v).unwrap());
        let mut tighter = v.risk;
        tighter.min_safety_score += 5;
        assert!(SetRiskLimits(tighter).guardian_may(&v).unwrap());
        assert!(!AllowVenue(VenueEntry {
            program: Pubkey::new_unique(),
            any_pool: true,
            any_mint: true
        })
        .guardian_may(&v)
        .unwrap());
    }

    #[test]
    fn governance_changes_stale_older_proposals_and_keep_invariants() {
        let mut v = vault(200, 2_000);
        let mut g = governance();
        let mut a = allowlist();
        let mut t = ActionTargets {
            vault: &mut v,
            governance: &mut g,
            allowlist: &mut a,
        };
        apply_action(&mut t, &GovernanceAction::SetThreshold(1), 0).unwrap();
        assert_eq!(t.governance.stale_index, 5);
        assert!(apply_action(&mut t, &GovernanceAction::SetThreshold(3), 0).is_err());
        apply_action(
            &mut t,
            &GovernanceAction::SetProposalLifetime(2 * 86_400),
            0,
        )
        .unwrap();
        t.governance.proposal_index = 9;
        apply_action(
            &mut t,
            &GovernanceAction::SetProposalLifetime(3 * 86_400),
            0,
        )
        .unwrap();
        assert_eq!(
            t.governance.stale_index, 5,
            "lifetime changes do not stale proposals"
        );
    }

    #[test]
    fn allowlist_actions() {
        let mut v = vault(200, 2_000);
        let mut g = governance();
        let mut a = allowlist();
        let mut t = ActionTargets {
            vault: &mut v,
            governance: &mut g,
            allowlist: &mut a,
        };
        let pool = Pubkey::new_unique();
        apply_action(&mut t, &GovernanceAction::AllowPool(pool), 0).unwrap();
        assert!(apply_action(&mut t, &GovernanceAction::AllowPool(pool), 0).is_err());
        apply_action(&mut t, &GovernanceAction::DisallowPool(pool), 0).unwrap();
        assert!(apply_action(&mut t, &GovernanceAction::DisallowPool(pool), 0).is_err());
        for _ in 0..MAX_ALLOWED_MINTS {
            apply_action(
                &mut t,
                &GovernanceAction::AllowMint(Pubkey::new_unique()),
                0,
            )
            .unwrap();
        }
        assert!(apply_action(
            &mut t,
            &GovernanceAction::AllowMint(Pubkey::new_unique()),
            0
        )
        .is_err());
    }

    #[test]
    fn proposal_space_fits_the_largest_actions() {
        let members = vec![
            Member {
                key: Pubkey::new_unique(),
                permissions: PERMISSION_ALL,
                guardian: true
            };
            MAX_MEMBERS
        ];
        let action = GovernanceAction::SetMembers(members);
        let p = Proposal {
            version: 1,
            bump: 0,
            governance: Pubkey::new_unique(),
            index: 1,
            proposer: Pubkey::new_unique(),
            status: ProposalStatus::Active,
            created_at: 0,
            approved_at: 0,
            executed_at: 0,
            approvals: vec![Pubkey::new_unique(); MAX_MEMBERS],
            rejections: vec![],
            cancellations: vec![Pubkey::new_unique(); MAX_MEMBERS],
            action: action.clone(),
        };
        let mut buf = Vec::new();
        p.serialize(&mut buf).unwrap();
        assert!(8 + buf.len() <= Proposal::space(&action));
    }
}
