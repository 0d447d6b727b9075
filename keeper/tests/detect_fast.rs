//! The fast JSON reader against the general one: on every fixture it reads, the same
//! transactions (keys, instructions, inner instructions, failure, logs) and the same pools;
//! every fixture in a shape it claims is read by it, not by the fallback; and on hostile input
//! it either agrees with the general reader or steps aside.

use keeper::detect::files::detect_bytes;
use keeper::detect::formats::parse_document_general;
use keeper::detect::{detect, fast};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    keeper::fixtures_dir()
        .expect(
            "shared fixtures (../shared/fixtures beside the repository, or $FLASHFORGE_FIXTURES)",
        )
        .join("tx")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn general_pools(bytes: &[u8]) -> Vec<keeper::detect::DetectedPool> {
    parse_document_general(bytes)
        .unwrap()
        .iter()
        .flat_map(|t| detect(t).unwrap())
        .collect()
}

#[test]
fn the_fast_reader_agrees_with_the_general_one_on_every_fixture() {
    let mut files = Vec::new();
    walk(&fixtures(), &mut files);
    files.sort();
    let mut read_fast = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(f).unwrap();
        let claimed = name.ends_with("getTransaction_json.json")
            || name.ends_with("getTransaction_jsonParsed.json")
            || name.ends_with("getTransaction_json_list.json")
            || name.ends_with("getParsedTransaction.json")
            || name.ends_with("getTransaction_base64.json")
            || name.ends_with("blockSubscribe_base64.json")
            || name.ends_with("grpc_txupdate.json");
        let Some(txs) = fast::parse(&bytes) else {
            assert!(!claimed, "{name}: the fast reader stepped aside");
            continue;
        };
        read_fast += 1;
        assert_eq!(
            txs,
            parse_document_general(&bytes).unwrap(),
            "{name}: the readers disagree"
        );
        let pools = fast::detect(&bytes).expect("parse succeeded, so detect reads it too");
        assert_eq!(pools, general_pools(&bytes), "{name}: pools differ");
        assert_eq!(pools, detect_bytes(&bytes, false).unwrap(), "{name}");
    }
    // 13 jsonParsed, 10 json, 10 json lists, 5 getParsedTransaction, 6 base64,
    // 2 blockSubscribe and 15 gRPC files.
    assert!(read_fast >= 61, "only {read_fast} files read fast");
}

#[test]
fn a_transaction_naming_no_watched_program_is_skipped_unread() {
    // The instruction data is not valid base58: reading it would fail. Skipping the
    // transaction before any decoding reports no pool instead.
    let doc = serde_json::json!({
        "transaction": {"message": {
            "accountKeys": ["11111111111111111111111111111111", "SysvarRent111111111111111111111111111111111"],
            "instructions": [{"programIdIndex": 0, "accounts": [1], "data": "0OIl"}],
        }, "signatures": ["x"]},
        "meta": {"err": null}
    });
    let bytes = serde_json::to_vec(&doc).unwrap();
    assert_eq!(fast::detect(&bytes), Some(vec![]));
    // The general reader decodes everything and reports the bad data.
    assert!(parse_document_general(&bytes).is_err());
    // A watched program in the same shape is read, so the same bad data is an error.
    let mut watched = doc.clone();
    watched["transaction"]["message"]["accountKeys"][0] =
        "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C".into();
    let bytes = serde_json::to_vec(&watched).unwrap();
    assert_eq!(fast::detect(&bytes), None);
    assert!(detect_bytes(&bytes, false).is_err());
}

#[test]
fn shapes_the_fast_reader_does_not_know_go_to_the_general_one() {
    for doc in [
        serde_json::json!({"jsonrpc": "2.0", "result": null, "id": 1}),
        serde_json::json!({"transaction": {"signatures": ["x"]}, "meta": null}),
        serde_json::json!({"program_id": "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C", "accounts": [], "data": ""}),
        serde_json::json!([{"transaction": {"message": {"accountKeys": [], "instructions": []}}}, {"other": 1}]),
    ] {
        let bytes = serde_json::to_vec(&doc).unwrap();
        assert!(fast::parse(&bytes).is_none(), "{doc}");
        assert!(fast::detect(&bytes).is_none(), "{doc}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Valid JSON in the claimed shape with hostile values: whenever the fast reader answers,
    /// the general one gives the same answer.
    #[test]
    fn hostile_values_agree_or_step_aside(
        index in 0u16..40,
        data in proptest::collection::vec(any::<u8>(), 0..40),
        n_accounts in 0usize..30,
        parsed in any::<bool>(),
        failed in any::<bool>(),
    ) {
        let mut keys: Vec<String> = (0..n_accounts).map(|i| bs58::encode([i as u8 + 1; 32]).into_string()).collect();
        let program = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C".to_string();
        keys.push(program.clone());
        let mut ixdata = vec![175u8, 175, 109, 31, 13, 152, 155, 237];
        ixdata.extend(&data);
        let data = bs58::encode(&ixdata).into_string();
        let pick = |i: usize| keys.get(i).cloned().unwrap_or_else(|| "NotAKey".into());
        let (account_keys, ix) = if parsed {
            (
                keys.iter().map(|k| serde_json::json!({"pubkey": k, "signer": false, "writable": true})).collect::<Vec<_>>(),
                serde_json::json!({"programId": program, "accounts": (0..n_accounts).map(|i| pick(if i == 3 { index as usize } else { i })).collect::<Vec<_>>(), "data": data}),
            )
        } else {
            (
                keys.iter().map(|k| serde_json::json!(k)).collect(),
                serde_json::json!({"programIdIndex": keys.len() - 1, "accounts": (0..n_accounts).map(|i| if i == 3 { index as usize } else { i }).collect::<Vec<_>>(), "data": data}),
            )
        };
        let doc = serde_json::json!({
            "transaction": {"message": {"accountKeys": account_keys, "instructions": [ix]}, "signatures": ["sig"]},
            "meta": {"err": if failed { serde_json::json!({"InstructionError": [0, "Custom"]}) } else { serde_json::Value::Null }, "logMessages": ["Program log: \"quoted\" \u{e9}"]}
        });
        let bytes = serde_json::to_vec(&doc).unwrap();
        agree(&bytes)?;
        // The same transaction as a gRPC update: keys and data as bytes.
        let byte_keys: Vec<Vec<u8>> = keys.iter().map(|k| bs58::decode(k).into_vec().unwrap()).collect();
        let signature = vec![7u8; 64];
        let loaded = vec![vec![1u8; 32]];
        let grpc = serde_json::json!({"slot": 1, "transaction": {
            "signature": signature,
            "transaction": {"signatures": ["x"], "message": {"accountKeys": byte_keys, "instructions": [{
                "programIdIndex": keys.len() - 1,
                "accounts": (0..n_accounts).map(|i| if i == 3 { index as usize } else { i }).collect::<Vec<_>>(),
                "data": ixdata,
            }]}},
            "meta": {"err": null, "loadedWritableAddresses": [], "loadedReadonlyAddresses": loaded}
        }});
        agree(&serde_json::to_vec(&grpc).unwrap())?;
    }
}

fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
    {
        if let Some(txs) = fast::parse(bytes) {
            prop_assert_eq!(Ok(txs), parse_document_general(bytes));
        }
        if let Some(pools) = fast::detect(bytes) {
            let general: Result<Vec<_>, _> = parse_document_general(bytes)
                .and_then(|t| t.iter().map(detect).collect::<Result<Vec<_>, _>>())
                .map(|v| v.concat());
            prop_assert_eq!(Ok(pools), general);
        }
    }
    Ok(())
}
