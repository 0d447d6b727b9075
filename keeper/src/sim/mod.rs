//! `keeper sim`: the whole system on the embedded chain. A vault with 2-of-3 governance and
//! three investors, the keeper trading it through the same pipeline it runs on a cluster, a
//! market of honest launches and rugs under one of the seed's stress scenarios, and a report.

pub mod market;
pub mod report;

use crate::chain::local::{Congestion, LocalChain};
use crate::chain::Chain;
use crate::journal::Journal;
use crate::pipeline::{Keeper, KeeperConfig, LoopSetup};
use crate::score::Weights;
use crate::strategy::{self, Preset, SOL};
use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use flashforge_tests::vault_fixture::{test_tiers, VaultFixture};
use flashforge_tests::{TestChain, TokenProgram};
use market::Market;
use serde::Serialize;
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;
use std::time::Instant;
use vault::instructions::GovernanceParams;
use vault::state::{GovernanceAction, Member, VenueEntry, PERMISSION_ALL};

/// Seconds of chain time per tick.
pub const TICK_SECONDS: i64 = 60;
/// Dollars per whole base token, for sizing the fund from a tier's budget.
pub const USD_PER_SOL: u64 = 150;

/// The seed's stress scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// A third of launches are rugs, pulled at random times.
    Normal,
    /// Mid-run, every price falls 65% for three ticks and recovers to 60%; the leverage
    /// collateral falls 20%.
    FlashCrash,
    /// Seven launches in ten are rugs, pulled together.
    RugPullWave,
    /// Half the keeper's transactions are dropped or land late; priority fees jump.
    NetworkCongestion,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::FlashCrash => "flash_crash",
            Scenario::RugPullWave => "rug_pull_wave",
            Scenario::NetworkCongestion => "network_congestion",
        }
    }
}

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub scenario: Scenario,
    pub seed: u64,
    pub pools: u32,
    /// Ticks to run; by default twice the pool count, at least 120.
    pub ticks: Option<u32>,
    pub out: PathBuf,
    pub preset: Preset,
    pub weights: Weights,
    pub progress: bool,
}

/// The machine-readable result (`summary.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: &'static str,
    pub seed: u64,
    pub tier: String,
    pub ticks: u32,
    pub pools_seen: u64,
    pub pools_launched: u64,
    pub rugs_created: u64,
    pub rugs_pulled: u64,
    pub rugs_bought: u64,
    pub rugs_avoided: u64,
    /// Rugs bought, by the red flag they carried.
    pub rugs_bought_by_kind: std::collections::BTreeMap<String, u64>,
    /// Rugs whose safety score was below the tier's minimum (caught by the score alone).
    pub rugs_rejected_by_score: u64,
    /// Honest tokens whose score was below the minimum (false alarms).
    pub honest_rejected_by_score: u64,
    pub honest_bought: u64,
    pub trades: u64,
    pub buys: u64,
    pub ladder_sells: u64,
    pub stop_losses: u64,
    pub rug_exits: u64,
    pub time_stops: u64,
    pub pools_skipped: std::collections::BTreeMap<crate::strategy::SkipReason, u64>,
    pub orders_sent: u64,
    pub orders_expired: u64,
    pub orders_rejected_by_vault: u64,
    pub vault_rejections: std::collections::BTreeMap<String, u64>,
    /// Failures that were not the vault's refusals, by message.
    pub other_failures: std::collections::BTreeMap<String, u64>,
    pub breaker_trips: u64,
    pub breaker_resets: u64,
    pub nav_start: u64,
    pub nav_end: u64,
    pub realized_pnl: i64,
    pub unrealized_pnl: i64,
    pub return_pct: f64,
    pub max_drawdown_pct: f64,
    pub sharpe: f64,
    pub leverage_loops_opened: u64,
    pub deleverages: u64,
    pub open_positions_end: u16,
    pub cluster: ClusterStats,
    pub wall_seconds: f64,
    pub peak_rss_kb: Option<u64>,
    /// Resident set once the embedded chain, the vault and the keeper are up, before the
    /// first tick: the floor that the run's growth adds to.
    pub rss_after_boot_kb: Option<u64>,
}

