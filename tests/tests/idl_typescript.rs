//! TypeScript clients can drive the programs: `scripts/idl-check` installs @coral-xyz/anchor
//! from the npm registry, loads every checked-in IDL with it, and encodes instructions; the
//! bytes must be the ones the programs decode.

use anchor_lang::InstructionData;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

#[test]
fn anchor_typescript_loads_every_idl_and_encodes_what_the_programs_decode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(root.join("scripts/idl-check/run.sh"))
        .output()
        .expect("run scripts/idl-check/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the TypeScript check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut encoded: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut loaded = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        let program = v["program"].as_str().unwrap().to_string();
        if v["loaded"] == true {
            assert!(v["instructions"].as_u64().unwrap() > 0);
            loaded.push(program);
        } else {
            encoded
                .entry((program, v["instruction"].as_str().unwrap().to_string()))
                .or_default()
                .push(v["hex"].as_str().unwrap().to_string());
        }
    }
    loaded.sort();
    assert_eq!(loaded, ["local_amm", "local_lender", "vault"]);

    let hex = |d: Vec<u8>| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let get = |p: &str, i: &str| encoded[&(p.to_string(), i.to_string())].clone();
    assert_eq!(
        get("vault", "deposit"),
        [hex(vault::instruction::Deposit { amount: 1_234_567 }.data())]
    );
    assert_eq!(
        get("vault", "request_withdraw"),
        [hex(vault::instruction::RequestWithdraw {
            amount: vault::state::WithdrawAmount::Assets(5_000)
        }
        .data())]
    );
    use vault::state::GovernanceAction as A;
    assert_eq!(
        get("vault", "propose"),
        [
            hex(vault::instruction::Propose {
                action: A::PauseTrading
            }
            .data()),
            hex(vault::instruction::Propose {
                action: A::SetLockup(2_592_000)
            }
            .data()),
        ]
    );
    assert_eq!(
        get("local_amm", "swap"),
        [hex(local_amm::instruction::Swap {
            amount_in: 1_000_000,
            min_out: 990_000
        }
        .data())]
    );
    assert_eq!(
        get("local_lender", "flash_repay"),
        [hex(local_lender::instruction::FlashRepay {
            amount: 777,
            borrow_instruction_index: 3
        }
        .data())]
    );
}
