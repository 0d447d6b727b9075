//! A Yellowstone gRPC (Geyser) stand-in on 127.0.0.1, speaking the real protocol (the
//! published proto, served by tonic): `Subscribe` streams every transaction the node's chain
//! processes that mentions a subscribed program, in the shape a Yellowstone server sends.
//! Subscriptions must carry the expected x-token; tests can cut every stream and refuse new
//! ones, as a restarting server would.

#![allow(dead_code)] // not every test binary uses every helper

use super::bridge::Node;
use futures_util::{Stream, StreamExt};
use keeper::chain::grpc::encode;
use solana_sdk::pubkey::Pubkey;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};
use yellowstone_grpc_proto::geyser::geyser_server::{Geyser, GeyserServer};
use yellowstone_grpc_proto::prelude::*;
use yellowstone_grpc_proto::prost_types::Timestamp;

type Updates<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// One open `Subscribe` stream.
struct Subscriber {
    out: mpsc::UnboundedSender<Result<SubscribeUpdate, Status>>,
    programs: Vec<Pubkey>,
}

/// The server's state, shared with the test.
#[derive(Default)]
pub struct Geysers {
    subscribers: Mutex<Vec<Subscriber>>,
    /// Refuse subscriptions (UNAVAILABLE).
    pub down: AtomicBool,
    /// Subscriptions accepted.
    pub subscriptions: AtomicU64,
    /// Pings the client sent on its streams.
    pub client_pings: AtomicU64,
    /// Transactions streamed.
    pub streamed: AtomicU64,
    sent: Mutex<Vec<String>>,
    token: String,
}

impl Geysers {
    /// Streams `f` to every subscriber following one of the programs it mentions.
    pub fn send(&self, f: &keeper::chain::FeedTx) {
        let mut subs = self.subscribers.lock().unwrap();
        subs.retain(|s| !s.out.is_closed());
        for s in subs.iter() {
            if s.programs.iter().any(|p| f.tx.keys.contains(p)) {
                let u = SubscribeUpdate {
                    filters: vec!["flashforge".into()],
                    created_at: Some(Timestamp {
                        seconds: f.block_time,
                        nanos: 0,
                    }),
                    update_oneof: Some(subscribe_update::UpdateOneof::Transaction(encode(f))),
                };
                if s.out.send(Ok(u)).is_ok() {
                    self.streamed.fetch_add(1, Ordering::SeqCst);
                    self.sent.lock().unwrap().extend(f.tx.signature.clone());
                }
            }
        }
    }

    /// The signatures streamed so far.
    pub fn signatures(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }

    /// Ends every open stream with an error, as a server going away does.
    pub fn cut(&self) {
        for s in self.subscribers.lock().unwrap().drain(..) {
            let _ = s.out.send(Err(Status::unavailable("server restarting")));
        }
    }
}

struct Service(Arc<Geysers>);

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not served by the stand-in"))
}

#[tonic::async_trait]
impl Geyser for Service {
    type SubscribeStream = Updates<SubscribeUpdate>;
    type SubscribeDeshredStream = Updates<SubscribeUpdateDeshred>;
    type SubscribeGossipStream = Updates<SubscribeUpdateGossip>;

    async fn subscribe(
        &self,
        request: Request<Streaming<SubscribeRequest>>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let g = self.0.clone();
        if g.down.load(Ordering::SeqCst) {
            return Err(Status::unavailable("server restarting"));
        }
        let token = request
            .metadata()
            .get("x-token")
            .and_then(|t| t.to_str().ok());
        if token != Some(g.token.as_str()) {
            return Err(Status::unauthenticated("bad x-token"));
        }
        let mut incoming = request.into_inner();
        let first = incoming
            .next()
            .await
            .ok_or_else(|| Status::invalid_argument("no request"))??;
        let filter = first
            .transactions
            .values()
            .next()
            .ok_or_else(|| Status::invalid_argument("no transaction filter"))?;
        if filter.vote != Some(false) || filter.failed != Some(false) {
            return Err(Status::invalid_argument(
                "votes and failures are not wanted",
            ));
        }
        let programs = filter
            .account_include
            .iter()
            .map(|p| Pubkey::from_str(p).map_err(|_| Status::invalid_argument("bad account")))
            .collect::<Result<Vec<_>, _>>()?;
        let (out, rx) = mpsc::unbounded_channel();
        g.subscribers
            .lock()
            .unwrap()
            .push(Subscriber { out, programs });
        g.subscriptions.fetch_add(1, Ordering::SeqCst);
        // Later requests on the stream are pings; count them.
        let counter = g.clone();
        tokio::spawn(async move {
            while let Some(Ok(r)) = incoming.next().await {
                if r.ping.is_some() {
                    counter.client_pings.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let updates =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|u| (u, rx)) },
            );
        Ok(Response::new(Box::pin(updates)))
    }

    async fn subscribe_deshred(
        &self,
        _: Request<Streaming<SubscribeDeshredRequest>>,
    ) -> Result<Response<Self::SubscribeDeshredStream>, Status> {
        unimplemented()
    }

    async fn subscribe_gossip(
        &self,
        _: Request<SubscribeGossipRequest>,
    ) -> Result<Response<Self::SubscribeGossipStream>, Status> {
        unimplemented()
    }

    async fn subscribe_replay_info(
        &self,
        _: Request<SubscribeReplayInfoRequest>,
    ) -> Result<Response<SubscribeReplayInfoResponse>, Status> {
        unimplemented()
    }

    async fn ping(&self, _: Request<PingRequest>) -> Result<Response<PongResponse>, Status> {
        unimplemented()
    }

    async fn get_latest_blockhash(
        &self,
        _: Request<GetLatestBlockhashRequest>,
    ) -> Result<Response<GetLatestBlockhashResponse>, Status> {
        unimplemented()
    }

    async fn get_block_height(
        &self,
        _: Request<GetBlockHeightRequest>,
    ) -> Result<Response<GetBlockHeightResponse>, Status> {
        unimplemented()
    }

    async fn get_slot(
        &self,
        _: Request<GetSlotRequest>,
    ) -> Result<Response<GetSlotResponse>, Status> {
        unimplemented()
    }

    async fn is_blockhash_valid(
        &self,
        _: Request<IsBlockhashValidRequest>,
    ) -> Result<Response<IsBlockhashValidResponse>, Status> {
        unimplemented()
    }

    async fn get_version(
        &self,
        _: Request<GetVersionRequest>,
    ) -> Result<Response<GetVersionResponse>, Status> {
        unimplemented()
    }
}

/// Serves Yellowstone gRPC for `node` on 127.0.0.1, accepting `token` as the x-token; every
/// transaction the node publishes is streamed. Returns the URL and the server's state.
pub async fn serve(node: &Node, token: &str) -> (String, Arc<Geysers>) {
    let g = Arc::new(Geysers {
        token: token.to_string(),
        ..Default::default()
    });
    node.geysers.lock().unwrap().push(g.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let svc = GeyserServer::new(Service(g.clone()));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (url, g)
}
