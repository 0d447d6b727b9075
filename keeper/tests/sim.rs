//! `keeper sim` end to end on the embedded chain, under every stress scenario.

use keeper::score::Weights;
use keeper::sim::{self, Scenario, SimConfig, Summary};
use keeper::strategy::preset;

async fn run(
    scenario: Scenario,
    seed: u64,
    pools: u32,
    ticks: u32,
) -> (Summary, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let summary = sim::run(SimConfig {
        scenario,
        seed,
        pools,
        ticks: Some(ticks),
        out: dir.path().to_path_buf(),
        preset: preset("5k").unwrap(),
        weights: Weights::default(),
        progress: false,
    })
    .await
    .expect("the simulation runs");
    (summary, dir)
}

/// What every run must satisfy, whatever the scenario.
fn check_common(s: &Summary, dir: &std::path::Path) {
    // Every launch is seen, scored and journaled.
    assert_eq!(s.pools_seen, s.pools_launched);
    assert!(s.rugs_bought <= s.rugs_created);
    assert_eq!(s.rugs_avoided, s.rugs_created - s.rugs_bought);
    assert!(s.nav_start > 0 && s.nav_end > 0);
    assert!(s.max_drawdown_pct >= 0.0 && s.max_drawdown_pct < 100.0);
    assert!(s.trades >= s.buys);

    // summary.json carries the keys machines rely on, with the values of this run.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    for key in [
        "scenario",
        "seed",
        "pools_seen",
        "rugs_created",
        "rugs_bought",
        "trades",
        "orders_rejected_by_vault",
        "breaker_trips",
        "nav_start",
        "nav_end",
        "realized_pnl",
        "max_drawdown_pct",
        "sharpe",
        "leverage_loops_opened",
    ] {
        assert!(json.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(json["scenario"], s.scenario);
    assert_eq!(json["trades"], s.trades);
    assert_eq!(json["nav_end"], s.nav_end);

    // The report has the chart and one table row per trade.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("<polyline"));
    let rows = html.matches("<tr><td>").count() as u64;
    assert_eq!(rows, s.trades);

    // The journal holds every pool, and no order was ever filled twice.
    let db = rusqlite::Connection::open(dir.join("journal.sqlite")).unwrap();
    let pools: i64 = db
        .query_row("SELECT COUNT(*) FROM pools", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pools as u64, s.pools_seen);
    let filled: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM orders WHERE status = 'filled'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let distinct_fills: i64 = db
        .query_row("SELECT COUNT(DISTINCT order_id) FROM fills", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(distinct_fills <= filled);
}

#[tokio::test]
async fn normal_market_the_score_keeps_most_rugs_out() {
    let (s, dir) = run(Scenario::Normal, 7, 30, 100).await;
    check_common(&s, dir.path());
    assert!(s.rugs_created > 0, "the market makes rugs");
    assert!(s.buys > 0, "the keeper trades");
    // The score alone turns away most rugs, and the keeper buys fewer rugs than it avoids.
    assert!(s.rugs_rejected_by_score * 2 > s.rugs_created, "{s:#?}");
    assert!(s.rugs_bought * 2 < s.rugs_created, "{s:#?}");
    assert!(s.leverage_loops_opened == 1, "the $5K tier keeps one loop");
}

#[tokio::test]
async fn rug_pull_wave_most_rugs_are_caught() {
    let (s, dir) = run(Scenario::RugPullWave, 11, 30, 100).await;
    check_common(&s, dir.path());
    assert!(
        s.rugs_created * 10 >= s.pools_launched * 5,
        "a wave is mostly rugs"
    );
    assert!(s.rugs_bought * 4 < s.rugs_created, "{s:#?}");
}

#[tokio::test]
async fn flash_crash_deleverages_the_loop() {
    let (s, dir) = run(Scenario::FlashCrash, 3, 20, 80).await;
    check_common(&s, dir.path());
    assert_eq!(s.leverage_loops_opened, 1);
    assert!(
        s.deleverages >= 1,
        "the crash pushes health under the floor: {s:#?}"
    );
}

#[tokio::test]
async fn network_congestion_drops_and_delays_but_never_double_executes() {
    let (s, dir) = run(Scenario::NetworkCongestion, 5, 30, 100).await;
    check_common(&s, dir.path());
    assert!(s.cluster.dropped > 0 && s.cluster.delayed > 0);
    // Every refusal is the vault's idempotency or a limit, never a second execution.
    for name in s.vault_rejections.keys() {
        assert!(
            ["OrderIdReused", "MarksStale", "BreakerTripped"].contains(&name.as_str()),
            "unexpected refusal {name}"
        );
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_run() {
    let (a, _d1) = run(Scenario::Normal, 99, 12, 50).await;
    let (b, _d2) = run(Scenario::Normal, 99, 12, 50).await;
    let strip = |s: &Summary| {
        let mut v = serde_json::to_value(s).unwrap();
        v.as_object_mut().unwrap().remove("wall_seconds");
        v.as_object_mut().unwrap().remove("peak_rss_kb");
        v.as_object_mut().unwrap().remove("rss_after_boot_kb");
        v
    };
    assert_eq!(strip(&a), strip(&b));
    let (c, _d3) = run(Scenario::Normal, 100, 12, 50).await;
    assert_ne!(strip(&a), strip(&c), "another seed, another market");
}