/// What the embedded cluster did with the keeper's transactions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClusterStats {
    pub sent: u64,
    pub dropped: u64,
    pub delayed: u64,
    pub expired: u64,
    pub market_transactions: u64,
}

/// One NAV observation.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct NavPoint {
    pub tick: u32,
    pub time: i64,
    pub nav: u64,
    pub share_price: f64,
}

/// The collateral the fund keeps leveraged and the lender around it.
struct CoreCollateral {
    setup: LoopSetup,
    lender: flashforge_tests::lender_fixture::LenderFixture,
    trader: Keypair,
}

/// Sends this process's standard output to a file until dropped (Unix; elsewhere a no-op).
/// The embedded programs print their `msg!` lines to standard output when run natively.
pub struct StdoutTo {
    #[cfg(unix)]
    saved: i32,
}

impl StdoutTo {
    pub fn file(path: &std::path::Path) -> Result<Self> {
        #[cfg(unix)]
        {
            use std::io::Write;
            use std::os::fd::AsRawFd;
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            std::io::stdout().flush()?;
            // SAFETY: plain descriptor duplication; `saved` is restored and closed on drop.
            let saved = unsafe { libc::dup(1) };
            if saved < 0 || unsafe { libc::dup2(f.as_raw_fd(), 1) } < 0 {
                anyhow::bail!("redirecting standard output to {}", path.display());
            }
            Ok(Self { saved })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            Ok(Self {})
        }
    }
}

impl Drop for StdoutTo {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use std::io::Write;
            let _ = std::io::stdout().flush();
            // SAFETY: restores the descriptor saved in `file`.
            unsafe {
                libc::dup2(self.saved, 1);
                libc::close(self.saved);
            }
        }
    }
}

/// Where the operators are with a tripped breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reset {
    Idle,
    /// Seen; they act at this time.
    Noticed(i64),
    /// Proposed and approved; executable at this time.
    Proposed(u64, i64),
}

/// A kilobyte figure of this process from `/proc/self/status` (Linux only).
fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Peak resident set size of this process, kilobytes.
pub fn peak_rss_kb() -> Option<u64> {
    status_kb("VmHWM")
}

/// Resident set size of this process now, kilobytes.
pub fn rss_kb() -> Option<u64> {
    status_kb("VmRSS")
}

/// Proposes `action` and approves it with two of the three members; returns the proposal
/// index and the seconds it must wait before execution.
async fn propose_approved(
    chain: &mut TestChain,
    f: &VaultFixture,
    members: &[Keypair; 2],
    action: GovernanceAction,
) -> Result<(u64, i64)> {
    let (index, out) = chain.propose(f, &members[0], action.clone()).await;
    out.result.context("proposing")?;
    for m in members {
        chain
            .approve(f, m, index)
            .await
            .result
            .context("approving")?;
    }
    Ok((index, chain.delay_for(f, &action).await))
}

/// Passes `action` through 2-of-3 governance: propose, two approvals, wait, execute.
async fn govern(
    chain: &mut TestChain,
    f: &VaultFixture,
    members: &[Keypair; 2],
    action: GovernanceAction,
) -> Result<()> {
    let (index, delay) = propose_approved(chain, f, members, action).await?;
    if delay > 0 {
        chain.warp_seconds(delay).await;
    }
    chain
        .execute(f, &members[0], index)
        .await
        .result
        .context("executing")?;
    Ok(())
}

/// Everything a simulation runs: the embedded chain, the market, the keeper, and the
/// vault's operators.
pub struct World {
    pub local: LocalChain,
    pub market: Market,
    pub keeper: Keeper,
    pub ticks: u32,
    f: VaultFixture,
    two: [Keypair; 2],
    core: Option<CoreCollateral>,
}

