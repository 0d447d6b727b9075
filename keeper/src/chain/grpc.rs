//! An optional Yellowstone gRPC (Geyser) source of the watched programs' transactions.
//!
//! One `Subscribe` stream with a transaction filter on the watched programs (votes and failed
//! transactions left out, `confirmed` commitment). Unlike the websocket, which only names
//! signatures to read, each update carries the whole transaction with its status meta, so a
//! new pool reaches the detector without a `getTransaction` round trip.
//!
//! The contract with the poller is the websocket's (see [`super::ws`]): every
//! (re)subscription is an [`Event::Gap`], after which the signature listing fills in whatever
//! the stream missed, and nothing is handed out twice. The x-token travels as request
//! metadata and never reaches a log.

use super::endpoints::redact;
use super::ws::{keep_alive, Event, Feed, FeedStats};
use super::FeedTx;
use crate::detect::{Ix, Tx};
use futures_util::{SinkExt, StreamExt};
use solana_sdk::pubkey::Pubkey;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use yellowstone_grpc_client::{ClientTlsConfig, GeyserGrpcClient};
use yellowstone_grpc_proto::prelude::{
    subscribe_update::UpdateOneof, CommitmentLevel, SubscribeRequest,
    SubscribeRequestFilterTransactions, SubscribeRequestPing, SubscribeUpdateTransaction,
};

/// Silence after which the stream is probed with a ping; twice that and it is dropped.
const IDLE: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest update accepted: a transaction with its meta is far below this, a block is not
/// asked for.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// The name of the subscription's one transaction filter.
const FILTER: &str = "flashforge";

/// Where the stream is and how to authenticate.
#[derive(Clone)]
pub struct GeyserConfig {
    /// `http://` or `https://` (TLS with the webpki roots).
    pub url: String,
    /// Sent as the `x-token` header when set.
    pub x_token: Option<String>,
}

