//! The journal's contract, on both stores: a SQLite file, and a fresh database on the
//! PostgreSQL server the project's script starts (`scripts/postgres/test-server.sh`).

mod common;

use anyhow::Result;
use common::pg::{database, terminate_sessions};
use keeper::chain::FeedPosition;
use keeper::detect::DetectedPool;
use keeper::journal::{FillRow, Journal, OrderRow, OrderStatus};
use solana_sdk::pubkey::Pubkey;

fn sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/j.sqlite");
    (dir, path.display().to_string())
}

fn pool(n: u8) -> DetectedPool {
    DetectedPool {
        venue: "local_amm",
        program_id: Pubkey::new_from_array([1; 32]),
        pool: Pubkey::new_from_array([n; 32]),
        base_mint: Pubkey::new_from_array([2; 32]),
        quote_mint: None,
        lp_mint: None,
        creator: Some(Pubkey::new_from_array([3; 32])),
        signature: Some("sig".into()),
    }
}

fn order(id: u64) -> OrderRow {
    OrderRow {
        order_id: id,
        kind: "buy".into(),
        mint: Some(Pubkey::new_from_array([9; 32])),
        amount: 10,
        min_out: 9,
        signature: format!("s{id}"),
        tx: vec![1, 2, 3],
        last_valid_height: 150,
    }
}

fn both(contract: impl Fn(&dyn Fn() -> Journal)) {
    let (_dir, file) = sqlite();
    contract(&|| Journal::open_location(&file).unwrap());
    let url = database();
    contract(&|| Journal::open_location(&url).unwrap());
}

#[test]
fn everything_survives_a_reopen() {
    both(|open| {
        {
            let j = open();
            assert!(j.record_pool(&pool(5), 10, 100).unwrap());
            assert!(!j.record_pool(&pool(5), 11, 101).unwrap(), "seen once");
            j.record_order(&order(1), None, 100).unwrap();
            j.record_order(&order(2), None, 100).unwrap();
            j.set_order_status(1, OrderStatus::Filled, None, 101)
                .unwrap();
            j.set_meta("cursor", "42").unwrap();
            j.set_meta("cursor", "43").unwrap();
            let d = j
                .record_decision(5, Some(&pool(5).pool), None, "skip", "score", None)
                .unwrap();
            let e = j
                .record_decision(6, None, None, "buy", "ok", Some(7))
                .unwrap();
            assert_eq!(e, d + 1);
        }
        let j = open();
        assert_eq!(j.pool_count().unwrap(), 1);
        assert_eq!(j.open_orders().unwrap(), vec![order(2)]);
        assert_eq!(j.max_order_id().unwrap(), 2);
        assert_eq!(j.count_orders(OrderStatus::Filled).unwrap(), 1);
        assert_eq!(j.get_meta("cursor").unwrap().as_deref(), Some("43"));
        assert_eq!(j.get_meta("nothing").unwrap(), None);
        assert_eq!(j.order_status(1).unwrap().as_deref(), Some("filled"));
        assert_eq!(j.order_status(9).unwrap(), None);
    });
}

#[test]
fn feed_positions_and_undecided_pools_are_read_back_for_a_resume() {
    let local = |n: u8| DetectedPool {
        program_id: local_amm::ID,
        ..pool(n)
    };
    let at = |signature: &str, block_time: i64| FeedPosition {
        program: local_amm::ID,
        signature: signature.into(),
        block_time,
    };
    let vault = Pubkey::new_from_array([7; 32]);
    both(|open| {
        {
            let j = open();
            assert!(j.record_pool(&local(10), 30, 1_000).unwrap());
            assert!(j.record_pool(&local(11), 20, 1_001).unwrap());
            assert!(j.record_pool(&local(12), 10, 1_002).unwrap());
            assert!(
                j.record_pool(&local(13), 5, 999).unwrap(),
                "before the window"
            );
            assert!(
                j.record_pool(&pool(14), 6, 1_000).unwrap(),
                "an unknown venue"
            );
            j.record_decision(1_003, Some(&local(10).pool), None, "skip", "score", None)
                .unwrap();
            j.set_feed_position(&vault, &at("first", 1)).unwrap();
            j.set_feed_position(&vault, &at("second", 2)).unwrap();
            let other = Pubkey::new_from_array([8; 32]);
            j.set_feed_position(&other, &at("theirs", 3)).unwrap();
        }
        let j = open();
        // Oldest slot first; decided, old and unknown-venue pools left out.
        assert_eq!(
            j.undecided_pools(1_000).unwrap(),
            vec![local(12), local(11)]
        );
        assert_eq!(j.undecided_pools(1_002).unwrap(), vec![local(12)]);
        assert_eq!(j.feed_positions(&vault).unwrap(), vec![at("second", 2)]);
        assert_eq!(
            j.feed_positions(&Pubkey::new_from_array([9; 32])).unwrap(),
            vec![]
        );
        j.set_meta(&format!("feed:{vault}:{}", local_amm::ID), "{}")
            .unwrap();
        assert_eq!(
            j.feed_positions(&vault).unwrap_err().to_string(),
            format!(
                "journal: feed position feed:{vault}:{} has no signature",
                local_amm::ID
            )
        );
        j.set_meta(
            &format!("feed:{vault}:{}", local_amm::ID),
            "{\"signature\":\"s\"}",
        )
        .unwrap();
        j.set_meta(&format!("feed:{vault}:notakey"), "{\"signature\":\"s\"}")
            .unwrap();
        assert_eq!(
            j.feed_positions(&vault).unwrap_err().to_string(),
            format!("journal: bad feed position key feed:{vault}:notakey")
        );
    });
}

