//! An explainable safety score from 0 to 100. Every point lost has a named check and its
//! evidence; a fact that could not be established costs the check's full weight, because
//! unknown is never safe. The weights live in the configuration.

pub mod facts;

use facts::{ExtensionFact, MetadataFacts, MintFacts};
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;

/// Points each check can take away (out of 100).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    pub mint_authority: u32,
    pub freeze_authority: u32,
    pub transfer_fee: u32,
    pub permanent_delegate: u32,
    pub transfer_hook: u32,
    pub default_frozen: u32,
    pub non_transferable: u32,
    pub pausable: u32,
    /// Extra cost when a risky extension's authority can still change it.
    pub changeable_extension: u32,
    pub lp_not_burned: u32,
    pub top1_concentration: u32,
    pub top10_concentration: u32,
    pub creator_holdings: u32,
    pub low_liquidity: u32,
    pub mutable_metadata: u32,
    pub pool_too_new: u32,
    pub honeypot: u32,
    /// Concentration that starts costing points, basis points of supply.
    pub top1_free_bps: u32,
    pub top10_free_bps: u32,
    pub creator_free_bps: u32,
    /// Quote liquidity (base units of the quote mint) below which the pool costs points.
    pub min_liquidity: u64,
    /// Pools younger than this (seconds) cost points.
    pub min_age_seconds: i64,
    /// A round trip (buy then sell) returning less than this share is a honeypot.
    pub honeypot_min_return_bps: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            mint_authority: 40,
            freeze_authority: 40,
            transfer_fee: 20,
            permanent_delegate: 45,
            transfer_hook: 25,
            default_frozen: 45,
            non_transferable: 100,
            pausable: 30,
            changeable_extension: 10,
            lp_not_burned: 40,
            top1_concentration: 20,
            top10_concentration: 20,
            creator_holdings: 30,
            low_liquidity: 20,
            mutable_metadata: 5,
            pool_too_new: 5,
            honeypot: 100,
            top1_free_bps: 1_000,
            top10_free_bps: 3_000,
            creator_free_bps: 500,
            min_liquidity: 10_000_000_000,
            min_age_seconds: 0,
            honeypot_min_return_bps: 9_000,
        }
    }
}

/// How a pool's liquidity is owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum LiquidityModel {
    /// LP tokens: the share burned or held by a lock is safe from the creator.
    LpMint { supply: u64, burned_or_locked: u64 },
    /// Positions (concentrated liquidity): the share in locked positions.
    Positions { total: u64, locked: u64 },
    /// A bonding curve: liquidity is the program's until migration.
    BondingCurve,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolFacts {
    pub venue: String,
    /// Quote reserve, base units of the quote mint.
    pub quote_reserve: u64,
    pub liquidity: Option<LiquidityModel>,
    /// Unix time the pool was created or opens for trading.
    pub opened_at: Option<i64>,
}

/// Holders of the token, largest first, pool vaults excluded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HolderFacts {
    pub supply: u64,
    /// `(owner, amount)`.
    pub largest: Vec<(Pubkey, u64)>,
    pub creator: Option<Pubkey>,
}

/// What selling right after buying returned, in basis points of what was paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HoneypotCheck {
    pub round_trip_return_bps: u32,
    /// Why a sale cannot happen at all, when it cannot.
    pub blocked: Option<String>,
}

/// Everything known about a token and its pool. `None` means unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoreInputs {
    pub mint: Option<MintFacts>,
    /// `Some(None)`: known to have no Metaplex metadata.
    pub metadata: Option<Option<MetadataFacts>>,
    pub holders: Option<HolderFacts>,
    pub pool: Option<PoolFacts>,
    pub honeypot: Option<HoneypotCheck>,
    pub now: i64,
}

/// One point-losing finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deduction {
    pub check: &'static str,
    pub points: u32,
    pub evidence: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SafetyReport {
    pub score: u8,
    pub deductions: Vec<Deduction>,
    /// Checks that cost nothing.
    pub passed: Vec<&'static str>,
}

impl SafetyReport {
    /// A human-readable report.
    pub fn render(&self) -> String {
        let mut s = format!("safety score {}/100\n", self.score);
        for d in &self.deductions {
            s.push_str(&format!(
                "  -{:<3} {:<20} {}\n",
                d.points, d.check, d.evidence
            ));
        }
        if !self.passed.is_empty() {
            s.push_str(&format!("  passed: {}\n", self.passed.join(", ")));
        }
        s
    }
}

struct Card {
    deductions: Vec<Deduction>,
    passed: Vec<&'static str>,
}

