//! Every decoder against the real mainnet transactions under ../shared/fixtures/tx: the right
//! venue, pool, mints, LP mint and creator for each creation, and nothing for the swaps, buys,
//! deposits and withdrawals in the same files.

use keeper::detect::files::detect_file;
use keeper::detect::formats::parse_document;
use keeper::detect::{detect, DetectedPool};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    keeper::fixtures_dir()
        .expect(
            "shared fixtures (../shared/fixtures beside the repository, or $FLASHFORGE_FIXTURES)",
        )
        .join("tx")
}

fn pools(rel: &str) -> Vec<DetectedPool> {
    detect_file(&fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn one(rel: &str) -> DetectedPool {
    let p = pools(rel);
    assert_eq!(p.len(), 1, "{rel}: {p:?}");
    p.into_iter().next().unwrap()
}

fn s(k: &solana_sdk::pubkey::Pubkey) -> String {
    k.to_string()
}

fn so(k: &Option<solana_sdk::pubkey::Pubkey>) -> Option<String> {
    k.map(|k| k.to_string())
}

const WSOL: &str = "So11111111111111111111111111111111111111112";

#[track_caller]
fn check(
    p: &DetectedPool,
    venue: &str,
    pool: &str,
    base: &str,
    quote: &str,
    lp: Option<&str>,
    creator: &str,
) {
    assert_eq!(p.venue, venue);
    assert_eq!(s(&p.pool), pool, "pool");
    assert_eq!(s(&p.base_mint), base, "base mint");
    assert_eq!(so(&p.quote_mint).as_deref(), Some(quote), "quote mint");
    assert_eq!(so(&p.lp_mint).as_deref(), lp, "lp mint");
    assert_eq!(so(&p.creator).as_deref(), Some(creator), "creator");
}

#[test]
fn raydium_amm_v4_initialize2() {
    let p = one("raydium_amm_v4/initialize2__3iySYFy1UruW__getTransaction_jsonParsed.json");
    check(
        &p,
        "raydium_amm_v4",
        "HESQgfGdHxv8vHdJTdhKHFk5MAheXKavdDwz5PXEXPXa",
        WSOL,
        "9WJXYDyMPrrzKHkjqtm6WefritTxkw36kjgzC42JukpW",
        Some("Dc9YLQRvLezjonmjKshUjHd7Cta9td43dTXKNg3N6Z45"),
        "5PXxuZkvftsg5CAGjv5LL5tEtvBRskdx1AAjxw8hK2Qx",
    );
    assert_eq!(
        p.signature.as_deref().map(|s| &s[..12]),
        Some("3iySYFy1UruW")
    );
}

#[test]
fn raydium_cpmm_initialize_reports_the_pool_not_the_creator() {
    let p = one("raydium_cpmm/initialize__28FDVns1NEqd__getTransaction_jsonParsed.json");
    check(
        &p,
        "raydium_cpmm",
        "AQGPHsNFfvwNULydEKQtEnwMAJJH1AGgHC2oHUHuFKhe",
        WSOL,
        "DeXRw2jRpVWEhXnM4BG9fjDkFxc7eQ17TPQWezegG9CS",
        Some("5XL1KYFGaW3V8H6W5G9CSrr3Sz8kZTbxnzgPwq1wfzJL"),
        "De1Rgnd2nR2bZmvxj9gKfXJhhHDZVuTB3FKNSCwbdUrj",
    );
    assert_ne!(p.pool, p.creator.unwrap());
}

#[test]
fn raydium_launchlab_initialize() {
    let p = one("raydium_launchlab/initialize__mqSGNwKK8GZW__getTransaction_json.json");
    check(
        &p,
        "raydium_launchlab",
        "7SUXJsAtzPEY7Aq7e8tRjPJR7VrxUkZ6erKGuprnitNa",
        "AqFe2tk1BRx6czUuRPGUZ8mtvcBGDZYsG6oPvELwzray",
        WSOL,
        None,
        "FeGbW3kbwQnV42hxUAFfbupVzDU5sKhcHswvtRbrYpn5",
    );
}

#[test]
fn pumpswap_pool_created_inside_pumpfun_migrate() {
    let p = one("pumpswap/create_pool_via_pumpfun_migrate__2ffHb9AXeKNV__getTransaction_json.json");
    check(
        &p,
        "pumpswap",
        "Ef7wUrbarRXHNMMgBs8cstSkzRttnstjMsniaq7zMp6j",
        "npB9cxTzwUiGt7jk2dXZa52xZve8SgVD6Et9Bpipump",
        WSOL,
        Some("B88Rh9j2qfakyhY8ZxkfejFRp1B56BMyHcAQ6D61rERS"),
        "DvKykSGS4HQXpuXogbfWAoNYTPLWJfTLtPz4xBy9N5fh",
    );
    // The migrate that found its curve already migrated created nothing.
    assert!(
        pools("pumpfun/neg_migrate_already_migrated__5dnX6d6MqVqX__getTransaction_json.json")
            .is_empty()
    );
}

/// Pump.fun's own CreateEvent in the log names the mint, the curve and the creator; the
/// decoder must agree with it in every format.
#[test]
fn pumpfun_creates_agree_with_their_create_events() {
    use base64::Engine as _;
    let files = [
        "pumpfun/create__2nebvBA9wsBg__getParsedTransaction.json",
        "pumpfun/create__2s393PSYYxJJ__getTransaction_json_list.json",
        "pumpfun/create__3sWBncNG3ZKj__blockSubscribe_base64.json",
        "pumpfun/create__52ar89rghM8E__getTransaction_jsonParsed.json",
        "pumpfun/create_v2__2RoRJxatbF9Q__getTransaction_jsonParsed.json",
    ];
    // sha256("event:CreateEvent")[..8]
    const CREATE_EVENT: [u8; 8] = [27, 114, 169, 77, 222, 235, 99, 118];
    for f in files {
        let p = one(f);
        assert_eq!(p.venue, "pumpfun", "{f}");
        assert_eq!(so(&p.quote_mint).as_deref(), Some(WSOL));
        assert_eq!(p.lp_mint, None);
        let bytes = std::fs::read(fixtures().join(f)).unwrap();
        let txs = parse_document(&bytes).unwrap();
        let event = txs[0]
            .logs
            .iter()
            .filter_map(|l| l.strip_prefix("Program data: "))
            .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .find(|d| d.starts_with(&CREATE_EVENT))
            .unwrap_or_else(|| panic!("{f}: no CreateEvent"));
        // name, symbol, uri (u32-prefixed strings), then mint, bonding curve, user.
        let mut at = 8;
        for _ in 0..3 {
            let n = u32::from_le_bytes(event[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + n;
        }
        let key = |at: usize| bs58::encode(&event[at..at + 32]).into_string();
        assert_eq!(s(&p.base_mint), key(at), "{f}: mint");
        assert_eq!(s(&p.pool), key(at + 32), "{f}: bonding curve");
        assert_eq!(so(&p.creator), Some(key(at + 64)), "{f}: creator");
    }
}

/// Instruction-only fixtures carry the venues' own account labels: the decoder must pick the
/// labelled pool, mints and creator.
#[test]
fn instruction_only_creations_match_their_labels() {
    let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "raydium_clmm/instruction_only/create_pool_ix.json",
            "raydium_clmm",
            "poolState",
            "tokenMint0",
            "tokenMint1",
            "poolCreator",
        ),
        (
            "orca_whirlpool/instruction_only/initialize_pool_ix.json",
            "orca_whirlpool",
            "whirlpool",
            "tokenMintA",
            "tokenMintB",
            "funder",
        ),
        (
            "orca_whirlpool/instruction_only/initialize_pool_v2_ix.json",
            "orca_whirlpool",
            "whirlpool",
            "tokenMintA",
            "tokenMintB",
            "funder",
        ),
        (
            "meteora_dlmm/instruction_only/initialize_lb_pair_ix.json",
            "meteora_dlmm",
            "lbPair",
            "tokenMintX",
            "tokenMintY",
            "funder",
        ),
        (
            "meteora_dlmm/instruction_only/initialize_lb_pair2_ix.json",
            "meteora_dlmm",
            "lbPair",
            "tokenMintX",
            "tokenMintY",
            "funder",
        ),
        (
            "meteora_dlmm/instruction_only/initialize_permission_lb_pair_ix.json",
            "meteora_dlmm",
            "lbPair",
            "tokenMintX",
            "tokenMintY",
            "admin",
        ),
        (
            "meteora_dlmm/instruction_only/initialize_customizable_permissionless_lb_pair_ix.json",
            "meteora_dlmm",
            "lbPair",
            "tokenMintX",
            "tokenMintY",
            "funder",
        ),
        (
            "meteora_dlmm/instruction_only/initialize_customizable_permissionless_lb_pair2_ix.json",
            "meteora_dlmm",
            "lbPair",
            "tokenMintX",
            "tokenMintY",
            "funder",
        ),
    ];
    for &(f, venue, pool, base, quote, creator) in cases {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixtures().join(f)).unwrap()).unwrap();
        let labelled = |label: &str| -> String {
            v["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["label"].as_str().map(|l| l.eq_ignore_ascii_case(label)) == Some(true))
                .unwrap_or_else(|| panic!("{f}: no account labelled {label}"))["pubkey"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let p = one(f);
        assert_eq!(p.venue, venue, "{f}");
        assert_eq!(s(&p.pool), labelled(pool), "{f}: pool");
        assert_eq!(s(&p.base_mint), labelled(base), "{f}: base");
        assert_eq!(so(&p.quote_mint), Some(labelled(quote)), "{f}: quote");
        assert_eq!(so(&p.creator), Some(labelled(creator)), "{f}: creator");
    }
}

/// The unlabelled Pump.fun `create` instruction, against the IDL's positions (mint 0, curve 2,
/// user 7).
#[test]
fn pumpfun_create_instruction() {
    let f = "pumpfun/instruction_only/create_ix.json";
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join(f)).unwrap()).unwrap();
    let at = |i: usize| v["accounts"][i]["pubkey"].as_str().unwrap().to_owned();
    let p = one(f);
    check(&p, "pumpfun", &at(2), &at(0), WSOL, None, &at(7));
}

#[test]
fn orca_decoded_dataset_holds_one_pool_creation() {
    let p = one("orca_whirlpool/decoded_day_dataset__20220406__whirlpool-transaction.jsonl.gz");
    check(
        &p,
        "orca_whirlpool",
        "4fuUiYxTQ6QCrdSq9ouBYcTM7bqSwYTSyLueGZLTy4T4",
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
        None,
        "EGHTxmaLopueTnPGJ5zFnNLLQRhiEDuePmU7uBeAbhLD",
    );
}

/// Every negative file (swaps, buys, sells, deposits, withdrawals, routed trades) in every
/// format yields no pool, and every other instruction-only file that does not create a pool
/// yields none either.
#[test]
fn nothing_is_reported_for_trades_and_liquidity_changes() {
    let mut checked = 0;
    for entry in walk(&fixtures()) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        let is_creation = [
            "initialize2__",
            "initialize__",
            "create__",
            "create_v2__",
            "create_pool_via",
            "create_pool_ix",
            "initialize_pool_ix",
            "initialize_pool_v2_ix",
            "initialize_lb_pair",
            "initialize_permission_lb_pair",
            "initialize_customizable",
            "create_ix",
            "decoded_day_dataset",
        ]
        .iter()
        .any(|p| name.starts_with(p));
        if is_creation
            || entry.to_string_lossy().contains("meta_only")
            || name.starts_with("damm_v1")
        {
            continue;
        }
        let found = detect_file(&entry).unwrap_or_else(|e| panic!("{}: {e}", entry.display()));
        assert!(found.is_empty(), "{}: reported {found:?}", entry.display());
        checked += 1;
    }
    assert!(checked > 80, "only {checked} files checked");
}

