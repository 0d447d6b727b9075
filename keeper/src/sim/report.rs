//! The simulation's outputs: `summary.json` for machines, `report.html` for people (a NAV
//! chart drawn as inline SVG, the summary and the trade table; no scripts, no network), and
//! the terminal summary.

use super::market::Kind;
use super::{NavPoint, Summary};
use crate::pipeline::Trade;
use crate::strategy::SOL;
use anyhow::{Context, Result};
use solana_sdk::pubkey::Pubkey;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

/// Largest fall from a running peak of the share price, percent.
pub fn max_drawdown_pct(navs: &[NavPoint]) -> f64 {
    let mut peak = f64::MIN;
    let mut worst = 0.0f64;
    for p in navs {
        peak = peak.max(p.share_price);
        if peak > 0.0 {
            worst = worst.max((peak - p.share_price) / peak * 100.0);
        }
    }
    worst
}

/// Annualized Sharpe ratio of per-tick share-price returns (risk-free rate zero); 0 when
/// returns do not vary.
pub fn sharpe(navs: &[NavPoint], tick_seconds: i64) -> f64 {
    let r: Vec<f64> = navs
        .windows(2)
        .filter(|w| w[0].share_price > 0.0)
        .map(|w| w[1].share_price / w[0].share_price - 1.0)
        .collect();
    if r.len() < 2 {
        return 0.0;
    }
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    if var <= 0.0 {
        return 0.0;
    }
    let periods_per_year = 365.0 * 24.0 * 3600.0 / tick_seconds as f64;
    mean / var.sqrt() * periods_per_year.sqrt()
}

fn sol(units: i128) -> String {
    format!("{:.4}", units as f64 / SOL as f64)
}