impl World {
    /// The chain, the market and the keeper, without the operators.
    pub fn into_parts(self) -> (LocalChain, Market, Keeper) {
        (self.local, self.market, self.keeper)
    }
}

/// Builds the world of `cfg`: chain, vault with governance and investors, core collateral and
/// lender (for tiers that lever), market, and the keeper journaling to `journal`.
pub async fn build(cfg: &SimConfig, journal: Journal) -> Result<World> {
    let ticks = cfg.ticks.unwrap_or((cfg.pools * 2).max(120));
    let mut chain = TestChain::start().await;
    let base = chain.create_mint(TokenProgram::Spl, 9, &[]).await;

    // The vault: 2-of-3 governance with a one-hour timelock and a guardian, the tier's
    // limits, and three investors.
    let members: [Keypair; 3] = [Keypair::new(), Keypair::new(), Keypair::new()];
    for m in &members {
        chain.fund(&m.pubkey(), 1_000_000_000).await;
    }
    let preset = cfg.preset.clone();
    let limits = preset.risk_limits(9)?;
    let member_keys: Vec<Pubkey> = members.iter().map(|m| m.pubkey()).collect();
    let (f, out) = chain
        .try_create_vault_on(base, TokenProgram::Spl, |p| {
            let mut ms: Vec<Member> = member_keys
                .iter()
                .map(|k| Member {
                    key: *k,
                    permissions: PERMISSION_ALL,
                    guardian: false,
                })
                .collect();
            ms.push(Member {
                key: p.governance.members[1].key,
                permissions: 0,
                guardian: true,
            });
            p.governance = GovernanceParams {
                members: ms,
                threshold: 2,
                timelock_seconds: 3_600,
                proposal_lifetime_seconds: 7 * 24 * 3_600,
            };
            p.tiers = Some(test_tiers());
            p.risk_limits = Some(limits);
        })
        .await;
    out.result.context("creating the vault")?;
    let two = [members[0].insecure_clone(), members[1].insecure_clone()];
    govern(
        &mut chain,
        &f,
        &two,
        GovernanceAction::AllowVenue(VenueEntry {
            program: local_amm::ID,
            any_pool: true,
            any_mint: true,
        }),
    )
    .await?;
    let fund_size = preset.budget_base_units(USD_PER_SOL);
    for share in [5u64, 3, 2] {
        let amount = fund_size * share / 10;
        let (investor, ata) = chain.investor(&base, amount).await;
        chain
            .deposit(&f, &investor, &ata, amount)
            .await
            .result
            .context("depositing")?;
    }
    let keeper_kp = f.keeper.insecure_clone();
    chain.fund(&keeper_kp.pubkey(), 100 * SOL).await;
    let probe_account = chain.token_account(&base, &keeper_kp.pubkey()).await;
    chain.mint_to(&base, &probe_account, SOL).await;

    let core = match preset.leverage {
        Some(plan) => Some(core_collateral(&mut chain, &f, plan).await?),
        None => None,
    };

    let market = Market::new(
        &mut chain,
        cfg.scenario,
        cfg.seed,
        cfg.pools,
        ticks,
        base,
        f.keys.vault,
    )
    .await?;

    // From here on, the keeper sees the chain only through the `Chain` trait.
    let mut local = LocalChain::new(chain, cfg.seed);
    if cfg.scenario == Scenario::NetworkCongestion {
        local.set_congestion(Congestion {
            drop_rate: 0.25,
            delay_rate: 0.25,
            delay_slots: 2,
            fee_floor: 250_000,
        });
    }
    let kcfg = KeeperConfig {
        preset: preset.clone(),
        weights: cfg.weights.clone(),
        exec: Default::default(),
        vault: f.keys,
        watch: vec![local_amm::ID],
        probe_quote_account: Some(probe_account),
        leverage: core.as_ref().map(|c| c.setup.clone()),
    };
    let keeper = Keeper::new(kcfg, keeper_kp, journal);
    Ok(World {
        local,
        market,
        keeper,
        ticks,
        f,
        two,
        core,
    })
}