#[test]
fn metadata_only_files_are_an_error_not_a_panic() {
    for f in [
        "other/meta_only/carbon_core_cpi_tx.json",
        "other/meta_only/carbon_core_simple_tx.json",
    ] {
        assert_eq!(
            detect_file(&fixtures().join(f)).unwrap_err(),
            keeper::detect::DetectError::NoMessage
        );
    }
}

#[test]
fn failed_transactions_create_nothing() {
    let bytes = std::fs::read(
        fixtures().join("raydium_cpmm/initialize__28FDVns1NEqd__getTransaction_jsonParsed.json"),
    )
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["meta"]["err"] = serde_json::json!({"InstructionError": [4, {"Custom": 1}]});
    let txs = keeper::detect::formats::parse_value(&v).unwrap();
    assert!(detect(&txs[0]).unwrap().is_empty());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The websocket pre-filter (`detect::logs`) against every real transaction that carries its
/// logs: it must let each pool creation through, and should stop the swaps and the rest.
#[test]
fn the_log_filter_lets_every_real_creation_through_and_stops_the_rest() {
    use keeper::detect::formats::parse_document_general;
    use keeper::detect::logs::may_create_pool;
    let (mut checked, mut creations, mut stopped) = (0, 0, 0);
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in &files {
        let Ok(txs) = parse_document_general(&std::fs::read(path).unwrap()) else {
            continue;
        };
        for tx in txs.iter().filter(|t| !t.logs.is_empty() && !t.failed) {
            checked += 1;
            let maybe = may_create_pool(&tx.logs);
            if detect(tx).is_ok_and(|p| !p.is_empty()) {
                creations += 1;
                assert!(
                    maybe,
                    "{}: the filter would drop a creation",
                    path.display()
                );
            } else if !maybe {
                stopped += 1;
            }
        }
    }
    println!("{checked} transactions with logs: {creations} creations let through, {stopped} of the others stopped");
    assert!(creations >= 5, "{creations}");
    assert!(stopped >= 5, "{stopped} of {}", checked - creations);
}