fn skip_name(k: crate::strategy::SkipReason) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The human summary printed at the end of a run.
pub fn terminal(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "scenario {} · seed {} · tier ${} · {} ticks in {:.1}s",
        s.scenario, s.seed, s.tier, s.ticks, s.wall_seconds
    );
    let _ = writeln!(
        o,
        "pools      seen {} of {} launched · rugs {} created, {} pulled, {} bought, {} avoided",
        s.pools_seen,
        s.pools_launched,
        s.rugs_created,
        s.rugs_pulled,
        s.rugs_bought,
        s.rugs_avoided
    );
    let skips: Vec<String> = s
        .pools_skipped
        .iter()
        .map(|(k, v)| format!("{} {v}", skip_name(*k)))
        .collect();
    let _ = writeln!(
        o,
        "score      {} rugs and {} honest tokens scored below the tier's minimum",
        s.rugs_rejected_by_score, s.honest_rejected_by_score
    );
    let _ = writeln!(o, "skipped    {}", skips.join(" · "));
    let _ = writeln!(
        o,
        "trades     {} fills: {} buys, {} ladder sells, {} stop losses, {} rug exits, {} time stops",
        s.trades, s.buys, s.ladder_sells, s.stop_losses, s.rug_exits, s.time_stops
    );
    let _ = writeln!(
        o,
        "orders     {} sent, {} expired unsent, {} refused by the vault {:?}",
        s.orders_sent, s.orders_expired, s.orders_rejected_by_vault, s.vault_rejections
    );
    let _ = writeln!(
        o,
        "P&L        NAV {} → {} ({:+.2}%) · realized {} · unrealized {}",
        sol(s.nav_start as i128),
        sol(s.nav_end as i128),
        s.return_pct,
        sol(s.realized_pnl as i128),
        sol(s.unrealized_pnl as i128)
    );
    let _ = writeln!(
        o,
        "risk       max drawdown {:.2}% · Sharpe {:.2} (annualized) · breaker trips {} (resets {}) · loops {} · deleverages {}",
        s.max_drawdown_pct, s.sharpe, s.breaker_trips, s.breaker_resets, s.leverage_loops_opened, s.deleverages
    );
    let _ = writeln!(
        o,
        "cluster    {} keeper transactions sent, {} dropped, {} delayed, {} expired",
        s.cluster.sent, s.cluster.dropped, s.cluster.delayed, s.cluster.expired
    );
    if let (Some(peak), Some(boot)) = (s.peak_rss_kb, s.rss_after_boot_kb) {
        let _ = writeln!(
            o,
            "memory     peak RSS {:.1} MB, {:.1} MB of it present once the embedded chain was up",
            peak as f64 / 1024.0,
            boot as f64 / 1024.0
        );
    }
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG line chart of NAV over ticks.
fn nav_svg(navs: &[NavPoint]) -> String {
    let (w, h, pad) = (900.0, 300.0, 40.0);
    if navs.is_empty() {
        return String::from("<p>No NAV observations.</p>");
    }
    let vals: Vec<f64> = navs.iter().map(|p| p.nav as f64 / SOL as f64).collect();
    let lo = vals.iter().cloned().fold(f64::MAX, f64::min);
    let hi = vals.iter().cloned().fold(f64::MIN, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = (vals.len() - 1).max(1) as f64;
    let mut pts = String::new();
    for (i, v) in vals.iter().enumerate() {
        let x = pad + (w - 2.0 * pad) * i as f64 / n;
        let y = h - pad - (h - 2.0 * pad) * (v - lo) / span;
        let _ = write!(pts, "{x:.1},{y:.1} ");
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="NAV over time">
<rect x="0" y="0" width="{w}" height="{h}" fill="#fbfbfd"/>
<line x1="{pad}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/>
<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{b}" stroke="#999"/>
<text x="{pad}" y="{t}" font-size="12" fill="#333">{hi:.4}</text>
<text x="{pad}" y="{bl}" font-size="12" fill="#333">{lo:.4}</text>
<text x="{r}" y="{bl}" font-size="12" fill="#333" text-anchor="end">tick {last}</text>
<polyline fill="none" stroke="#2457c5" stroke-width="1.5" points="{pts}"/>
</svg>"##,
        b = h - pad,
        r = w - pad,
        t = pad - 6.0,
        bl = h - pad + 16.0,
        last = navs.last().map(|p| p.tick).unwrap_or(0),
    )
}

/// Writes `summary.json` and `report.html` into `out`.
pub fn write(
    out: &Path,
    s: &Summary,
    navs: &[NavPoint],
    trades: &[Trade],
    kinds: &HashMap<Pubkey, Kind>,
) -> Result<()> {
    let json = serde_json::to_string_pretty(s)?;
    write_atomic(&out.join("summary.json"), json.as_bytes())?;

    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Flashforge sim: {sc} (seed {seed})</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}td,th{{border:1px solid #ddd;padding:3px 8px;font-size:13px}}th{{background:#f3f3f7;text-align:left}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}.rug{{color:#b00020}}</style>
</head><body><h1>Flashforge simulation — {sc}</h1>
<p>Seed {seed}, tier ${tier}, {ticks} ticks of 60 s on the embedded chain.</p>
<h2>NAV (base units)</h2>{svg}
<h2>Summary</h2><pre>{term}</pre>
<h2>Trades ({n})</h2><table><tr><th>time</th><th>order</th><th>token</th><th>launch</th><th>side</th><th>reason</th><th>score</th><th>base</th><th>tokens</th><th>realized P&amp;L</th></tr>
"#,
        sc = esc(s.scenario),
        seed = s.seed,
        tier = esc(&s.tier),
        ticks = s.ticks,
        svg = nav_svg(navs),
        term = esc(&terminal(s)),
        n = trades.len(),
    );
    for t in trades {
        let kind = Pubkey::from_str(&t.mint)
            .ok()
            .and_then(|m| kinds.get(&m))
            .map(|k| format!("{k:?}"))
            .unwrap_or_else(|| "core collateral".into());
        let class = if kind != "Honest" && kind != "core collateral" {
            " class=\"rug\""
        } else {
            ""
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=n>{}</td><td>{}…</td><td{class}>{}</td><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            t.at,
            t.order_id,
            esc(&t.mint[..8.min(t.mint.len())]),
            esc(&kind),
            t.side,
            esc(&t.reason),
            t.score,
            sol(t.base_amount as i128),
            t.token_amount,
            sol(t.realized_pnl as i128),
        );
    }
    html.push_str("</table></body></html>\n");
    write_atomic(&out.join("report.html"), html.as_bytes())
}

/// Writes through a temporary file and a rename, so a crash never leaves half a report.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
