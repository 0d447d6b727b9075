//! `vault status`: what anyone can read about a vault — NAV, positions, leverage loops with
//! their health, every limit and how much of it is used, the breaker, and governance.

use super::{load_governance, show_duration, utc, VaultView};
use crate::chain::Chain;
use anchor_lang::{AccountDeserialize, Discriminator};
use anyhow::Result;
use serde::Serialize;
use vault::state::{BreakerReason, LeverageLoop, Position};

#[derive(Clone, Debug, Serialize)]
pub struct PositionRow {
    pub mint: String,
    pub pool: String,
    pub amount: u64,
    pub cost_basis: u64,
    /// The lower of the two latest marks: what NAV counts.
    pub value: u64,
    pub realized_pnl: i64,
    pub safety_score: u8,
    pub opened_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoopRow {
    pub address: String,
    pub collateral_mint: String,
    pub capital: u64,
    pub exposure: u64,
    pub collateral_amount: u64,
    pub debt: u64,
    /// Health factor in basis points (1.3 is 13,000) at the last update.
    pub health_bps: u64,
    pub flagged: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct LimitRow {
    pub limit: &'static str,
    pub used: String,
    pub max: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct VaultStatus {
    pub vault: String,
    pub base_mint: String,
    pub decimals: u8,
    /// Official NAV (positions at the lower of their two latest marks), base units.
    pub nav: u64,
    pub nav_ui: String,
    /// NAV with positions at the higher marks (what deposits are priced on).
    pub nav_high: u64,
    pub idle: u64,
    pub total_shares: u64,
    /// Base units 1,000 shares are worth (a new vault issues 1,000 shares per base unit).
    pub base_units_per_1000_shares: u64,
    pub depositors: u64,
    pub pending_withdrawals: u64,
    pub uncollected_fee_shares: u64,
    pub realized_pnl: i64,
    pub deposits_paused: bool,
    pub trading_paused: bool,
    pub emergency_deleverage: bool,
    pub breaker_tripped: bool,
    pub breaker_reason: &'static str,
    pub breaker_tripped_at: Option<i64>,
    pub last_full_mark_at: i64,
    pub lockup: String,
    pub notice: String,
    pub keeper: String,
    pub members: usize,
    pub threshold: u8,
    pub timelock: String,
    pub proposals: u64,
    pub positions: Vec<PositionRow>,
    pub leverage_loops: Vec<LoopRow>,
    pub limits: Vec<LimitRow>,
}

async fn owned<C: Chain, T: AccountDeserialize + Discriminator>(
    chain: &mut C,
    v: &VaultView,
    vault_offset: usize,
) -> Result<Vec<(solana_sdk::pubkey::Pubkey, T)>> {
    let list = chain
        .program_accounts(&vault::ID, T::DISCRIMINATOR, vault_offset, &v.address)
        .await?;
    Ok(list
        .into_iter()
        .filter_map(|(k, a)| {
            T::try_deserialize(&mut a.data.as_slice())
                .ok()
                .map(|t| (k, t))
        })
        .collect())
}

pub async fn status<C: Chain>(chain: &mut C, v: &VaultView) -> Result<VaultStatus> {
    let g = load_governance(chain, v).await?;
    let vv = &v.vault;
    // Account layouts: 8-byte discriminator, then version and bump(s), then the vault key.
    let positions: Vec<(_, Position)> = owned(chain, v, 8 + 3).await?;
    let loops: Vec<(_, LeverageLoop)> = owned(chain, v, 8 + 2).await?;
    let positions: Vec<PositionRow> = positions
        .into_iter()
        .filter(|(_, p)| p.amount > 0)
        .map(|(_, p)| PositionRow {
            mint: p.mint.to_string(),
            pool: p.pool.to_string(),
            amount: p.amount,
            cost_basis: p.cost_basis,
            value: p.contribution().0,
            realized_pnl: p.realized_pnl,
            safety_score: p.safety_score,
            opened_at: p.opened_at,
        })
        .collect();
    let loops: Vec<LoopRow> = loops
        .into_iter()
        .filter(|(_, l)| l.is_open())
        .map(|(k, l)| LoopRow {
            address: k.to_string(),
            collateral_mint: l.collateral_mint.to_string(),
            capital: l.capital,
            exposure: l.exposure,
            collateral_amount: l.collateral_amount,
            debt: l.debt,
            health_bps: l.health_bps,
            flagged: l.flagged,
        })
        .collect();
    let r = &vv.risk;
    let ui = |a: u64| v.ui(a);
    let largest_token = positions.iter().map(|p| p.cost_basis).max().unwrap_or(0);
    let lowest_health = loops.iter().map(|l| l.health_bps).min();
    let limits = vec![
        LimitRow {
            limit: "open positions",
            used: vv.open_positions.to_string(),
            max: r.max_open_positions.to_string(),
        },
        LimitRow {
            limit: "total exposure",
            used: ui(vv.total_exposure),
            max: ui(r.max_total_exposure),
        },
        LimitRow {
            limit: "exposure per token (largest)",
            used: ui(largest_token),
            max: ui(r.max_exposure_per_token),
        },
        LimitRow {
            limit: "buy per trade",
            used: "-".into(),
            max: ui(r.max_buy_per_trade),
        },
        LimitRow {
            limit: "safety score",
            used: "-".into(),
            max: format!("≥ {}", r.min_safety_score),
        },
        LimitRow {
            limit: "daily loss",
            used: "-".into(),
            max: format!("{} bps", r.daily_loss_limit_bps),
        },
        LimitRow {
            limit: "drawdown",
            used: "-".into(),
            max: format!("{} bps", r.max_drawdown_bps),
        },
        LimitRow {
            limit: "health factor (lowest loop)",
            used: lowest_health.map_or("-".into(), |h| format!("{h} bps")),
            max: format!("≥ {} bps", r.min_health_factor_bps),
        },
        LimitRow {
            limit: "max AUM",
            used: ui(vv.total_assets()),
            max: if vv.config.max_aum == u64::MAX {
                "none".into()
            } else {
                ui(vv.config.max_aum)
            },
        },
    ];
    Ok(VaultStatus {
        vault: v.address.to_string(),
        base_mint: vv.base_mint.to_string(),
        decimals: v.decimals(),
        nav: vv.total_assets(),
        nav_ui: ui(vv.total_assets()),
        nav_high: vv.total_assets_high(),
        idle: vv.idle_assets,
        total_shares: vv.total_shares,
        base_units_per_1000_shares: v.value_of(1_000),
        depositors: vv.depositor_count,
        pending_withdrawals: vv.pending_withdraw_value,
        uncollected_fee_shares: vv.fee_shares,
        realized_pnl: vv.realized_pnl,
        deposits_paused: vv.config.deposits_paused,
        trading_paused: vv.config.trading_paused,
        emergency_deleverage: vv.emergency_deleverage,
        breaker_tripped: vv.breaker.tripped,
        breaker_reason: match vv.breaker.reason {
            BreakerReason::None => "none",
            BreakerReason::DailyLoss => "daily loss",
            BreakerReason::Drawdown => "drawdown",
        },
        breaker_tripped_at: vv.breaker.tripped.then_some(vv.breaker.tripped_at),
        last_full_mark_at: vv.last_full_mark_at,
        lockup: show_duration(vv.config.lockup_seconds),
        notice: show_duration(vv.config.notice_seconds),
        keeper: vv.config.keeper.to_string(),
        members: g.members.len(),
        threshold: g.threshold,
        timelock: show_duration(g.timelock_seconds),
        proposals: g.proposal_index,
        positions,
        leverage_loops: loops,
        limits,
    })
}

pub fn render(s: &VaultStatus) -> String {
    let ui = |a: u64| super::amount::format_ui(a, s.decimals);
    let flag = |b: bool| if b { "yes" } else { "no" };
    let mut out = super::table(
        &["vault", &s.vault],
        &[
            vec!["base mint".into(), s.base_mint.clone()],
            vec![
                "NAV".into(),
                format!("{} (deposits priced at {})", s.nav_ui, ui(s.nav_high)),
            ],
            vec!["idle".into(), ui(s.idle)],
            vec![
                "1,000 shares are worth".into(),
                format!("{} base units", s.base_units_per_1000_shares),
            ],
            vec!["depositors".into(), s.depositors.to_string()],
            vec!["pending withdrawals".into(), ui(s.pending_withdrawals)],
            vec!["realized PnL".into(), s.realized_pnl.to_string()],
            vec![
                "breaker".into(),
                match s.breaker_tripped_at {
                    Some(t) => format!("TRIPPED ({}) at {}", s.breaker_reason, utc(t)),
                    None => "armed".into(),
                },
            ],
            vec![
                "paused".into(),
                format!(
                    "deposits {}, trading {}, emergency deleverage {}",
                    flag(s.deposits_paused),
                    flag(s.trading_paused),
                    flag(s.emergency_deleverage)
                ),
            ],
            vec![
                "lock-up / notice".into(),
                format!("{} / {}", s.lockup, s.notice),
            ],
            vec!["keeper".into(), s.keeper.clone()],
            vec![
                "governance".into(),
                format!(
                    "{}-of-{} members, timelock {}, {} proposals",
                    s.threshold, s.members, s.timelock, s.proposals
                ),
            ],
        ],
    );
    out.push('\n');
    let rows: Vec<Vec<String>> = s
        .limits
        .iter()
        .map(|l| vec![l.limit.to_string(), l.used.clone(), l.max.clone()])
        .collect();
    out.push_str(&super::table(&["limit", "used", "max"], &rows));
    out.push('\n');
    if s.positions.is_empty() {
        out.push_str("no open positions\n");
    } else {
        let rows: Vec<Vec<String>> = s
            .positions
            .iter()
            .map(|p| {
                vec![
                    p.mint.clone(),
                    ui(p.cost_basis),
                    ui(p.value),
                    p.safety_score.to_string(),
                    utc(p.opened_at),
                ]
            })
            .collect();
        out.push_str(&super::table(
            &["position", "cost", "value", "score", "opened"],
            &rows,
        ));
    }
    if !s.leverage_loops.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = s
            .leverage_loops
            .iter()
            .map(|l| {
                vec![
                    l.collateral_mint.clone(),
                    ui(l.capital),
                    ui(l.exposure),
                    ui(l.debt),
                    format!("{:.2}", l.health_bps as f64 / 10_000.0),
                    flag(l.flagged).into(),
                ]
            })
            .collect();
        out.push_str(&super::table(
            &[
                "leverage loop",
                "capital",
                "exposure",
                "debt",
                "health",
                "flagged",
            ],
            &rows,
        ));
    }
    out
}
