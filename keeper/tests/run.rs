//! `keeper run` as operators run it: the binary, a configuration file, a JSON-RPC node on
//! 127.0.0.1 backed by an embedded chain with a real vault, a webhook receiver, and signals.

mod common;

use anchor_lang::AccountDeserialize;
use common::bridge::{self, Node};
use common::trading::{launch, position, setup, UNIT};
use flashforge_tests::trading_fixture::TradingVault;
use keeper::journal::Journal;
use serde_json::Value;
use solana_sdk::pubkey::Pubkey;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vault::state::Vault;

const WAIT: Duration = Duration::from_secs(60);

/// A webhook receiver: records the JSON bodies posted to it.
async fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let g = g.clone();
            tokio::spawn(async move {
                if let Some(body) = common::read_request(&mut sock).await {
                    g.lock().unwrap().push(body);
                }
                common::write_response(&mut sock, 200, "{}").await;
            });
        }
    });
    (url, got)
}

/// `keeper run ARGS`, with none of the operator's own KEEPER_* settings leaking in.
fn keeper_run(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keeper"));
    c.arg("run").args(args);
    for var in [
        "KEEPER_CONFIG",
        "KEEPER_RPC_URLS",
        "KEEPER_KEYPAIR",
        "KEEPER_JOURNAL",
        "KEEPER_METRICS_LISTEN",
        "KEEPER_DRY_RUN",
        "KEEPER_DISCORD_WEBHOOK",
        "KEEPER_TELEGRAM_BOT_TOKEN",
        "KEEPER_GRPC_X_TOKEN",
        "FLASHFORGE_VAULT",
    ] {
        c.env_remove(var);
    }
    c
}

/// Writes `text` to `cfg` and runs `keeper run ARGS --config CFG` to its end.
fn run_with(cfg: &Path, text: &str, args: &[&str]) -> (bool, String, String) {
    std::fs::write(cfg, text).unwrap();
    let mut all = args.to_vec();
    all.extend(["--config", cfg.to_str().unwrap()]);
    let out = keeper_run(&all).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `keeper run` and everything it has printed.
struct Keeper {
    child: Child,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

impl Keeper {
    fn start(config: &Path) -> Self {
        Self::start_with_env(config, &[])
    }

    fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = keeper_run(&["--config", config.to_str().unwrap()])
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (e, err) = (stderr.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut e = e.lock().unwrap();
                e.push_str(&line);
                e.push('\n');
            }
        });
        let (o, mut out) = (stdout.clone(), child.stdout.take().unwrap());
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            o.lock().unwrap().push_str(&s);
        });
        Self {
            child,
            stderr,
            stdout,
        }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The address the metrics server bound (the configuration asks for port 0).
    async fn metrics_addr(&mut self) -> String {
        let start = Instant::now();
        loop {
            if let Some(rest) = self.log().split("metrics on http://").nth(1) {
                return rest.split('/').next().unwrap().to_string();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the keeper exited with {status}:\n{}", self.log());
            }
            assert!(
                start.elapsed() < WAIT,
                "no metrics address in:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: plain kill(2) on the child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    /// Waits for the exit; returns whether it succeeded and what went to standard output.
    async fn exit(mut self) -> (bool, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                start.elapsed() < WAIT,
                "the keeper did not stop:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // Let the reader threads see the pipes close.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let out = self.stdout.lock().unwrap().clone();
        (status.success(), out, self.log())
    }
}

/// Starts `keeper run` on `config` and waits for its first good tick; returns it and the
/// metrics server's address.
async fn ticking(config: &Path) -> (Keeper, String) {
    let mut k = Keeper::start(config);
    let addr = k.metrics_addr().await;
    wait_metric(&k, &addr, "flashforge_ticks_total", 1.0).await;
    (k, addr)
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The value of the metric sample named exactly `name` (labels included), if exported.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (n, v) = l.rsplit_once(' ')?;
        (n == name).then(|| v.parse().ok()).flatten()
    })
}

/// Polls `/metrics` until `name` reaches `at_least`; returns the scrape.
async fn wait_metric(k: &Keeper, addr: &str, name: &str, at_least: f64) -> String {
    wait_for(k, addr, name, |v| v >= at_least).await
}

/// Waits for `name` to reach `at_least`, then for three more ticks, so that anything the
/// keeper would wrongly do next (a second order, a repeated pool) shows in the scrape.
async fn settled(k: &Keeper, addr: &str, name: &str, at_least: f64) -> String {
    let m = wait_metric(k, addr, name, at_least).await;
    let later = sample(&m, "flashforge_ticks_total").unwrap() + 3.0;
    wait_metric(k, addr, "flashforge_ticks_total", later).await
}