/// Runs the simulation and writes `summary.json`, `report.html` and the journal to `out`.
pub async fn run(cfg: SimConfig) -> Result<Summary> {
    let started = Instant::now();
    std::fs::create_dir_all(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
    let journal_path = cfg.out.join("journal.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", journal_path.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    let journal = Journal::open(&journal_path)?;
    let World {
        mut local,
        mut market,
        mut keeper,
        ticks,
        f,
        two,
        core,
    } = build(&cfg, journal).await?;
    let rss_after_boot_kb = rss_kb();
    let preset = cfg.preset.clone();

    let bar = if cfg.progress {
        let b = indicatif::ProgressBar::new(ticks as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} ticks  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };

    let mut navs: Vec<NavPoint> = Vec::with_capacity(ticks as usize + 1);
    let mut breaker_resets = 0u64;
    let mut reset = Reset::Idle;
    let mut nav_start = 0u64;
    for tick in 0..ticks {
        market.step(&mut local.chain, tick).await?;
        if let Some(c) = &core {
            move_core_price(&mut local.chain, c, market.crash_factor(tick)).await?;
        }
        keeper.tick(&mut local).await?;
        let v = keeper
            .vault_state
            .clone()
            .context("the keeper read the vault")?;
        let now = local.now().await?;
        if tick == 0 {
            nav_start = v.total_assets();
        }
        let price = v.total_assets() as f64 / v.total_shares.max(1) as f64;
        navs.push(NavPoint {
            tick,
            time: now,
            nav: v.total_assets(),
            share_price: price,
        });
        // The operators look at a tripped breaker after half an hour, propose a reset, and
        // execute it once the timelock allows.
        match reset {
            Reset::Idle if v.breaker.tripped => reset = Reset::Noticed(now + 1_800),
            Reset::Noticed(at) if now >= at => {
                let (index, delay) = propose_approved(
                    &mut local.chain,
                    &f,
                    &two,
                    GovernanceAction::ResetCircuitBreaker,
                )
                .await?;
                reset = Reset::Proposed(index, now + delay);
            }
            Reset::Proposed(index, at) if now >= at => {
                let out = local.chain.execute(&f, &two[0], index).await;
                if out.result.is_ok() {
                    breaker_resets += 1;
                }
                reset = Reset::Idle;
            }
            _ => {}
        }
        bar.set_message(format!(
            "pools {} · positions {} · NAV {:.3}",
            keeper.stats.pools_seen,
            v.open_positions,
            v.total_assets() as f64 / SOL as f64
        ));
        bar.inc(1);
        local.advance(TICK_SECONDS).await?;
    }
    bar.finish_and_clear();

    let v = keeper.vault_state.clone().context("vault state")?;
    let rugs_bought = keeper
        .stats
        .mints_bought
        .iter()
        .filter(|m| market.kinds.get(m).is_some_and(|k| k.is_rug()))
        .count() as u64;
    let honest_bought = keeper.stats.mints_bought.len() as u64 - rugs_bought;
    let below = |rug: bool| {
        keeper
            .stats
            .scores
            .iter()
            .filter(|(m, score)| {
                *score < preset.min_safety_score
                    && market.kinds.get(m).is_some_and(|k| k.is_rug() == rug)
            })
            .count() as u64
    };
    let nav_end = v.total_assets();
    let realized = v.realized_pnl;
    let summary = Summary {
        scenario: cfg.scenario.name(),
        seed: cfg.seed,
        tier: preset.name.clone(),
        ticks,
        pools_seen: keeper.stats.pools_seen,
        pools_launched: market.stats.launches,
        rugs_created: market.stats.rugs_created,
        rugs_pulled: market.stats.rugs_pulled,
        rugs_bought,
        rugs_avoided: market.stats.rugs_created - rugs_bought,
        rugs_bought_by_kind: keeper
            .stats
            .mints_bought
            .iter()
            .filter_map(|m| market.kinds.get(m).filter(|k| k.is_rug()))
            .fold(Default::default(), |mut acc, k| {
                *acc.entry(format!("{k:?}")).or_default() += 1;
                acc
            }),
        rugs_rejected_by_score: below(true),
        honest_rejected_by_score: below(false),
        honest_bought,
        trades: keeper.trades.len() as u64,
        buys: keeper.stats.buys,
        ladder_sells: keeper.stats.ladder_sells,
        stop_losses: keeper.stats.stop_losses,
        rug_exits: keeper.stats.rug_exits,
        time_stops: keeper.stats.time_stops,
        pools_skipped: keeper.stats.skips.clone(),
        orders_sent: keeper.stats.orders_sent,
        orders_expired: keeper.stats.orders_expired,
        orders_rejected_by_vault: keeper.stats.orders_rejected_by_vault(),
        vault_rejections: keeper.stats.vault_rejections.clone(),
        other_failures: keeper.stats.other_failures.clone(),
        breaker_trips: keeper.stats.breaker_trips,
        breaker_resets,
        nav_start,
        nav_end,
        realized_pnl: realized,
        unrealized_pnl: nav_end as i64 - nav_start as i64 - realized,
        return_pct: pct_change(nav_start, nav_end),
        max_drawdown_pct: report::max_drawdown_pct(&navs),
        sharpe: report::sharpe(&navs, TICK_SECONDS),
        leverage_loops_opened: keeper.stats.leverage_loops_opened,
        deleverages: keeper.stats.deleverages,
        open_positions_end: v.open_positions,
        cluster: ClusterStats {
            sent: local.stats.sent,
            dropped: local.stats.dropped,
            delayed: local.stats.delayed,
            expired: local.stats.expired,
            market_transactions: market.stats.trades,
        },
        wall_seconds: started.elapsed().as_secs_f64(),
        peak_rss_kb: peak_rss_kb(),
        rss_after_boot_kb,
    };
    report::write(&cfg.out, &summary, &navs, &keeper.trades, &market.kinds)?;
    Ok(summary)
}

fn pct_change(a: u64, b: u64) -> f64 {
    if a == 0 {
        return 0.0;
    }
    (b as f64 - a as f64) / a as f64 * 100.0
}

/// The core collateral: a liquid staking-like token trading near 1:1 with the base in a deep
/// pool, and a lending market that lends base against it, both oracles at $150.
async fn core_collateral(
    chain: &mut TestChain,
    f: &VaultFixture,
    plan: strategy::LeveragePlan,
) -> Result<CoreCollateral> {
    use flashforge_tests::lender_fixture::{test_reserve_config, ONE_DOLLAR};
    let base = f.keys.base_mint;
    let lst = chain.create_mint(TokenProgram::Spl, 9, &[]).await;
    let (pool, out) = chain
        .create_pool(
            (base, TokenProgram::Spl),
            (lst, TokenProgram::Spl),
            50_000 * SOL,
            50_000 * SOL,
            5,
        )
        .await;
    out.result.context("creating the collateral pool")?;
    let lender = chain.lending_market(0).await;
    let price = USD_PER_SOL * ONE_DOLLAR;
    let base_reserve = chain
        .reserve(
            &lender,
            &base,
            TokenProgram::Spl,
            test_reserve_config(),
            price,
            100_000 * SOL,
        )
        .await;
    let collateral_reserve = chain
        .reserve(
            &lender,
            &lst,
            TokenProgram::Spl,
            test_reserve_config(),
            price,
            0,
        )
        .await;
    let keys = vault::client::leverage::LoopKeys {
        vault: f.keys,
        market: vault::client::Market {
            mint: lst,
            token_program: spl_token_interface::ID,
            pool: pool.keys,
        },
        lender_market: lender.market,
        collateral_reserve,
        borrow_reserve: base_reserve,
    };
    // One lookup table with every non-signer account the loop's transactions use.
    let keeper = f.keeper.pubkey();
    let sources = [vault::client::leverage::FlashSource {
        reserve: base_reserve,
        amount: SOL,
        fee_bps: test_reserve_config().flash_fee_bps,
    }];
    let mut ixs = vault::client::leverage::open(
        &keys,
        &keeper,
        1,
        &sources,
        vault::instructions::OpenStepArgs {
            capital: SOL,
            min_collateral_out: 0,
            borrow_amount: SOL,
            repay_total: SOL,
        },
        Default::default(),
    );
    ixs.extend(vault::client::leverage::unwind(
        &keys,
        &keeper,
        1,
        &sources,
        vault::instructions::UnwindStepArgs {
            repay_debt: SOL,
            withdraw_collateral: SOL,
            min_base_out: 0,
            repay_total: SOL,
        },
        Default::default(),
    ));
    let mut addresses = flashforge_tests::leverage_fixture::table_addresses(&ixs);
    addresses.push(solana_compute_budget_interface::ID);
    addresses.sort();
    addresses.dedup();
    let table = chain.lookup_table(addresses).await;
    let trader = chain.funded_keypair(10 * SOL).await;
    let tb = chain.token_account(&base, &trader.pubkey()).await;
    let tl = chain.token_account(&lst, &trader.pubkey()).await;
    chain.mint_to(&base, &tb, 1_000_000 * SOL).await;
    chain.mint_to(&lst, &tl, 1_000_000 * SOL).await;
    Ok(CoreCollateral {
        setup: LoopSetup {
            keys,
            flash_reserves: vec![(base_reserve, test_reserve_config().flash_fee_bps)],
            table,
            plan,
        },
        lender,
        trader,
    })
}

/// Moves the collateral's pool toward its target (1.0, less the crash) and publishes both
/// oracle prices.
async fn move_core_price(chain: &mut TestChain, c: &CoreCollateral, crash: f64) -> Result<()> {
    use flashforge_tests::lender_fixture::ONE_DOLLAR;
    // The collateral falls a third as far as the memecoins do.
    let target = 1.0 - (1.0 - crash) / 3.0;
    let keys = &c.setup.keys;
    let lst = keys.market.mint;
    let pool = chain.pool_state(&keys.market.pool).await;
    let (lst_r, base_r) = pool.reserves_for(&lst).context("collateral pool")?;
    let price = base_r as f64 / lst_r as f64;
    let k = base_r as f64 * lst_r as f64;
    if (target / price - 1.0).abs() > 0.002 {
        let (mint_in, amount) = if target > price {
            (
                keys.vault.base_mint,
                ((k * target).sqrt() - base_r as f64) as u64,
            )
        } else {
            (lst, ((k / target).sqrt() - lst_r as f64) as u64)
        };
        if amount > 0 {
            let trader = c.trader.insecure_clone();
            chain
                .swap(&keys.market.pool, &trader, &mint_in, amount, 0)
                .await;
        }
    }
    let pool = chain.pool_state(&keys.market.pool).await;
    let (lst_r, base_r) = pool.reserves_for(&lst).context("collateral pool")?;
    let usd = (USD_PER_SOL * ONE_DOLLAR) as u128;
    let lst_price = (usd * base_r as u128 / lst_r as u128) as u64;
    chain
        .set_price(&c.lender, &keys.borrow_reserve, usd as u64)
        .await
        .result
        .context("publishing the base price")?;
    chain
        .set_price(&c.lender, &keys.collateral_reserve, lst_price)
        .await
        .result
        .context("publishing the collateral price")?;
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn resident_set_figures_are_read_and_ordered() {
        // Current first: the peak read afterwards covers it even if other test threads grow
        // the process in between.
        let now = super::rss_kb().expect("VmRSS");
        let peak = super::peak_rss_kb().expect("VmHWM");
        assert!(now > 0 && now <= peak, "now {now} kB, peak {peak} kB");
        assert_eq!(super::status_kb("NoSuchField"), None);
    }
}
