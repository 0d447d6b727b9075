//! Decisions: which new pools to enter and with how much, when to take profit along the exit
//! ladder, when to cut a loss, when to run from a rug, and how to keep leverage healthy.
//!
//! Pure functions of what the keeper read from the chain, so every rule is unit-tested. The
//! vault enforces its own limits regardless; these rules keep the keeper from asking for
//! what the vault would refuse, and add judgment the vault cannot have.

use crate::score::SafetyReport;
use serde::{Deserialize, Serialize};
use vault::state::{ExitPlan, Position, RiskLimits};

/// Base-token units of one whole token of the sim's SOL-like base mint (9 decimals).
pub const SOL: u64 = 1_000_000_000;

/// A budget tier from the seed documents: how much to risk per trade and in total, and how
/// safe a token must look. Amounts are base units (9 decimals, SOL-denominated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub name: String,
    /// The fund size the tier is meant for, US dollars.
    pub budget_usd: u64,
    pub max_buy: u64,
    pub min_safety_score: u8,
    /// Orders in flight at once.
    pub concurrent_trades: u16,
    pub max_positions: u16,
    pub max_total_exposure: u64,
    pub max_exposure_per_token: u64,
    /// Least quote liquidity a pool needs before the keeper buys into it.
    pub min_liquidity: u64,
    /// Largest price impact a buy may have, basis points.
    pub max_impact_bps: u16,
    /// Slippage tolerated below the quote, basis points.
    pub slippage_bps: u16,
    /// A position that reached no ladder step or stop within this many seconds is sold
    /// (memecoin volume dies within hours; capital is better used elsewhere).
    pub max_hold_seconds: i64,
    /// Leverage kept on the fund's core collateral, if any.
    pub leverage: Option<LeveragePlan>,
}

/// Leverage maintenance: one loop on the core collateral.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeveragePlan {
    /// Share of NAV put in as capital, basis points.
    pub capital_bps: u16,
    /// Target leverage ×10 (30 = 3x).
    pub leverage_x10: u64,
    /// Deleverage when health falls below this (basis points, 1.45 = 14,500).
    pub deleverage_below_bps: u64,
    /// Deleverage back up to this health.
    pub target_health_bps: u64,
}

/// The seed's budget tiers ($50 / $500 / $5K / $50K).
pub fn presets() -> Vec<Preset> {
    let tier = |name: &str,
                budget_usd: u64,
                max_buy: u64,
                min_safety_score: u8,
                concurrent_trades: u16,
                max_positions: u16,
                max_total_exposure: u64,
                leverage: Option<LeveragePlan>| Preset {
        name: name.to_string(),
        budget_usd,
        max_buy,
        min_safety_score,
        concurrent_trades,
        max_positions,
        max_total_exposure,
        max_exposure_per_token: max_total_exposure.min(10 * SOL),
        min_liquidity: max_buy * 20,
        max_impact_bps: 300,
        max_hold_seconds: 2 * 3_600,
        slippage_bps: 100,
        leverage,
    };
    // 2.5x on a lender that liquidates at 90% of collateral value opens at health 1.5;
    // a 7% fall of the collateral brings it to the 1.40 floor, where the keeper repays
    // debt back to 1.55 — well before the vault's own 1.3 minimum.
    let lev = LeveragePlan {
        capital_bps: 1_000,
        leverage_x10: 25,
        deleverage_below_bps: 14_000,
        target_health_bps: 15_500,
    };
    vec![
        // The seed gives no position or exposure cap for $50: one 0.05 buy at a time and
        // the whole ~0.3 SOL budget as exposure.
        tier("50", 50, SOL / 20, 70, 1, 6, 3 * SOL / 10, None),
        tier("500", 500, SOL / 5, 65, 3, 10, 2 * SOL, None),
        tier("5k", 5_000, SOL, 60, 10, 50, 20 * SOL, Some(lev)),
        tier("50k", 50_000, 5 * SOL, 55, 10, 200, 300 * SOL, Some(lev)),
    ]
}