impl std::fmt::Debug for GeyserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeyserConfig")
            .field("url", &redact(&self.url))
            .field("x_token", &self.x_token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Feed {
    /// Starts following `programs` over the Yellowstone gRPC stream of `cfg`; the task ends
    /// when the feed is dropped.
    pub fn geyser(cfg: GeyserConfig, programs: Vec<Pubkey>) -> Self {
        Self::spawn(programs, |programs, tx, stats| async move {
            let shown = format!("gRPC {}", redact(&cfg.url));
            keep_alive(&shown, &tx, &stats, || {
                session(&cfg, &programs, &tx, &stats)
            })
            .await
        })
    }
}

/// The subscription: transactions that mention any of `programs`, confirmed, no votes and no
/// failures.
pub fn request(programs: &[Pubkey]) -> SubscribeRequest {
    SubscribeRequest {
        transactions: HashMap::from([(
            FILTER.to_string(),
            SubscribeRequestFilterTransactions {
                vote: Some(false),
                failed: Some(false),
                account_include: programs.iter().map(|p| p.to_string()).collect(),
                ..Default::default()
            },
        )]),
        commitment: Some(CommitmentLevel::Confirmed as i32),
        ..Default::default()
    }
}

/// One connection: subscribe, then forward transactions until it fails. `Ok` only when the
/// receiving side is gone.
async fn session(
    cfg: &GeyserConfig,
    programs: &[Pubkey],
    tx: &mpsc::Sender<Event>,
    stats: &FeedStats,
) -> Result<(), String> {
    let mut builder = GeyserGrpcClient::build_from_shared(cfg.url.clone())
        .map_err(|_| "bad URL".to_string())?
        .x_token(cfg.x_token.clone())
        .map_err(|_| "the x-token is not valid header text".to_string())?
        .connect_timeout(CONNECT_TIMEOUT)
        .max_decoding_message_size(MAX_MESSAGE);
    if cfg.url.starts_with("https://") {
        builder = builder
            .tls_config(ClientTlsConfig::new().with_webpki_roots())
            .map_err(|_| "TLS setup failed".to_string())?;
    }
    // Errors are reduced to their kind: a transport error's text can quote the URL.
    let mut client = builder
        .connect()
        .await
        .map_err(|_| "cannot connect".to_string())?;
    let (mut sink, mut stream) = client
        .subscribe_with_request(Some(request(programs)))
        .await
        .map_err(|e| format!("subscribing: {}", status_of(&e)))?;
    // The server accepted the stream: the subscription stands. Anything before is a gap.
    stats.connected.store(true, Ordering::Relaxed);
    stats.connects.fetch_add(1, Ordering::Relaxed);
    if tx.send(Event::Gap).await.is_err() {
        return Ok(());
    }
    let mut probed = false;
    loop {
        let update = match tokio::time::timeout(IDLE, stream.next()).await {
            Err(_) if probed => return Err("no answer to a ping".into()),
            Err(_) => {
                probed = true;
                sink.send(ping())
                    .await
                    .map_err(|_| "ping: the stream is closed".to_string())?;
                continue;
            }
            Ok(None) => return Err("closed by the server".into()),
            Ok(Some(Err(status))) => return Err(format!("stream: {:?}", status.code())),
            Ok(Some(Ok(u))) => u,
        };
        probed = false;
        let received = update
            .created_at
            .map(|t| t.seconds)
            .unwrap_or_else(unix_now);
        let t = match update.update_oneof {
            Some(UpdateOneof::Transaction(t)) => t,
            Some(UpdateOneof::Ping(_)) => {
                // Some load balancers close streams that only ever carry server pings.
                sink.send(ping())
                    .await
                    .map_err(|_| "ping: the stream is closed".to_string())?;
                continue;
            }
            _ => continue,
        };
        stats.notifications.fetch_add(1, Ordering::Relaxed);
        for e in events(&t, programs, received) {
            if tx.send(e).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// A ping on the subscription's request stream: the server answers with a pong update.
fn ping() -> SubscribeRequest {
    SubscribeRequest {
        ping: Some(SubscribeRequestPing { id: 1 }),
        ..Default::default()
    }
}

/// The status code of a client error, or its kind; never its text.
fn status_of(e: &yellowstone_grpc_client::GeyserGrpcClientError) -> String {
    use yellowstone_grpc_client::GeyserGrpcClientError as E;
    match e {
        E::TonicStatus(s) => format!("{:?}", s.code()),
        _ => "the request could not be sent".into(),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What one transaction update means to the poller: the whole transaction for each watched
/// program it mentions, or, when it cannot be read, its signature (the poller then reads it
/// over JSON-RPC). `block_time` stands in for the block's time, which updates do not carry.
pub fn events(t: &SubscribeUpdateTransaction, programs: &[Pubkey], block_time: i64) -> Vec<Event> {
    let Some(info) = &t.transaction else {
        return Vec::new();
    };
    let Some(tx) = transaction(t) else {
        let signature = bs58::encode(&info.signature).into_string();
        let failed = info.meta.as_ref().is_some_and(|m| m.err.is_some());
        tracing::warn!("gRPC: transaction {signature} does not decode; reading it over RPC");
        return programs
            .iter()
            .map(|p| Event::Signature {
                program: *p,
                signature: signature.clone(),
                failed,
                maybe_pool: true,
            })
            .collect();
    };
    let signature = tx.signature.clone().unwrap_or_default();
    let mentioned: Vec<Pubkey> = programs
        .iter()
        .filter(|p| tx.keys.contains(p))
        .copied()
        .collect();
    let feed = FeedTx {
        tx,
        slot: t.slot,
        block_time,
    };
    mentioned
        .into_iter()
        .map(|program| Event::Transaction {
            program,
            signature: signature.clone(),
            tx: Box::new(feed.clone()),
        })
        .collect()
}

/// The detector's view of a gRPC transaction: keys (static, then loaded writable, then loaded
/// readonly: the runtime's order), instructions and inner instructions, failure and logs.
/// `None` when a key is not 32 bytes or an index does not fit.
pub fn transaction(t: &SubscribeUpdateTransaction) -> Option<Tx> {
    let info = t.transaction.as_ref()?;
    let message = info.transaction.as_ref()?.message.as_ref()?;
    let meta = info.meta.as_ref();
    let key = |k: &Vec<u8>| Pubkey::try_from(k.as_slice()).ok();
    let mut keys = message
        .account_keys
        .iter()
        .map(key)
        .collect::<Option<Vec<_>>>()?;
    if let Some(m) = meta {
        for k in m
            .loaded_writable_addresses
            .iter()
            .chain(&m.loaded_readonly_addresses)
        {
            keys.push(key(k)?);
        }
    }
    let ix = |program: u32, accounts: &[u8], data: &[u8]| -> Option<Ix> {
        Some(Ix {
            program: u16::try_from(program).ok()?,
            accounts: accounts.iter().map(|&a| u16::from(a)).collect(),
            data: data.to_vec(),
        })
    };
    let top = message
        .instructions
        .iter()
        .map(|i| ix(i.program_id_index, &i.accounts, &i.data))
        .collect::<Option<Vec<_>>>()?;
    let inner = meta
        .map(|m| {
            m.inner_instructions
                .iter()
                .map(|group| {
                    let list = group
                        .instructions
                        .iter()
                        .map(|i| ix(i.program_id_index, &i.accounts, &i.data))
                        .collect::<Option<Vec<_>>>()?;
                    Some((group.index as usize, list))
                })
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or(Some(Vec::new()))?;
    Some(Tx {
        signature: Some(bs58::encode(&info.signature).into_string()),
        keys,
        top,
        inner,
        failed: meta.is_some_and(|m| m.err.is_some()),
        logs: meta.map(|m| m.log_messages.clone()).unwrap_or_default(),
    })
}

/// The update a Yellowstone server sends for `f`: the inverse of [`transaction`] (keys all
/// static, no lookup tables), for stand-in servers and tests.
pub fn encode(f: &FeedTx) -> SubscribeUpdateTransaction {
    use yellowstone_grpc_proto::prelude::{
        CompiledInstruction, InnerInstruction, InnerInstructions, Message, Transaction,
        TransactionError, TransactionStatusMeta,
    };
    let signature =
        f.tx.signature
            .as_deref()
            .and_then(|s| bs58::decode(s).into_vec().ok())
            .unwrap_or_default();
    let narrow = |a: &[u16]| a.iter().map(|&i| i as u8).collect::<Vec<u8>>();
    SubscribeUpdateTransaction {
        transaction: Some(
            yellowstone_grpc_proto::prelude::SubscribeUpdateTransactionInfo {
                signature: signature.clone(),
                is_vote: false,
                transaction: Some(Transaction {
                    signatures: vec![signature],
                    message: Some(Message {
                        account_keys: f.tx.keys.iter().map(|k| k.to_bytes().to_vec()).collect(),
                        instructions: f
                            .tx
                            .top
                            .iter()
                            .map(|ix| CompiledInstruction {
                                program_id_index: ix.program.into(),
                                accounts: narrow(&ix.accounts),
                                data: ix.data.clone(),
                            })
                            .collect(),
                        ..Default::default()
                    }),
                }),
                meta: Some(TransactionStatusMeta {
                    err: f.tx.failed.then(|| TransactionError { err: vec![1] }),
                    inner_instructions: f
                        .tx
                        .inner
                        .iter()
                        .map(|(index, list)| InnerInstructions {
                            index: *index as u32,
                            instructions: list
                                .iter()
                                .map(|ix| InnerInstruction {
                                    program_id_index: ix.program.into(),
                                    accounts: narrow(&ix.accounts),
                                    data: ix.data.clone(),
                                    stack_height: None,
                                })
                                .collect(),
                        })
                        .collect(),
                    log_messages: f.tx.logs.clone(),
                    ..Default::default()
                }),
                index: 0,
            },
        ),
        slot: f.slot,
        bank_id: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> FeedTx {
        let keys: Vec<Pubkey> = (1..=5u8).map(|i| Pubkey::new_from_array([i; 32])).collect();
        FeedTx {
            tx: Tx {
                signature: Some(bs58::encode([7u8; 64]).into_string()),
                keys,
                top: vec![Ix {
                    program: 4,
                    accounts: vec![0, 1, 2],
                    data: vec![1, 2, 3],
                }],
                inner: vec![(
                    0,
                    vec![Ix {
                        program: 3,
                        accounts: vec![1],
                        data: vec![9],
                    }],
                )],
                failed: false,
                logs: vec!["Program log: hi".into()],
            },
            slot: 42,
            block_time: 1_700_000_000,
        }
    }

    #[test]
    fn loaded_addresses_follow_the_static_keys() {
        let f = sample();
        let mut u = encode(&f);
        let info = u.transaction.as_mut().unwrap();
        let meta = info.meta.as_mut().unwrap();
        meta.loaded_writable_addresses = vec![vec![8; 32]];
        meta.loaded_readonly_addresses = vec![vec![9; 32]];
        let t = transaction(&u).unwrap();
        assert_eq!(t.keys.len(), 7);
        assert_eq!(t.keys[5], Pubkey::new_from_array([8; 32]));
        assert_eq!(t.keys[6], Pubkey::new_from_array([9; 32]));
    }

    #[test]
    fn an_update_becomes_one_whole_transaction_per_watched_program_it_mentions() {
        let f = sample();
        let watched = [f.tx.keys[4], f.tx.keys[3], Pubkey::new_unique()];
        let e = events(&encode(&f), &watched, f.block_time);
        assert_eq!(
            e,
            vec![
                Event::Transaction {
                    program: watched[0],
                    signature: f.tx.signature.clone().unwrap(),
                    tx: Box::new(f.clone()),
                },
                Event::Transaction {
                    program: watched[1],
                    signature: f.tx.signature.clone().unwrap(),
                    tx: Box::new(f.clone()),
                },
            ]
        );
    }

    #[test]
    fn an_update_that_does_not_decode_is_handed_over_as_a_signature_to_read() {
        let f = sample();
        let mut u = encode(&f);
        let message = u
            .transaction
            .as_mut()
            .unwrap()
            .transaction
            .as_mut()
            .unwrap()
            .message
            .as_mut()
            .unwrap();
        message.account_keys[2] = vec![1; 31]; // not a key
        assert_eq!(transaction(&u), None);
        let watched = [f.tx.keys[4]];
        assert_eq!(
            events(&u, &watched, 0),
            vec![Event::Signature {
                program: watched[0],
                signature: f.tx.signature.clone().unwrap(),
                failed: false,
                maybe_pool: true,
            }]
        );
        let mut u = encode(&f);
        u.transaction
            .as_mut()
            .unwrap()
            .transaction
            .as_mut()
            .unwrap()
            .message = None;
        assert_eq!(transaction(&u), None);
        u.transaction = None;
        assert_eq!(events(&u, &watched, 0), vec![]);
    }

    #[test]
    fn the_subscription_asks_for_confirmed_successful_non_vote_transactions_of_the_programs() {
        let p = [Pubkey::new_unique(), Pubkey::new_unique()];
        let r = request(&p);
        let f = &r.transactions[FILTER];
        assert_eq!((f.vote, f.failed), (Some(false), Some(false)));
        assert_eq!(f.account_include, vec![p[0].to_string(), p[1].to_string()]);
        assert_eq!(r.commitment, Some(CommitmentLevel::Confirmed as i32));
        assert!(r.accounts.is_empty() && r.blocks.is_empty());
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let c = GeyserConfig {
            url: "https://grpc.example.com/?api-key=SECRET".into(),
            x_token: Some("TOKENSECRET".into()),
        };
        let text = format!("{c:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("<set>"), "{text}");
    }

    proptest! {
        #[test]
        fn decoding_inverts_encoding(
            keys in 1usize..40,
            ixs in proptest::collection::vec(
                (0u16..40, proptest::collection::vec(0u16..40, 0..8),
                 proptest::collection::vec(any::<u8>(), 0..64)), 0..6),
            inner_at in proptest::collection::vec(0usize..6, 0..4),
            failed in any::<bool>(),
            slot in any::<u64>(),
        ) {
            let keys: Vec<Pubkey> = (0..keys).map(|i| Pubkey::new_from_array([i as u8; 32])).collect();
            let top: Vec<Ix> = ixs
                .into_iter()
                .map(|(program, accounts, data)| Ix { program, accounts, data })
                .collect();
            let inner = inner_at.iter().map(|&i| (i, top.clone())).collect();
            let f = FeedTx {
                tx: Tx {
                    signature: Some(bs58::encode([3u8; 64]).into_string()),
                    keys, top, inner, failed,
                    logs: vec!["a".into(), "b".into()],
                },
                slot,
                block_time: 0,
            };
            prop_assert_eq!(transaction(&encode(&f)), Some(f.tx.clone()));
        }
    }
}
