//! Malformed input is an error value, never a panic: random bytes, truncated and corrupted
//! fixture files, and structurally valid JSON with wrong values.

use keeper::detect::files::detect_bytes;
use keeper::detect::formats::parse_value;
use keeper::detect::{detect, tx::parse_wire};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let dir = keeper::fixtures_dir()
        .expect(
            "shared fixtures (../shared/fixtures beside the repository, or $FLASHFORGE_FIXTURES)",
        )
        .join("tx");
    let mut out = Vec::new();
    for venue in [
        "pumpfun",
        "pumpswap",
        "raydium_cpmm",
        "raydium_launchlab",
        "raydium_amm_v4",
    ] {
        for e in std::fs::read_dir(dir.join(venue)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.push(std::fs::read(p).unwrap());
            }
        }
    }
    out
}

fn no_panic(bytes: &[u8]) {
    let _ = detect_bytes(bytes, false);
    let _ = detect_bytes(bytes, true);
    let _ = parse_wire(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2_048)) {
        no_panic(&bytes);
    }

    #[test]
    fn truncated_and_corrupted_fixtures(file in 0usize..64, cut in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)) {
        let c = corpus();
        let mut bytes = c[file % c.len()].clone();
        let n = cut.index(bytes.len() + 1);
        bytes.truncate(n);
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
        }
        no_panic(&bytes);
    }

    /// Valid JSON, valid shape, hostile values: indices past the account list, wrong types,
    /// short instructions.
    #[test]
    fn hostile_values_in_valid_json(index in any::<u16>(), data in proptest::collection::vec(any::<u8>(), 0..40), n_accounts in 0usize..30) {
        let keys: Vec<String> = (0..n_accounts).map(|i| bs58::encode([i as u8; 32]).into_string()).collect();
        let program = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C";
        let mut all = keys.clone();
        all.push(program.to_owned());
        let mut ixdata = vec![175u8, 175, 109, 31, 13, 152, 155, 237];
        ixdata.extend(&data);
        let v = serde_json::json!({
            "transaction": {"message": {
                "accountKeys": all,
                "instructions": [{"programIdIndex": all.len() - 1, "accounts": (0..n_accounts).map(|i| if i == 3 { index as usize } else { i }).collect::<Vec<_>>(), "data": bs58::encode(&ixdata).into_string()}],
            }, "signatures": ["x"]},
            "meta": {"err": null, "innerInstructions": [{"index": index, "instructions": [{"programIdIndex": index, "accounts": [index], "data": ""}]}]}
        });
        if let Ok(txs) = parse_value(&v) {
            for tx in txs {
                let _ = detect(&tx);
            }
        }
    }
}

#[test]
fn an_out_of_range_account_index_is_reported() {
    let v = serde_json::json!({
        "transaction": {"message": {
            "accountKeys": ["CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"],
            "instructions": [{"programIdIndex": 0, "accounts": [9, 9, 9, 9, 9, 9, 9], "data": bs58::encode([175u8, 175, 109, 31, 13, 152, 155, 237]).into_string()}],
        }, "signatures": ["x"]},
        "meta": {"err": null}
    });
    let txs = parse_value(&v).unwrap();
    assert!(matches!(
        detect(&txs[0]),
        Err(keeper::detect::DetectError::AccountIndex(9, 1))
    ));
}