/// The preset called `name` (`50`, `500`, `5k`, `50k`; a leading `$` is ignored).
pub fn preset(name: &str) -> Option<Preset> {
    let n = name.trim_start_matches('$').to_ascii_lowercase();
    let n = match n.as_str() {
        "5000" => "5k".to_string(),
        "50000" => "50k".to_string(),
        _ => n,
    };
    presets().into_iter().find(|p| p.name == n)
}

impl Preset {
    /// The vault limits matching the tier, on top of the vault's seed defaults.
    pub fn risk_limits(&self, base_decimals: u8) -> anyhow::Result<RiskLimits> {
        let mut r = RiskLimits::seed_default(base_decimals)
            .map_err(|e| anyhow::anyhow!("seed risk limits: {e:?}"))?;
        r.max_buy_per_trade = self.max_buy;
        r.max_open_positions = self.max_positions;
        r.max_total_exposure = self.max_total_exposure;
        r.max_exposure_per_token = self.max_exposure_per_token;
        r.min_safety_score = self.min_safety_score;
        Ok(r)
    }

    /// Fund size in base units at `usd_per_sol`.
    pub fn budget_base_units(&self, usd_per_sol: u64) -> u64 {
        (self.budget_usd as u128 * SOL as u128 / usd_per_sol.max(1) as u128) as u64
    }
}

/// Tokens out for `amount_in` into a constant-product pool (the local AMM's formula).
pub fn quote(reserve_in: u64, reserve_out: u64, amount_in: u64, fee_bps: u16) -> u64 {
    local_amm::math::quote_out(reserve_in, reserve_out, amount_in, fee_bps).unwrap_or(0)
}

/// What the vault's book looks like to the strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Book {
    pub open_positions: u16,
    pub total_exposure: u64,
    pub idle: u64,
    pub in_flight: u16,
    pub trading_allowed: bool,
}

/// Why a pool was not bought.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The vault accepts no new positions (breaker, pause, reduce-only, emergency).
    TradingHalted,
    /// The safety score is below the tier's minimum.
    Score,
    /// Too little liquidity.
    Liquidity,
    /// The tier's limit of orders in flight.
    InFlight,
    /// The tier's limit of open positions.
    Positions,
    /// No exposure room or cash left.
    Budget,
    /// The buy would return nothing.
    NothingOut,
    /// Not a pool the vault can trade.
    NotTradeable,
    /// Reading the pool failed every time it was tried.
    Unreadable,
}

/// The decision on a new pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Buy { amount: u64, min_out: u64 },
    Skip(SkipReason, String),
}

/// Whether and how much to buy of a newly scored pool whose reserves are
/// `(token_reserve, quote_reserve)`.
pub fn entry(
    p: &Preset,
    report: &SafetyReport,
    reserves: (u64, u64),
    fee_bps: u16,
    book: &Book,
) -> Entry {
    let (token_reserve, quote_reserve) = reserves;
    if !book.trading_allowed {
        return Entry::Skip(
            SkipReason::TradingHalted,
            "the vault does not accept new positions now".into(),
        );
    }
    if report.score < p.min_safety_score {
        let worst = report
            .deductions
            .iter()
            .max_by_key(|d| d.points)
            .map(|d| format!("; worst: {} (-{})", d.check, d.points))
            .unwrap_or_default();
        return Entry::Skip(
            SkipReason::Score,
            format!("score {} below {}{worst}", report.score, p.min_safety_score),
        );
    }
    if quote_reserve < p.min_liquidity {
        return Entry::Skip(
            SkipReason::Liquidity,
            format!("liquidity {quote_reserve} below {}", p.min_liquidity),
        );
    }
    if book.in_flight >= p.concurrent_trades {
        return Entry::Skip(
            SkipReason::InFlight,
            format!("{} orders already in flight", book.in_flight),
        );
    }
    if book.open_positions >= p.max_positions {
        return Entry::Skip(
            SkipReason::Positions,
            format!("{} positions open (the limit)", book.open_positions),
        );
    }
    let room = p.max_total_exposure.saturating_sub(book.total_exposure);
    // Price impact of a buy of `a` is about a / (reserve + a); cap it.
    let impact_cap = (quote_reserve as u128 * p.max_impact_bps as u128
        / (10_000 - p.max_impact_bps as u128)) as u64;
    let amount = p
        .max_buy
        .min(room)
        .min(p.max_exposure_per_token)
        .min(book.idle)
        .min(impact_cap);
    if amount < p.max_buy / 10 || amount == 0 {
        return Entry::Skip(
            SkipReason::Budget,
            format!("only {amount} could be spent (exposure or cash limit)"),
        );
    }
    let out = quote(quote_reserve, token_reserve, amount, fee_bps);
    let min_out = (out as u128 * (10_000 - p.slippage_bps as u128) / 10_000) as u64;
    if min_out == 0 {
        return Entry::Skip(
            SkipReason::NothingOut,
            "the buy would return nothing".into(),
        );
    }
    Entry::Buy { amount, min_out }
}

