//! The vault's whole investor lifecycle on the embedded local chain: the real Solana runtime
//! with the vault program and the real SPL Token program, no network, no keys.
//!
//! Run: `cargo run -p flashforge-tests --example fund_lifecycle`

use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::signature::Signer;
use vault::events::{Deposited, FeesCollected, PerformanceFeeCrystallized, Withdrawn};
use vault::state::{InvestorTier, WithdrawAmount};

const UNIT: u64 = 1_000_000; // a 6-decimal dollar stablecoin

fn usd(v: u64) -> String {
    format!("${:.2}", v as f64 / UNIT as f64)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut chain = TestChain::start().await;
    println!("[1/6] embedded chain up: vault program + SPL Token, 6-decimal stablecoin");

    let tiers = vec![
        InvestorTier {
            min_deposit: 100_000 * UNIT,
            max_deposit: 1_000_000 * UNIT,
            management_fee_bps: 200,
            performance_fee_bps: 2_000,
        },
        InvestorTier {
            min_deposit: 1_000_000 * UNIT,
            max_deposit: 10_000_000 * UNIT,
            management_fee_bps: 175,
            performance_fee_bps: 1_750,
        },
        InvestorTier {
            min_deposit: 10_000_000 * UNIT,
            max_deposit: 50_000_000 * UNIT,
            management_fee_bps: 150,
            performance_fee_bps: 1_500,
        },
    ];
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.tiers = Some(tiers);
            p.lockup_seconds = 182 * DAY as u64;
            p.notice_seconds = 30 * DAY as u64;
            p.crystallization_period_seconds = 91 * DAY as u64;
            p.max_aum = 100_000_000 * UNIT;
        })
        .await;
    println!(
        "[2/6] vault {} created (seed tiers, 6-month lock-up, 30-day notice)",
        f.keys.vault
    );

    let mut investors = Vec::new();
    for (name, amount) in [
        ("alice", 250_000 * UNIT),
        ("bob", 2_000_000 * UNIT),
        ("carol", 12_000_000 * UNIT),
    ] {
        let (k, ata) = chain.investor(&f.keys.base_mint, amount).await;
        let out = chain.deposit(&f, &k, &ata, amount).await.unwrap();
        let e = &out.events::<Deposited>()[0];
        println!(
            "[3/6] {name:<6} deposits {:>16} -> {:>22} shares",
            usd(amount),
            e.shares_minted
        );
        investors.push((name, k, ata, amount));
    }

    // A year of trading returns +18%: the books and the vault balance move together.
    chain.warp_seconds(365 * DAY).await;
    let v = chain.vault_state(&f).await;
    chain.set_nav(&f, v.idle_assets / 100 * 118).await;
    println!(
        "[4/6] one year later: NAV {} -> {}",
        usd(v.idle_assets),
        usd(chain.vault_state(&f).await.idle_assets)
    );

    for (name, k, _, _) in &investors {
        let out = chain.crystallize(&f, &k.pubkey()).await.unwrap();
        if let Some(e) = out.events::<PerformanceFeeCrystallized>().first() {
            println!(
                "[5/6] {name:<6} profit {:>14} above HWM, performance fee {:>4} bps",
                usd(e.profit),
                e.rate_bps
            );
        }
    }

    let (name, k, ata, deposited) = &investors[0];
    chain
        .request_withdraw(&f, k, WithdrawAmount::All)
        .await
        .unwrap();
    chain.warp_seconds(30 * DAY).await;
    let out = chain.withdraw(&f, k, ata).await.unwrap();
    let w = &out.events::<Withdrawn>()[0];
    println!(
        "[6/6] {name} redeems everything: deposited {}, received {} (net of 2% management and 20% performance fees)",
        usd(*deposited),
        usd(w.paid)
    );
    let recipient = chain
        .token_account(&f.keys.base_mint, &f.fee_recipient.pubkey())
        .await;
    let out = chain
        .send(&[vault::client::collect_fees(&f.keys, &recipient)], &[])
        .await
        .unwrap();
    let c = &out.events::<FeesCollected>()[0];

    let v = chain.vault_state(&f).await;
    let balance = chain.vault_balance(&f).await;
    println!();
    println!("summary");
    println!("  fees paid to the fee recipient  {}", usd(c.paid));
    println!(
        "  vault NAV (books)               {}",
        usd(v.total_assets())
    );
    println!("  vault token balance             {}", usd(balance));
    println!("  investors                       {}", v.depositor_count);
    assert_eq!(balance, v.idle_assets, "books equal tokens");
    println!("  books == token balance          yes");
}