impl Card {
    fn lose(&mut self, check: &'static str, points: u32, evidence: String) {
        if points == 0 {
            self.passed.push(check);
        } else {
            self.deductions.push(Deduction {
                check,
                points,
                evidence,
            });
        }
    }

    fn unknown(&mut self, check: &'static str, points: u32, what: &str) {
        self.lose(check, points, format!("unknown: {what} could not be read"));
    }
}

/// Points for a concentration of `bps`: nothing up to `free_bps`, then rising linearly to the
/// full weight at `free_bps` plus the larger of `free_bps` and 10% (a creator allowed 5% costs
/// everything at 15%; ten holders allowed 30% cost everything at 60%).
fn scaled(weight: u32, bps: u64, free_bps: u32) -> u32 {
    if bps <= free_bps as u64 {
        return 0;
    }
    let over = bps - free_bps as u64;
    let room = (free_bps as u64).max(1_000);
    ((weight as u64 * over).div_ceil(room)).min(weight as u64) as u32
}

fn share_bps(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    (part as u128 * 10_000 / whole as u128) as u64
}

/// Computes the report.
pub fn score(inputs: &ScoreInputs, w: &Weights) -> SafetyReport {
    let mut c = Card {
        deductions: Vec::new(),
        passed: Vec::new(),
    };
    match &inputs.mint {
        None => {
            for (check, pts) in [
                ("mint_authority", w.mint_authority),
                ("freeze_authority", w.freeze_authority),
                ("token_extensions", w.permanent_delegate),
            ] {
                c.unknown(check, pts, "the mint account");
            }
        }
        Some(m) => mint_checks(&mut c, m, w),
    }
    match &inputs.metadata {
        None => c.unknown("mutable_metadata", w.mutable_metadata, "the token metadata"),
        Some(None) => {
            let in_mint = inputs.mint.as_ref().and_then(|m| {
                m.extensions.iter().find_map(|e| match e {
                    ExtensionFact::TokenMetadata { update_authority } => Some(*update_authority),
                    _ => None,
                })
            });
            match in_mint {
                Some(Some(a)) => c.lose(
                    "mutable_metadata",
                    w.mutable_metadata,
                    format!("metadata in the mint can be changed by {a}"),
                ),
                Some(None) => c.lose("mutable_metadata", 0, String::new()),
                None => c.lose(
                    "mutable_metadata",
                    w.mutable_metadata,
                    "the token has no metadata at all".into(),
                ),
            }
        }
        Some(Some(md)) => {
            let pts = if md.is_mutable { w.mutable_metadata } else { 0 };
            c.lose(
                "mutable_metadata",
                pts,
                format!(
                    "metadata \"{}\" is mutable by {}",
                    md.name, md.update_authority
                ),
            );
        }
    }
    match &inputs.holders {
        None => {
            c.unknown(
                "top1_concentration",
                w.top1_concentration,
                "the largest holders",
            );
            c.unknown(
                "top10_concentration",
                w.top10_concentration,
                "the largest holders",
            );
            c.unknown(
                "creator_holdings",
                w.creator_holdings,
                "the creator's balance",
            );
        }
        Some(h) => {
            let top1 = h.largest.first().map(|x| x.1).unwrap_or(0);
            let top10: u64 = h.largest.iter().take(10).map(|x| x.1).sum();
            let b1 = share_bps(top1, h.supply);
            let b10 = share_bps(top10, h.supply);
            c.lose(
                "top1_concentration",
                scaled(w.top1_concentration, b1, w.top1_free_bps),
                format!(
                    "the largest holder outside the pool has {:.2}% of supply",
                    b1 as f64 / 100.0
                ),
            );
            c.lose(
                "top10_concentration",
                scaled(w.top10_concentration, b10, w.top10_free_bps),
                format!(
                    "the ten largest holders outside the pool have {:.2}% of supply",
                    b10 as f64 / 100.0
                ),
            );
            match h.creator {
                None => c.unknown("creator_holdings", w.creator_holdings, "the creator"),
                Some(creator) => {
                    let held: u64 = h
                        .largest
                        .iter()
                        .filter(|(o, _)| *o == creator)
                        .map(|x| x.1)
                        .sum();
                    let b = share_bps(held, h.supply);
                    c.lose(
                        "creator_holdings",
                        scaled(w.creator_holdings, b, w.creator_free_bps),
                        format!(
                            "the creator {creator} holds {:.2}% of supply",
                            b as f64 / 100.0
                        ),
                    );
                }
            }
        }
    }
    match &inputs.pool {
        None => {
            c.unknown("lp_not_burned", w.lp_not_burned, "the pool");
            c.unknown("low_liquidity", w.low_liquidity, "the pool");
            c.unknown("pool_too_new", w.pool_too_new, "the pool");
        }
        Some(p) => {
            match &p.liquidity {
                None => c.unknown(
                    "lp_not_burned",
                    w.lp_not_burned,
                    "the pool's liquidity ownership",
                ),
                Some(LiquidityModel::LpMint {
                    supply,
                    burned_or_locked,
                }) => {
                    let free = share_bps(supply.saturating_sub(*burned_or_locked), *supply);
                    c.lose(
                        "lp_not_burned",
                        scaled(w.lp_not_burned, free, 0),
                        format!(
                            "{:.2}% of LP tokens are neither burned nor locked",
                            free as f64 / 100.0
                        ),
                    );
                }
                Some(LiquidityModel::Positions { total, locked }) => {
                    let free = share_bps(total.saturating_sub(*locked), *total);
                    c.lose(
                        "lp_not_burned",
                        scaled(w.lp_not_burned, free, 0),
                        format!(
                            "{:.2}% of liquidity sits in unlocked positions",
                            free as f64 / 100.0
                        ),
                    );
                }
                Some(LiquidityModel::BondingCurve) => c.lose("lp_not_burned", 0, String::new()),
            }
            let low = if p.quote_reserve >= w.min_liquidity {
                0
            } else {
                let missing = share_bps(w.min_liquidity - p.quote_reserve, w.min_liquidity);
                scaled(w.low_liquidity, missing, 0)
            };
            c.lose(
                "low_liquidity",
                low,
                format!(
                    "{} quote units in the pool, {} wanted",
                    p.quote_reserve, w.min_liquidity
                ),
            );
            match p.opened_at {
                None => c.unknown("pool_too_new", w.pool_too_new, "the pool's opening time"),
                Some(t) => {
                    let age = inputs.now.saturating_sub(t);
                    let pts = if age < w.min_age_seconds {
                        w.pool_too_new
                    } else {
                        0
                    };
                    c.lose(
                        "pool_too_new",
                        pts,
                        format!("the pool is {age}s old, {}s wanted", w.min_age_seconds),
                    );
                }
            }
        }
    }
    match &inputs.honeypot {
        None => c.unknown("honeypot", w.honeypot, "a simulated sale"),
        Some(h) => match &h.blocked {
            Some(why) => c.lose(
                "honeypot",
                w.honeypot,
                format!("a sale cannot happen: {why}"),
            ),
            None => {
                let pts = if h.round_trip_return_bps < w.honeypot_min_return_bps {
                    w.honeypot
                } else {
                    0
                };
                c.lose(
                    "honeypot",
                    pts,
                    format!(
                        "a buy then sell returns {:.2}% of the amount paid",
                        h.round_trip_return_bps as f64 / 100.0
                    ),
                );
            }
        },
    }
    let lost: u32 = c.deductions.iter().map(|d| d.points).sum();
    SafetyReport {
        score: 100u32.saturating_sub(lost) as u8,
        deductions: c.deductions,
        passed: c.passed,
    }
}