/// Polls `/metrics` until `name`'s value satisfies `ok`; returns the scrape.
async fn wait_for(k: &Keeper, addr: &str, name: &str, ok: impl Fn(f64) -> bool) -> String {
    let start = Instant::now();
    loop {
        let (_, m) = get(&format!("http://{addr}/metrics")).await;
        if sample(&m, name).is_some_and(&ok) {
            return m;
        }
        assert!(
            start.elapsed() < WAIT,
            "{name} never got there:\n{m}\n{}",
            k.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Setup {
    node: Arc<Node>,
    tv: TradingVault,
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// A vault on a node, the keeper's keypair (mode 600) and a configuration for it.
async fn prepare(hook: &str) -> Setup {
    prepare_feed(hook, false).await
}

/// Like [`prepare`]; `websocket` follows the node's websocket instead of polling only.
async fn prepare_feed(hook: &str, websocket: bool) -> Setup {
    prepare_with(hook, websocket, "").await
}

/// Like [`prepare_feed`], with `extra` appended to the configuration file.
async fn prepare_with(hook: &str, websocket: bool, extra: &str) -> Setup {
    let (node, tv, probe) = start_node().await;
    configure(node, tv, probe, hook, websocket, extra)
}

/// A trading vault on a node.
async fn start_node() -> (Arc<Node>, TradingVault, Pubkey) {
    let (chain, tv, probe) = setup().await;
    (bridge::serve(chain).await, tv, probe)
}

/// The keeper's keypair (mode 600) and a configuration for the vault on `node`.
fn configure(
    node: Arc<Node>,
    tv: TradingVault,
    probe: Pubkey,
    hook: &str,
    websocket: bool,
    extra: &str,
) -> Setup {
    configure_journal(node, tv, probe, hook, websocket, extra, "journal.sqlite")
}

/// [`configure`] with the journal at `journal` (a file name in the setup's directory, or a
/// postgres:// URL).
fn configure_journal(
    node: Arc<Node>,
    tv: TradingVault,
    probe: Pubkey,
    hook: &str,
    websocket: bool,
    extra: &str,
    journal: &str,
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    keeper::ops::wallet::write_keypair(&dir.path().join("keeper.json"), &tv.f.keeper).unwrap();
    let config = dir.path().join("keeper.toml");
    std::fs::write(
        &config,
        format!(
            r#"
vault = "{vault}"
keypair = "keeper.json"
journal = "{journal}"
tier = "50"
watch = ["local_amm"]
probe_quote_account = "{probe}"
tick_interval = "1s"

[[rpc]]
url = "{url}/?api-key=SECRETKEY"
requests_per_second = 1000

[strategy]
max_buy = {unit}
min_safety_score = 0
min_liquidity = {liq}
max_total_exposure = {exp}
max_exposure_per_token = {exp}

[feed]
websocket = "{ws}"

[metrics]
listen = "127.0.0.1:0"
stale_after = "5s"

[shutdown]
drain = "5s"

[alerts]
discord_webhook = "{hook}/api/webhooks/1/HOOKSECRET"
min_interval = "0s"
error_streak = 1
{extra}
"#,
            vault = tv.f.keys.vault,
            url = node.url,
            unit = UNIT,
            liq = 10 * UNIT,
            exp = 10 * UNIT,
            ws = if websocket {
                node.ws_url.as_str()
            } else {
                "off"
            },
        ),
    )
    .unwrap();
    Setup {
        node,
        tv,
        dir,
        config,
    }
}

/// A vault on a node and a configuration whose journal is a fresh PostgreSQL database;
/// returns the setup and the database's URL.
async fn on_postgres(hook: &str) -> (Setup, String) {
    let (node, tv, probe) = start_node().await;
    let url = tokio::task::spawn_blocking(common::pg::database)
        .await
        .unwrap();
    let s = configure_journal(node, tv, probe, hook, false, "", &url);
    (s, url)
}

async fn vault_state(node: &Node, tv: &TradingVault) -> Vault {
    let mut chain = node.chain.lock().await;
    let a = keeper::chain::account(&mut *chain, &tv.f.keys.vault)
        .await
        .unwrap()
        .unwrap();
    Vault::try_deserialize(&mut a.data.as_slice()).unwrap()
}

async fn launch_on(node: &Node, tv: &TradingVault) -> Pubkey {
    let mut chain = node.chain.lock().await;
    // The fixture signs with the blockhash of the latest slot; after real seconds the bank
    // has dropped it, so move to a new slot first.
    chain.chain.next_slot().await;
    launch(&mut chain, tv).await
}

/// Secrets that must never be printed: the URL's API key, the webhook's token and the key.
fn assert_no_secrets(text: &str, tv: &TradingVault) {
    assert!(
        !text.contains("SECRETKEY"),
        "the RPC API key leaked:\n{text}"
    );
    assert!(
        !text.contains("HOOKSECRET"),
        "the webhook token leaked:\n{text}"
    );
    let secret = tv.f.keeper.to_base58_string();
    assert!(!text.contains(&secret[..40]), "the keypair leaked");
    let bytes = format!("{:?}", &tv.f.keeper.to_bytes()[..8]);
    assert!(
        !text.contains(&bytes[1..bytes.len() - 1]),
        "the keypair leaked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeper_run_trades_a_new_pool_exports_metrics_alerts_and_stops_on_sigterm() {
    let (hook, posted) = webhook().await;
    let s = prepare(&hook).await;
    let mut k = Keeper::start(&s.config);
    let addr = k.metrics_addr().await;

    // The first tick marks the start of the feed; the pool comes after.
    wait_metric(&k, &addr, "flashforge_ticks_total", 1.0).await;
    let (code, health) = get(&format!("http://{addr}/health")).await;
    assert_eq!(code, 200, "{health}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let mint = launch_on(&s.node, &s.tv).await;

    let m = wait_metric(
        &k,
        &addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(sample(&m, "flashforge_pools_detected_total"), Some(1.0));
    assert_eq!(sample(&m, "flashforge_pools_scored_total"), Some(1.0));
    let endpoint = s.node.url.clone();
    let requests = format!("flashforge_rpc_requests_total{{endpoint=\"{endpoint}\"}}");
    assert!(sample(&m, &requests).unwrap() > 0.0, "{m}");
    assert!(
        m.contains("flashforge_stage_seconds_bucket{le=\"")
            || m.contains("flashforge_stage_seconds_bucket{stage=\"discover\"")
    );

    // The vault bought once, for the configured amount.
    assert_eq!(
        position(&mut *s.node.chain.lock().await, &s.tv, &mint)
            .await
            .total_bought,
        UNIT
    );
    let v = vault_state(&s.node, &s.tv).await;
    assert_eq!(v.last_order_id, 1);
    // The NAV gauge is the vault's, as of a tick after the fill.
    let m = wait_metric(
        &k,
        &addr,
        "flashforge_ticks_total",
        sample(&m, "flashforge_ticks_total").unwrap() + 1.0,
    )
    .await;
    let v = vault_state(&s.node, &s.tv).await;
    assert_eq!(
        sample(&m, "flashforge_vault_nav"),
        Some(v.total_assets() as f64)
    );
    assert_eq!(sample(&m, "flashforge_vault_open_positions"), Some(1.0));

    k.signal(libc::SIGTERM);
    let (ok, out, log) = k.exit().await;
    assert!(ok, "{log}");
    let summary: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(summary["in_flight_at_exit"], 0);
    assert_eq!(summary["stats"]["buys"], 1);
    assert!(summary["ticks"].as_u64().unwrap() >= 2);

    let texts: Vec<String> = posted
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["content"].as_str().unwrap().to_string())
        .collect();
    assert!(
        texts[0].starts_with(&format!(
            "flashforge keeper: started on vault {}",
            s.tv.f.keys.vault
        )),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("flashforge keeper: bought ")
                && t.contains(&format!(" of {mint} for {UNIT} base units (entry, order 1"))),
        "{texts:?}"
    );
    assert!(texts.last().unwrap().contains("stopped after"), "{texts:?}");
    assert_no_secrets(&format!("{out}\n{log}\n{texts:?}"), &s.tv);
    drop(s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_killed_mid_trade_restarts_and_the_trade_lands_exactly_once() {
    let (hook, _posted) = webhook().await;
    let s = prepare(&hook).await;
    // The buy lands, but the keeper never hears how it ended: it dies with the order in
    // flight as far as it knows. (Sending the same bytes again after a restart is covered in
    // process by tests/execution.rs: here the embedded bank forgets a blockhash after about
    // two seconds of real time, which a loaded machine can spend restarting a process.)
    s.node.hide_statuses.store(true, Ordering::SeqCst);
    let (k, addr) = ticking(&s.config).await;
    let mint = launch_on(&s.node, &s.tv).await;
    wait_metric(&k, &addr, "flashforge_orders_total{outcome=\"sent\"}", 1.0).await;

    k.signal(libc::SIGKILL);
    let (ok, _, _) = k.exit().await;
    assert!(!ok, "killed");
    assert_eq!(
        vault_state(&s.node, &s.tv).await.last_order_id,
        1,
        "it landed"
    );
    let journal = s.dir.path().join("journal.sqlite");
    let open = Journal::open(&journal).unwrap().open_orders().unwrap();
    assert_eq!(
        open.len(),
        1,
        "the buy is in the journal, signed and in flight"
    );

    // A new keeper starts on the same journal and can see statuses again.
    s.node.hide_statuses.store(false, Ordering::SeqCst);
    let mut k = Keeper::start(&s.config);
    let addr = k.metrics_addr().await;
    // A few more ticks after the fill: nothing else is bought.
    let m = settled(
        &k,
        &addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(
        sample(&m, "flashforge_orders_total{outcome=\"sent\"}"),
        Some(0.0),
        "the restarted keeper sent nothing of its own"
    );
    assert_eq!(
        sample(&m, "flashforge_orders_total{outcome=\"filled\"}"),
        Some(1.0)
    );
    k.signal(libc::SIGINT);
    let (ok, out, log) = k.exit().await;
    assert!(ok, "{log}");
    assert_no_secrets(&format!("{out}\n{log}"), &s.tv);

    assert_eq!(
        position(&mut *s.node.chain.lock().await, &s.tv, &mint)
            .await
            .total_bought,
        UNIT
    );
    let v = vault_state(&s.node, &s.tv).await;
    assert_eq!(
        v.last_order_id, 1,
        "one order executed, the one journaled before the crash"
    );
    let j = Journal::open(&journal).unwrap();
    assert_eq!(j.max_order_id().unwrap(), 1, "no second order was made");
    assert!(j.open_orders().unwrap().is_empty());
    assert_eq!(j.fills().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_configuration_stops_the_start_with_every_problem_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("keeper.toml");
    let (ok, _, err) = run_with(
        &cfg,
        "vault = \"nope\"\nkeypair = \"k.json\"\n[[rpc]]\nurl = \"ftp://x.example.com/SECRETKEY\"\n[exec]\npriority_percentile = 101\n",
        &[],
    );
    assert!(!ok);
    let expected = format!(
        "error: {} has 3 problems:\n  \
         - vault: \"nope\" is not a base58 address\n  \
         - rpc[0]: ftp://x.example.com is not an http:// or https:// URL\n  \
         - exec.priority_percentile: 101 is not a percentile (0 to 100)\n",
        cfg.display()
    );
    assert_eq!(err, expected);

    // A keypair others can read is refused before any request.
    let key = dir.path().join("k.json");
    keeper::ops::wallet::write_keypair(&key, &solana_sdk::signature::Keypair::new()).unwrap();
    let mode = |m| std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(m));
    mode(0o644).unwrap();
    let vault = "vault = \"11111111111111111111111111111111\"\nkeypair = \"k.json\"\n";
    let (ok, _, err) = run_with(
        &cfg,
        &format!("{vault}[[rpc]]\nurl = \"http://127.0.0.1:9/\"\n"),
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("is readable by other users (mode 644)"),
        "{err}"
    );

    // --check prints the configuration without the secrets in it.
    mode(0o600).unwrap();
    let (ok, out, err) = run_with(
        &cfg,
        &format!("{vault}[[rpc]]\nurl = \"https://rpc.example.com/?api-key=SECRETKEY\"\n"),
        &["--check"],
    );
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["endpoints"][0][0], "https://rpc.example.com");
    assert_eq!(shown["websocket"], "wss://rpc.example.com");
    assert_eq!(shown["tier"], "5k");
    assert!(!out.contains("SECRETKEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_with_an_order_in_flight_drains_then_leaves_it_to_the_journal() {
    let (hook, _posted) = webhook().await;
    let s = prepare(&hook).await;
    s.node.swallow_sends.store(true, Ordering::SeqCst);
    let (k, addr) = ticking(&s.config).await;
    launch_on(&s.node, &s.tv).await;
    wait_metric(&k, &addr, "flashforge_orders_in_flight", 1.0).await;
    let asked = Instant::now();
    k.signal(libc::SIGTERM);
    let (ok, out, log) = k.exit().await;
    assert!(ok, "{log}");
    // The drain followed the order for the configured 5 s before giving up on it.
    assert!(asked.elapsed() >= Duration::from_secs(5), "{log}");
    let summary: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(summary["in_flight_at_exit"], 1);
    assert!(
        log.contains("following 1 order(s) in flight for up to 5s"),
        "{log}"
    );
    assert!(
        log.contains("1 order(s) still in flight; their signed bytes are in the journal"),
        "{log}"
    );
    let open = Journal::open(&s.dir.path().join("journal.sqlite"))
        .unwrap()
        .open_orders()
        .unwrap();
    assert_eq!(open.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_endpoint_dies_health_goes_stale_and_an_alert_says_so() {
    let (hook, posted) = webhook().await;
    let s = prepare(&hook).await;
    let (k, addr) = ticking(&s.config).await;
    s.node.down.store(true, Ordering::SeqCst);

    let m = wait_metric(&k, &addr, "flashforge_tick_errors_total", 1.0).await;
    let errors = format!("flashforge_rpc_errors_total{{endpoint=\"{}\"}}", s.node.url);
    assert!(sample(&m, &errors).unwrap() >= 4.0, "four attempts: {m}");
    // stale_after is 5 s: past it without a good tick, /health says 503.
    let start = Instant::now();
    let body = loop {
        let (code, body) = get(&format!("http://{addr}/health")).await;
        if code == 503 {
            break body;
        }
        assert!(start.elapsed() < WAIT, "never stale: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(body.contains("\"status\":\"stale\""), "{body}");
    let start = Instant::now();
    while !posted.lock().unwrap().iter().any(|b| {
        b["content"]
            .as_str()
            .unwrap()
            .starts_with("flashforge keeper: 1 tick failed in a row; the last: getSignaturesForAddress on http://127.0.0.1:")
    }) {
        assert!(
            start.elapsed() < WAIT,
            "no error alert: {:?}",
            posted.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The endpoint comes back: ticks succeed and health recovers.
    s.node.down.store(false, Ordering::SeqCst);
    let start = Instant::now();
    loop {
        let (code, body) = get(&format!("http://{addr}/health")).await;
        if code == 200 && body.contains("\"status\":\"ok\"") {
            break;
        }
        assert!(start.elapsed() < WAIT, "never recovered: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    k.signal(libc::SIGTERM);
    let (ok, out, log) = k.exit().await;
    assert!(ok, "{log}");
    assert!(log.contains("tick failed (1 in a row)"), "{log}");
    let texts = format!("{:?}", posted.lock().unwrap());
    assert_no_secrets(&format!("{out}\n{log}\n{texts}"), &s.tv);
}

fn listings(node: &Node) -> u64 {
    node.calls
        .lock()
        .unwrap()
        .get("getSignaturesForAddress")
        .copied()
        .unwrap_or(0)
}

/// After a feed reconnected: the second pool, launched in the gap, is found by a listing;
/// a third, launched now, comes over the new connection; none is counted twice. Returns the
/// third pool's mint and the last scrape.
async fn after_the_gap(k: &Keeper, addr: &str, s: &Setup, listed: u64) -> (Pubkey, String) {
    wait_metric(k, addr, "flashforge_feed_connects_total", 2.0).await;
    wait_metric(k, addr, "flashforge_pools_detected_total", 2.0).await;
    assert!(listings(&s.node) > listed, "the gap was listed");
    let c = launch_on(&s.node, &s.tv).await;
    s.node.publish().await;
    let m = settled(k, addr, "flashforge_orders_total{outcome=\"filled\"}", 3.0).await;
    assert_eq!(
        sample(&m, "flashforge_pools_detected_total"),
        Some(3.0),
        "none twice"
    );
    (c, m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_feed_backfills_a_silent_gap_with_no_pool_missed_or_repeated() {
    let (hook, _posted) = webhook().await;
    let s = prepare_feed(&hook, true).await;
    let mut k = Keeper::start(&s.config);
    let addr = k.metrics_addr().await;
    wait_metric(&k, &addr, "flashforge_feed_connected", 1.0).await;
    let ticks = wait_metric(&k, &addr, "flashforge_ticks_total", 1.0).await;
    let ticks = sample(&ticks, "flashforge_ticks_total").unwrap();

    // A: announced on the websocket and read from the notification alone.
    let listed = listings(&s.node);
    let a = launch_on(&s.node, &s.tv).await;
    s.node.publish().await;
    wait_metric(&k, &addr, "flashforge_pools_detected_total", 1.0).await;
    wait_metric(
        &k,
        &addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(listings(&s.node), listed, "a live feed needs no listing");

    // B: the connection dies silently; the launch is never announced and, while the keeper
    // believes the feed is live, not seen.
    s.node.ws_mute.store(true, Ordering::SeqCst);
    let b = launch_on(&s.node, &s.tv).await;
    s.node.publish().await;
    wait_metric(&k, &addr, "flashforge_ticks_total", ticks + 4.0).await;
    let m = wait_metric(&k, &addr, "flashforge_ticks_total", ticks + 5.0).await;
    assert_eq!(sample(&m, "flashforge_pools_detected_total"), Some(1.0));

    // The drop is noticed; the reconnection lists what was missed.
    s.node.ws_down.store(true, Ordering::SeqCst);
    wait_for(&k, &addr, "flashforge_feed_connected", |v| v == 0.0).await;
    s.node.ws_mute.store(false, Ordering::SeqCst);
    s.node.ws_down.store(false, Ordering::SeqCst);
    let (c, m) = after_the_gap(&k, &addr, &s, listed).await;
    assert_eq!(
        sample(&m, "flashforge_orders_total{outcome=\"filled\"}"),
        Some(3.0)
    );
    k.signal(libc::SIGTERM);
    let (ok, _, log) = k.exit().await;
    assert!(ok, "{log}");
    assert!(
        log.contains("websocket ws://127.0.0.1:"),
        "the drop is logged: {log}"
    );

    let mut chain = s.node.chain.lock().await;
    for mint in [a, b, c] {
        assert_eq!(position(&mut chain, &s.tv, &mint).await.total_bought, UNIT);
    }
    drop(chain);
    let j = Journal::open(&s.dir.path().join("journal.sqlite")).unwrap();
    assert_eq!(j.pool_count().unwrap(), 3);
}

/// A keeper configured to follow the node over a Yellowstone gRPC stand-in (whose x-token is
/// `token`) instead of its websocket.
async fn prepare_grpc(hook: &str, token: &str) -> (Setup, Arc<common::geyser::Geysers>) {
    let s = prepare(hook).await;
    let (url, geyser) = common::geyser::serve(&s.node, token).await;
    let text = std::fs::read_to_string(&s.config).unwrap();
    let text = text.replace(
        "websocket = \"off\"",
        &format!("grpc = \"{url}/?api-key=SECRETKEY\""),
    );
    std::fs::write(&s.config, text).unwrap();
    (s, geyser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grpc_feed_hands_over_whole_transactions_and_a_cut_stream_is_backfilled() {
    let (hook, _posted) = webhook().await;
    let (s, geyser) = prepare_grpc(&hook, "XTOKENSECRET").await;
    let mut k = Keeper::start_with_env(&s.config, &[("KEEPER_GRPC_X_TOKEN", "XTOKENSECRET")]);
    let addr = k.metrics_addr().await;
    wait_metric(&k, &addr, "flashforge_feed_connected", 1.0).await;
    wait_metric(&k, &addr, "flashforge_ticks_total", 1.0).await;
    assert_eq!(geyser.subscriptions.load(Ordering::SeqCst), 1);

    // A: streamed whole, so neither listed nor read over JSON-RPC.
    let listed = listings(&s.node);
    let a = launch_on(&s.node, &s.tv).await;
    s.node.publish().await;
    let streamed = geyser.streamed.load(Ordering::SeqCst);
    assert!(streamed >= 1);
    let streamed_sigs: Vec<String> = geyser.signatures();
    wait_metric(
        &k,
        &addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(listings(&s.node), listed, "a live stream needs no listing");
    let read = s.node.read.lock().unwrap().clone();
    assert!(
        streamed_sigs.iter().all(|sig| !read.contains(sig)),
        "streamed transactions are not read again: {read:?}"
    );

    // B: the server goes away; what lands meanwhile is listed after the reconnection.
    geyser.down.store(true, Ordering::SeqCst);
    geyser.cut();
    wait_for(&k, &addr, "flashforge_feed_connected", |v| v == 0.0).await;
    let b = launch_on(&s.node, &s.tv).await;
    s.node.publish().await;
    geyser.down.store(false, Ordering::SeqCst);
    let (c, _) = after_the_gap(&k, &addr, &s, listed).await;
    k.signal(libc::SIGTERM);
    let (ok, out, log) = k.exit().await;
    assert!(ok, "{log}");
    assert!(
        log.contains("gRPC http://127.0.0.1:")
            && log.contains(": stream: Unavailable; reconnecting in "),
        "the drop is logged: {log}"
    );
    assert!(!format!("{out}{log}").contains("XTOKENSECRET"), "{log}");
    assert_no_secrets(&format!("{out}\n{log}"), &s.tv);

    let mut chain = s.node.chain.lock().await;
    for mint in [a, b, c] {
        assert_eq!(position(&mut chain, &s.tv, &mint).await.total_bought, UNIT);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_grpc_token_is_logged_without_the_token_and_listing_carries_on() {
    let (hook, _posted) = webhook().await;
    let (s, geyser) = prepare_grpc(&hook, "RIGHTTOKEN").await;
    let mut k = Keeper::start_with_env(&s.config, &[("KEEPER_GRPC_X_TOKEN", "WRONGTOKEN")]);
    let addr = k.metrics_addr().await;
    wait_metric(&k, &addr, "flashforge_ticks_total", 1.0).await;
    let mint = launch_on(&s.node, &s.tv).await;
    s.node.publish().await;
    let m = wait_metric(
        &k,
        &addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(sample(&m, "flashforge_feed_connected"), Some(0.0));
    assert_eq!(geyser.subscriptions.load(Ordering::SeqCst), 0);
    k.signal(libc::SIGTERM);
    let (ok, out, log) = k.exit().await;
    assert!(ok, "{log}");
    assert!(
        log.contains(": subscribing: Unauthenticated; reconnecting in "),
        "{log}"
    );
    assert!(!format!("{out}{log}").contains("WRONGTOKEN"), "{log}");
    assert_no_secrets(&format!("{out}\n{log}"), &s.tv);
    assert_eq!(
        position(&mut *s.node.chain.lock().await, &s.tv, &mint)
            .await
            .total_bought,
        UNIT
    );
}

/// A stand-in Jito block engine: executes each bundle's transaction on the node's chain and
/// records its signature; and a tip-floor report whose 50th percentile is 0.00002 SOL.
async fn block_engine(node: Arc<Node>) -> (String, String, Arc<Mutex<Vec<String>>>) {
    let engine = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let floor = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let urls = (
        format!("http://{}", engine.local_addr().unwrap()),
        format!(
            "http://{}/api/v1/bundles/tip_floor",
            floor.local_addr().unwrap()
        ),
    );
    let bundles = Arc::new(Mutex::new(Vec::new()));
    let b = bundles.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = engine.accept().await {
            let (node, b) = (node.clone(), b.clone());
            tokio::spawn(async move {
                let Some(req) = common::read_request(&mut sock).await else {
                    return;
                };
                assert_eq!(req["method"], "sendBundle");
                let bytes = base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    req["params"][0][0].as_str().unwrap(),
                )
                .unwrap();
                let tx = keeper::execute::parse_signed(&bytes).unwrap();
                b.lock().unwrap().push(tx.signatures[0].to_string());
                let mut chain = node.chain.lock().await;
                keeper::chain::Chain::send(&mut *chain, &tx).await.unwrap();
                let id = "b".repeat(64);
                let payload = format!(r#"{{"jsonrpc":"2.0","result":"{id}","id":1}}"#);
                common::write_response(&mut sock, 200, &payload).await;
            });
        }
    });
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = floor.accept().await {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = r#"[{"time":"2026-12-02T08:00:00Z","landed_tips_25th_percentile":0.000005,"landed_tips_50th_percentile":0.00002,"landed_tips_75th_percentile":0.0001,"landed_tips_95th_percentile":0.001,"landed_tips_99th_percentile":0.01,"ema_landed_tips_50th_percentile":0.00002}]"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (urls.0, urls.1, bundles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_block_engine_the_buy_goes_as_a_bundle_tipped_at_the_floor_percentile() {
    let (hook, _posted) = webhook().await;
    let (node, tv, probe) = start_node().await;
    let (engine, floor, bundles) = block_engine(node.clone()).await;
    // The tip accounts exist on mainnet; here they are created first, as a tip below the
    // rent-exempt minimum could not open an account.
    {
        let mut chain = node.chain.lock().await;
        for t in keeper::jito::TIP_ACCOUNTS {
            chain.chain.fund(&t, 1_000_000_000).await;
        }
    }
    let s = configure(
        node,
        tv,
        probe,
        &hook,
        false,
        &format!(
            "[jito]\nblock_engine = \"{engine}\"\ntip_floor = \"{floor}\"\ntip_percentile = 50\nmin_tip_lamports = 1000\nmax_tip_lamports = 1000000\n"
        ),
    );
    let (k, addr) = ticking(&s.config).await;
    let mint = launch_on(&s.node, &s.tv).await;
    let m = wait_metric(
        &k,
        &addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(
        sample(&m, "flashforge_jito_bundles_total{result=\"sent\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&m, "flashforge_jito_tip_lamports"), Some(20_000.0));
    k.signal(libc::SIGTERM);
    let (ok, _, log) = k.exit().await;
    assert!(ok, "{log}");

    // The one bundle carried the journaled order, and its tip went to the first tip account.
    let j = Journal::open(&s.dir.path().join("journal.sqlite")).unwrap();
    assert_eq!(j.max_order_id().unwrap(), 1);
    let sent = bundles.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let mut chain = s.node.chain.lock().await;
    assert_eq!(position(&mut chain, &s.tv, &mint).await.total_bought, UNIT);
    let tips = keeper::chain::Chain::accounts(&mut *chain, &keeper::jito::TIP_ACCOUNTS)
        .await
        .unwrap();
    let balances: Vec<u64> = tips.iter().map(|a| a.as_ref().unwrap().lamports).collect();
    assert_eq!(
        balances[0],
        1_000_000_000 + 20_000,
        "the 50th percentile, 0.00002 SOL"
    );
    assert!(
        balances[1..].iter().all(|b| *b == 1_000_000_000),
        "one tip only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_a_postgres_journal_fail_over_and_the_order_in_flight_lands_once() {
    let (hook, posted) = webhook().await;
    let (s, url) = on_postgres(&hook).await;

    // A takes the lease and trades; B, on the same configuration, stands by. A's buy will
    // land without A hearing of it (see the crash test on why not a resend here).
    s.node.hide_statuses.store(true, Ordering::SeqCst);
    let (a, a_addr) = ticking(&s.config).await;
    let mut b = Keeper::start(&s.config);
    let b_addr = b.metrics_addr().await;
    let m = wait_for(&b, &b_addr, "flashforge_leader", |v| v == 0.0).await;
    assert_eq!(sample(&m, "flashforge_ticks_total"), Some(0.0));
    let (code, health) = get(&format!("http://{b_addr}/health")).await;
    assert_eq!(
        (code, health.contains("\"status\":\"standby\"")),
        (200, true),
        "{health}"
    );

    // A journals and sends a buy, and dies before it learns the outcome.
    let mint = launch_on(&s.node, &s.tv).await;
    wait_metric(
        &a,
        &a_addr,
        "flashforge_orders_total{outcome=\"sent\"}",
        1.0,
    )
    .await;
    a.signal(libc::SIGKILL);
    let (ok, _, _) = a.exit().await;
    assert!(!ok);
    s.node.hide_statuses.store(false, Ordering::SeqCst);

    // B takes over within seconds and follows A's order from the shared journal.
    let took = Instant::now();
    wait_metric(&b, &b_addr, "flashforge_leader", 1.0).await;
    assert!(
        took.elapsed() < Duration::from_secs(10),
        "took {:?}",
        took.elapsed()
    );
    let m = settled(
        &b,
        &b_addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(
        sample(&m, "flashforge_orders_total{outcome=\"sent\"}"),
        Some(0.0),
        "B sent no order of its own"
    );
    b.signal(libc::SIGTERM);
    let (ok, _, log) = b.exit().await;
    assert!(ok, "{log}");
    assert!(
        log.contains("standing by") && log.contains("leading vault"),
        "{log}"
    );
    assert!(!log.contains("hunter2"));

    assert_eq!(
        position(&mut *s.node.chain.lock().await, &s.tv, &mint)
            .await
            .total_bought,
        UNIT
    );
    assert_eq!(vault_state(&s.node, &s.tv).await.last_order_id, 1);
    let (max, fills, open) = tokio::task::spawn_blocking(move || {
        let j = Journal::open_location(&url).unwrap();
        (
            j.max_order_id().unwrap(),
            j.fills().unwrap().len(),
            j.open_orders().unwrap().len(),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        (max, fills, open),
        (1, 1, 0),
        "one order, filled once, none left open"
    );
    let texts = format!("{:?}", posted.lock().unwrap());
    assert!(
        texts.contains(&format!("took over vault {}", s.tv.f.keys.vault)),
        "{texts}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_taking_over_reads_on_from_the_old_leaders_feed_position_and_misses_no_pool() {
    let (hook, _posted) = webhook().await;
    let (s, url) = on_postgres(&hook).await;
    let (a, a_addr) = ticking(&s.config).await;
    let mut b = Keeper::start(&s.config);
    let b_addr = b.metrics_addr().await;
    wait_for(&b, &b_addr, "flashforge_leader", |v| v == 0.0).await;

    // A buys a first pool; its feed position moves past it.
    let first = launch_on(&s.node, &s.tv).await;
    settled(
        &a,
        &a_addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;

    // B is held while A dies and a second pool is created, so no keeper is reading the feed
    // when it lands. A replica that started reading from "now" would take it for history.
    b.signal(libc::SIGSTOP);
    a.signal(libc::SIGKILL);
    let (ok, _, _) = a.exit().await;
    assert!(!ok);
    let second = launch_on(&s.node, &s.tv).await;
    b.signal(libc::SIGCONT);

    wait_metric(&b, &b_addr, "flashforge_leader", 1.0).await;
    let m = settled(
        &b,
        &b_addr,
        "flashforge_orders_total{outcome=\"filled\"}",
        1.0,
    )
    .await;
    assert_eq!(
        (
            sample(&m, "flashforge_pools_detected_total"),
            sample(&m, "flashforge_pools_scored_total"),
            sample(&m, "flashforge_orders_total{outcome=\"sent\"}"),
        ),
        (Some(1.0), Some(1.0), Some(1.0)),
        "B found the second pool only, and bought it once:\n{m}"
    );
    b.signal(libc::SIGTERM);
    let (ok, _, log) = b.exit().await;
    assert!(ok, "{log}");

    let mut chain = s.node.chain.lock().await;
    assert_eq!(position(&mut chain, &s.tv, &first).await.total_bought, UNIT);
    assert_eq!(
        position(&mut chain, &s.tv, &second).await.total_bought,
        UNIT
    );
    drop(chain);
    assert_eq!(vault_state(&s.node, &s.tv).await.last_order_id, 2);
    let vault = s.tv.f.keys.vault;
    let (positions, undecided, pools) = tokio::task::spawn_blocking(move || {
        let j = Journal::open_location(&url).unwrap();
        (
            j.feed_positions(&vault).unwrap(),
            j.undecided_pools(0).unwrap().len(),
            j.pool_count().unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(positions[0].program, local_amm::ID);
    assert_eq!((undecided, pools), (0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_loses_its_journal_session_stops_trading_and_exits_with_the_reason() {
    let (hook, _posted) = webhook().await;
    let (s, url) = on_postgres(&hook).await;
    let (k, _addr) = ticking(&s.config).await;
    // The server ends the session that holds the lease: a standby may take over at once, so
    // this keeper must not send anything more.
    tokio::task::spawn_blocking(move || common::pg::terminate_sessions(&url))
        .await
        .unwrap();
    let (ok, _, log) = k.exit().await;
    assert!(!ok, "{log}");
    assert!(
        log.contains("error: the journal's connection, which holds the leader lease, is gone: "),
        "{log}"
    );
    assert_no_secrets(&log, &s.tv);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_metrics_port_stops_the_start_with_its_address() {
    let (hook, _posted) = webhook().await;
    let s = prepare(&hook).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let text = std::fs::read_to_string(&s.config)
        .unwrap()
        .replace("listen = \"127.0.0.1:0\"", &format!("listen = \"{addr}\""));
    let (ok, _, err) = run_with(&s.config, &text, &[]);
    assert!(!ok);
    assert_eq!(
        err.lines().last().unwrap(),
        format!(
            "error: metrics.listen: cannot listen on {addr}: Address already in use (os error 98)"
        )
    );
    assert_no_secrets(&err, &s.tv);
}