#[test]
fn an_order_id_is_journaled_once() {
    both(|open| {
        let j = open();
        j.record_order(&order(7), None, 0).unwrap();
        assert!(j.record_order(&order(7), None, 0).is_err());
        // A re-signed attempt replaces the transaction of the same order.
        j.replace_order_tx(7, "again", &[9], 300, 1).unwrap();
        let o = j.open_orders().unwrap().remove(0);
        assert_eq!((o.signature.as_str(), o.last_valid_height), ("again", 300));
        assert_eq!(o.tx, vec![9]);
    });
}

#[test]
fn a_failed_batch_leaves_nothing_behind() {
    both(|open| {
        let mut j = open();
        let r: Result<()> = j.batch(|j| {
            j.record_pool(&pool(1), 1, 1)?;
            anyhow::bail!("crash in the middle")
        });
        assert!(r.is_err());
        assert_eq!(j.pool_count().unwrap(), 0);
        j.batch(|j| j.record_pool(&pool(1), 1, 1).map(|_| ()))
            .unwrap();
        assert_eq!(j.pool_count().unwrap(), 1);
    });
}

#[test]
fn fills_are_recorded_once_per_order() {
    both(|open| {
        let j = open();
        let f = FillRow {
            order_id: 3,
            mint: Pubkey::new_from_array([4; 32]),
            side: "sell",
            base_amount: 100,
            token_amount: 50,
            realized_pnl: -7,
            at: 9,
        };
        j.record_fill(&f).unwrap();
        j.record_fill(&f).unwrap();
        assert_eq!(j.fills().unwrap(), vec![f]);
        j.record_nav(1, 2, 3, 4, -5).unwrap();
    });
}

#[test]
fn one_replica_holds_the_lease_until_its_connection_ends() {
    let url = database();
    let vault = Pubkey::new_unique();
    let a = Journal::open_location(&url).unwrap();
    let b = Journal::open_location(&url).unwrap();
    assert!(a.is_shared());
    assert!(a.try_lease(&vault).unwrap());
    assert!(!b.try_lease(&vault).unwrap(), "one leader at a time");
    assert!(b.try_lease(&Pubkey::new_unique()).unwrap(), "per vault");
    a.check_lease().unwrap();
    drop(a); // the leader's process ends: its session, and the lock, go with it
    let start = std::time::Instant::now();
    while !b.try_lease(&vault).unwrap() {
        assert!(
            start.elapsed().as_secs() < 10,
            "the lease was never released"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_leader_whose_session_the_server_ended_is_told_its_lease_is_gone() {
    let url = database();
    let vault = Pubkey::new_unique();
    let a = Journal::open_location(&url).unwrap();
    assert!(a.try_lease(&vault).unwrap());
    terminate_sessions(&url);
    let e = a.check_lease().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the journal's connection, which holds the leader lease, is gone"
    );
    // The lock went with the session: another replica gets it at once.
    let b = Journal::open_location(&url).unwrap();
    assert!(b.try_lease(&vault).unwrap());
}

#[test]
fn a_wrong_password_is_an_error_that_does_not_show_it() {
    let url = database().replace("postgres@", "nobody:hunter2@");
    let e = format!("{:#}", Journal::open_location(&url).err().unwrap());
    assert!(
        e.starts_with("connecting to the journal at postgres://127.0.0.1:"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}