/// What to do with an open position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Hold,
    /// Take profit: ladder step `step`, selling `amount`.
    Ladder {
        step: u8,
        amount: u64,
    },
    /// Stop loss: sell everything.
    StopLoss,
    /// Leave now: the pool or the token shows a rug in progress.
    Run(String),
    /// Held too long without reaching a target: sell it all.
    TimeStop,
}

/// Signals of a rug between two looks at a position's pool and mint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    pub quote_reserve_before: u64,
    pub quote_reserve_now: u64,
    pub supply_before: u64,
    pub supply_now: u64,
    /// The position's token account is frozen.
    pub frozen: bool,
}

/// The exit rule for `pos` worth `value_now` (what selling it all returns now) at `now`,
/// given the tier's `max_hold_seconds`.
pub fn exit(
    pos: &Position,
    value_now: u64,
    watch: &Watch,
    now: i64,
    max_hold_seconds: i64,
) -> Exit {
    if watch.frozen {
        return Exit::Run("the position's token account was frozen".into());
    }
    if watch.supply_before > 0 && watch.supply_now > watch.supply_before {
        return Exit::Run(format!(
            "supply grew from {} to {} (mint authority used)",
            watch.supply_before, watch.supply_now
        ));
    }
    if watch.quote_reserve_before > 0
        && (watch.quote_reserve_now as u128) * 2 < watch.quote_reserve_before as u128
    {
        return Exit::Run(format!(
            "pool liquidity fell from {} to {}",
            watch.quote_reserve_before, watch.quote_reserve_now
        ));
    }
    if pos.cost_basis == 0 || pos.amount == 0 {
        return Exit::Hold;
    }
    let multiple = value_now as u128 * 10_000 / pos.cost_basis as u128;
    if multiple <= pos.plan.stop_loss_bps as u128 {
        return Exit::StopLoss;
    }
    if let Some((i, step)) = next_step(&pos.plan) {
        if multiple >= step.multiple_bps as u128 {
            let open_steps = pos.plan.ladder.iter().filter(|s| !s.done).count();
            let amount = if open_steps == 1 {
                pos.amount
            } else {
                ((pos.ladder_base as u128 * step.sell_bps as u128 / 10_000) as u64).min(pos.amount)
            };
            if amount > 0 {
                return Exit::Ladder {
                    step: i as u8,
                    amount,
                };
            }
        }
    }
    if now.saturating_sub(pos.opened_at) >= max_hold_seconds {
        return Exit::TimeStop;
    }
    Exit::Hold
}

fn next_step(plan: &ExitPlan) -> Option<(usize, vault::state::LadderStep)> {
    plan.ladder
        .iter()
        .enumerate()
        .find(|(_, s)| !s.done)
        .map(|(i, s)| (i, *s))
}