fn mint_checks(c: &mut Card, m: &MintFacts, w: &Weights) {
    match m.mint_authority {
        Some(a) => c.lose(
            "mint_authority",
            w.mint_authority,
            format!("mint authority {a} can print more supply"),
        ),
        None => c.lose("mint_authority", 0, String::new()),
    }
    match m.freeze_authority {
        Some(a) => c.lose(
            "freeze_authority",
            w.freeze_authority,
            format!("freeze authority {a} can freeze holders' accounts"),
        ),
        None => c.lose("freeze_authority", 0, String::new()),
    }
    let changeable = |a: &Option<Pubkey>| {
        if a.is_some() {
            w.changeable_extension
        } else {
            0
        }
    };
    for e in &m.extensions {
        match e {
            ExtensionFact::TransferFee { bps, authority } => {
                let base = if *bps > 0 { w.transfer_fee } else { 0 };
                c.lose(
                    "transfer_fee",
                    base + changeable(authority),
                    format!(
                        "transfer fee {bps} bps{}",
                        authority
                            .map(|a| format!(", changeable by {a}"))
                            .unwrap_or_default()
                    ),
                );
            }
            ExtensionFact::PermanentDelegate { delegate } => match delegate {
                Some(d) => c.lose(
                    "permanent_delegate",
                    w.permanent_delegate,
                    format!("permanent delegate {d} can move anyone's tokens"),
                ),
                None => c.lose("permanent_delegate", 0, String::new()),
            },
            ExtensionFact::TransferHook { program, authority } => {
                let base = if program.is_some() {
                    w.transfer_hook
                } else {
                    0
                };
                c.lose(
                    "transfer_hook",
                    base + changeable(authority),
                    format!(
                        "transfer hook program {}{}",
                        program
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "none".into()),
                        authority
                            .map(|a| format!(", changeable by {a}"))
                            .unwrap_or_default()
                    ),
                );
            }
            ExtensionFact::DefaultAccountState { frozen } => {
                let base = if *frozen { w.default_frozen } else { 0 };
                c.lose(
                    "default_frozen",
                    base + changeable(&m.freeze_authority),
                    format!(
                        "new accounts start {}",
                        if *frozen {
                            "frozen"
                        } else {
                            "unfrozen, switchable by the freeze authority"
                        }
                    ),
                );
            }
            ExtensionFact::NonTransferable => c.lose(
                "non_transferable",
                w.non_transferable,
                "the token cannot be transferred, so it cannot be sold".into(),
            ),
            ExtensionFact::Pausable { paused, authority } => {
                let base = if *paused { w.pausable } else { w.pausable / 2 };
                c.lose(
                    "pausable",
                    base + changeable(authority),
                    format!(
                        "transfers {} be paused{}",
                        if *paused { "are" } else { "can" },
                        authority.map(|a| format!(" by {a}")).unwrap_or_default()
                    ),
                );
            }
            ExtensionFact::TokenMetadata { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean_inputs() -> ScoreInputs {
        ScoreInputs {
            mint: Some(MintFacts {
                token_program: spl_token_interface::ID,
                decimals: 6,
                supply: 1_000_000,
                mint_authority: None,
                freeze_authority: None,
                extensions: vec![],
            }),
            metadata: Some(Some(MetadataFacts {
                update_authority: Pubkey::new_unique(),
                mint: Pubkey::new_unique(),
                name: "T".into(),
                is_mutable: false,
            })),
            holders: Some(HolderFacts {
                supply: 1_000_000,
                largest: vec![(Pubkey::new_unique(), 50_000)],
                creator: Some(Pubkey::new_unique()),
            }),
            pool: Some(PoolFacts {
                venue: "local_amm".into(),
                quote_reserve: 100_000_000_000,
                liquidity: Some(LiquidityModel::LpMint {
                    supply: 100,
                    burned_or_locked: 100,
                }),
                opened_at: Some(0),
            }),
            honeypot: Some(HoneypotCheck {
                round_trip_return_bps: 9_900,
                blocked: None,
            }),
            now: 1_000,
        }
    }

    #[test]
    fn a_clean_token_scores_100_and_every_check_is_named() {
        let r = score(&clean_inputs(), &Weights::default());
        assert_eq!(r.score, 100, "{}", r.render());
        assert!(r.deductions.is_empty());
        assert!(r.passed.len() >= 10, "{:?}", r.passed);
    }

    #[test]
    fn unknown_is_never_safe() {
        let r = score(&ScoreInputs::default(), &Weights::default());
        assert_eq!(r.score, 0);
        assert!(r
            .deductions
            .iter()
            .all(|d| d.evidence.starts_with("unknown")));
    }

    #[test]
    fn each_red_flag_costs_its_weight_with_evidence() {
        let w = Weights::default();
        let mut i = clean_inputs();
        let who = Pubkey::new_unique();
        i.mint.as_mut().unwrap().mint_authority = Some(who);
        let r = score(&i, &w);
        assert_eq!(r.score as u32, 100 - w.mint_authority);
        assert!(r.deductions[0].evidence.contains(&who.to_string()));

        let mut i = clean_inputs();
        i.mint.as_mut().unwrap().extensions = vec![ExtensionFact::TransferFee {
            bps: 500,
            authority: Some(who),
        }];
        assert_eq!(
            score(&i, &w).score as u32,
            100 - w.transfer_fee - w.changeable_extension
        );

        let mut i = clean_inputs();
        i.honeypot = Some(HoneypotCheck {
            round_trip_return_bps: 0,
            blocked: Some("frozen".into()),
        });
        assert_eq!(score(&i, &w).score, 0);

        let mut i = clean_inputs();
        i.holders.as_mut().unwrap().largest = vec![(who, 1_000_000)];
        i.holders.as_mut().unwrap().creator = Some(who);
        let r = score(&i, &w);
        assert_eq!(
            r.score as u32,
            100 - w.top1_concentration - w.top10_concentration - w.creator_holdings
        );

        let mut i = clean_inputs();
        i.pool.as_mut().unwrap().liquidity = Some(LiquidityModel::LpMint {
            supply: 100,
            burned_or_locked: 0,
        });
        assert_eq!(score(&i, &w).score as u32, 100 - w.lp_not_burned);
    }
}