/// What to do with a leverage loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeverageAction {
    Hold,
    /// Repay `debt` and withdraw `collateral` to bring health back to target.
    Deleverage {
        debt: u64,
        collateral: u64,
    },
}

/// A loop's state in base units: collateral value (after the lender's liquidation
/// threshold), debt, and the raw collateral amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopState {
    pub collateral_amount: u64,
    /// Value of all collateral in base units at the oracle price.
    pub collateral_value: u64,
    /// Liquidation threshold, basis points.
    pub threshold_bps: u64,
    pub debt: u64,
}

impl LoopState {
    /// Health factor, basis points (threshold-weighted collateral / debt).
    pub fn health_bps(&self) -> u64 {
        if self.debt == 0 {
            return u64::MAX;
        }
        (self.collateral_value as u128 * self.threshold_bps as u128 / self.debt as u128)
            .min(u64::MAX as u128) as u64
    }
}

/// Keeps health above the plan's floor: when it falls below, repay debt (selling the
/// matching collateral) until health is back at target.
///
/// Selling collateral worth `x` to repay `x` of debt moves health to
/// `(C - x)·t / (D - x)`; solving for the target `h` gives `x = (h·D - C·t) / (h - t)`.
pub fn maintain(plan: &LeveragePlan, s: &LoopState) -> LeverageAction {
    if s.debt == 0 || s.health_bps() >= plan.deleverage_below_bps {
        return LeverageAction::Hold;
    }
    let h = plan.target_health_bps as u128;
    let t = s.threshold_bps as u128;
    let (c, d) = (s.collateral_value as u128, s.debt as u128);
    let x = if h > t {
        (h * d).saturating_sub(c * t) / (h - t)
    } else {
        d
    };
    // Round the repayment up (ceil by one unit) and never past the whole debt.
    let debt = ((x + 1) as u64).min(s.debt);
    let collateral = if s.collateral_value == 0 {
        s.collateral_amount
    } else {
        // Collateral to sell for `debt` at the oracle price, plus 2% for the pool's fee and
        // slippage; the vault refunds nothing extra, the surplus stays as idle base.
        let raw = debt as u128 * s.collateral_amount as u128 / s.collateral_value as u128;
        ((raw * 10_200 / 10_000) as u64).min(s.collateral_amount)
    };
    LeverageAction::Deleverage { debt, collateral }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Deduction;
    use proptest::prelude::*;

    fn report(score: u8) -> SafetyReport {
        SafetyReport {
            score,
            deductions: vec![Deduction {
                check: "mint_authority",
                points: 100 - score as u32,
                evidence: String::new(),
            }],
            passed: vec![],
        }
    }

    fn book() -> Book {
        Book {
            open_positions: 0,
            total_exposure: 0,
            idle: 100 * SOL,
            in_flight: 0,
            trading_allowed: true,
        }
    }

    fn tier() -> Preset {
        preset("5k").unwrap()
    }

    const DEEP: (u64, u64) = (1_000_000 * SOL, 1_000 * SOL);

    #[test]
    fn presets_follow_the_seed_tiers() {
        let p: Vec<(String, u64, u8, u16)> = presets()
            .into_iter()
            .map(|p| (p.name, p.max_buy, p.min_safety_score, p.concurrent_trades))
            .collect();
        assert_eq!(
            p,
            vec![
                ("50".into(), SOL / 20, 70, 1),
                ("500".into(), SOL / 5, 65, 3),
                ("5k".into(), SOL, 60, 10),
                ("50k".into(), 5 * SOL, 55, 10),
            ]
        );
        assert_eq!(preset("$5K").unwrap().name, "5k");
        assert_eq!(preset("50000").unwrap().name, "50k");
        assert!(preset("7k").is_none());
        let r = tier().risk_limits(9).unwrap();
        assert_eq!(
            (
                r.max_buy_per_trade,
                r.min_safety_score,
                r.max_open_positions
            ),
            (SOL, 60, 50)
        );
        assert_eq!(r.max_total_exposure, 20 * SOL);
    }

    #[test]
    fn entry_buys_the_tier_size_with_slippage_room() {
        match entry(&tier(), &report(90), DEEP, 30, &book()) {
            Entry::Buy { amount, min_out } => {
                assert_eq!(amount, SOL);
                let out = quote(DEEP.1, DEEP.0, SOL, 30);
                assert_eq!(min_out, out * 99 / 100);
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn entry_refusals_name_their_reason() {
        let p = tier();
        let skip = |r: &SafetyReport, res: (u64, u64), b: &Book| match entry(&p, r, res, 30, b) {
            Entry::Skip(why, _) => Some(why),
            Entry::Buy { .. } => None,
        };
        assert_eq!(skip(&report(59), DEEP, &book()), Some(SkipReason::Score));
        assert_eq!(skip(&report(60), DEEP, &book()), None);
        assert_eq!(
            skip(&report(90), (1_000 * SOL, p.min_liquidity - 1), &book()),
            Some(SkipReason::Liquidity)
        );
        let mut b = book();
        b.trading_allowed = false;
        assert_eq!(skip(&report(90), DEEP, &b), Some(SkipReason::TradingHalted));
        let mut b = book();
        b.in_flight = p.concurrent_trades;
        assert_eq!(skip(&report(90), DEEP, &b), Some(SkipReason::InFlight));
        let mut b = book();
        b.open_positions = p.max_positions;
        assert_eq!(skip(&report(90), DEEP, &b), Some(SkipReason::Positions));
        let mut b = book();
        b.total_exposure = p.max_total_exposure;
        assert_eq!(skip(&report(90), DEEP, &b), Some(SkipReason::Budget));
        let mut b = book();
        b.idle = SOL / 20;
        assert_eq!(skip(&report(90), DEEP, &b), Some(SkipReason::Budget));
    }

    #[test]
    fn entry_shrinks_to_the_impact_cap_and_the_exposure_room() {
        let p = tier();
        // A 25-unit pool: 3% impact allows about 0.77 units.
        let shallow = (1_000_000 * SOL, 25 * SOL);
        match entry(&p, &report(90), shallow, 30, &book()) {
            Entry::Buy { amount, .. } => {
                assert_eq!(amount, (25 * SOL as u128 * 300 / 9_700) as u64)
            }
            e => panic!("{e:?}"),
        }
        let mut b = book();
        b.total_exposure = p.max_total_exposure - SOL / 2;
        match entry(&p, &report(90), DEEP, 30, &b) {
            Entry::Buy { amount, .. } => assert_eq!(amount, SOL / 2),
            e => panic!("{e:?}"),
        }
    }

    fn position(cost: u64, amount: u64) -> Position {
        Position {
            version: 1,
            bump: 0,
            token_account_bump: 0,
            vault: Default::default(),
            mint: Default::default(),
            token_program: Default::default(),
            token_account: Default::default(),
            venue: Default::default(),
            pool: Default::default(),
            amount,
            ladder_base: amount,
            cost_basis: cost,
            realized_pnl: 0,
            safety_score: 80,
            opened_at: 1_000,
            last_trade_at: 1_000,
            plan: ExitPlan::default(),
            mark_value: 0,
            mark_slot: 0,
            prior_mark_value: 0,
            marked_round: 0,
            total_bought: cost,
            total_sold: 0,
        }
    }

    const NOW: i64 = 2_000;
    const HOLD: i64 = 1_000_000;

    #[test]
    fn exits_follow_the_plan() {
        let w = Watch::default();
        let p = position(100, 1_000);
        assert_eq!(exit(&p, 150, &w, NOW, HOLD), Exit::Hold);
        assert_eq!(
            exit(&p, 200, &w, NOW, HOLD),
            Exit::Ladder {
                step: 0,
                amount: 300
            }
        );
        assert_eq!(exit(&p, 50, &w, NOW, HOLD), Exit::StopLoss);
        assert_eq!(exit(&p, 51, &w, NOW, HOLD), Exit::Hold);
        // Later steps, and the last step sells what is left.
        let mut p2 = p.clone();
        p2.plan.ladder[0].done = true;
        assert_eq!(exit(&p2, 499, &w, NOW, HOLD), Exit::Hold);
        assert_eq!(
            exit(&p2, 500, &w, NOW, HOLD),
            Exit::Ladder {
                step: 1,
                amount: 300
            }
        );
        p2.plan.ladder[1].done = true;
        p2.amount = 417;
        assert_eq!(
            exit(&p2, 1_000, &w, NOW, HOLD),
            Exit::Ladder {
                step: 2,
                amount: 417
            }
        );
        assert_eq!(
            exit(&p, 150, &w, p.opened_at + 7_200, 7_200),
            Exit::TimeStop
        );
        assert_eq!(exit(&p, 150, &w, p.opened_at + 7_199, 7_200), Exit::Hold);
    }

    #[test]
    fn rug_signals_trigger_an_exit_before_anything_else() {
        let p = position(100, 1_000);
        let frozen = Watch {
            frozen: true,
            ..Default::default()
        };
        assert!(matches!(exit(&p, 900, &frozen, NOW, HOLD), Exit::Run(_)));
        let minted = Watch {
            supply_before: 1_000,
            supply_now: 1_001,
            ..Default::default()
        };
        assert!(matches!(exit(&p, 900, &minted, NOW, HOLD), Exit::Run(_)));
        let pulled = Watch {
            quote_reserve_before: 1_000,
            quote_reserve_now: 499,
            ..Default::default()
        };
        assert!(matches!(exit(&p, 900, &pulled, NOW, HOLD), Exit::Run(_)));
        let dip = Watch {
            quote_reserve_before: 1_000,
            quote_reserve_now: 500,
            ..Default::default()
        };
        assert_eq!(exit(&p, 150, &dip, NOW, HOLD), Exit::Hold);
    }

    fn plan() -> LeveragePlan {
        tier().leverage.unwrap()
    }

    #[test]
    fn a_healthy_loop_is_left_alone() {
        let s = LoopState {
            collateral_amount: 250,
            collateral_value: 250,
            threshold_bps: 9_000,
            debt: 150,
        };
        assert_eq!(s.health_bps(), 15_000);
        assert_eq!(maintain(&plan(), &s), LeverageAction::Hold);
        let none = LoopState { debt: 0, ..s };
        assert_eq!(maintain(&plan(), &none), LeverageAction::Hold);
    }

    proptest! {
        /// Deleveraging at oracle value brings health back to at least the target, never repays
        /// more than the debt, and never sells more collateral than there is.
        #[test]
        fn deleveraging_restores_the_target(
            value in 1_000u64..1_000_000_000_000,
            debt_share_bps in 6_500u64..8_900,
            threshold in 7_000u64..9_500,
        ) {
            let debt = (value as u128 * debt_share_bps as u128 / 10_000) as u64;
            let s = LoopState {
                collateral_amount: value,
                collateral_value: value,
                threshold_bps: threshold,
                debt,
            };
            let p = plan();
            match maintain(&p, &s) {
                LeverageAction::Hold => prop_assert!(s.health_bps() >= p.deleverage_below_bps),
                LeverageAction::Deleverage { debt: repay, collateral } => {
                    prop_assert!(s.health_bps() < p.deleverage_below_bps);
                    prop_assert!(repay <= s.debt && collateral <= s.collateral_amount);
                    let after = LoopState {
                        collateral_amount: s.collateral_amount - collateral,
                        collateral_value: s.collateral_value - repay,
                        threshold_bps: threshold,
                        debt: s.debt - repay,
                    };
                    if after.debt > 0 {
                        prop_assert!(after.health_bps() + 1 >= p.target_health_bps,
                            "health {} after repaying {repay}", after.health_bps());
                    }
                }
            }
        }
    }
}
