//! Several JSON-RPC endpoints behind one caller. Each request goes to the healthiest endpoint
//! that is not cooling down (fewest consecutive failures, then lowest recent latency), inside
//! that endpoint's own rate limit. A rate-limited (429), failing (5xx, node behind) or
//! unreachable endpoint cools down for an exponentially growing, jittered time and the request
//! moves to the next one; with a single endpoint the caller waits the cool-down out. Every
//! request carries a timeout.
//!
//! Endpoint URLs often carry an API key: statistics and errors name an endpoint by scheme and
//! host only.

use anyhow::{anyhow, bail, Context, Result};
use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Requests per second an endpoint gets unless configured otherwise (public mainnet RPC
/// allows 10 per second per IP for most methods).
pub const DEFAULT_RPS: f64 = 10.0;
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// JSON-RPC error codes that mean "this node cannot answer now", not "the request is wrong":
/// node behind, slot skipped or unavailable, block not available.
const NODE_UNHEALTHY_CODES: [i64; 4] = [-32005, -32004, -32007, -32014];

#[derive(Clone, Debug, PartialEq)]
pub struct EndpointConfig {
    pub url: String,
    pub requests_per_second: f64,
}

/// What one endpoint has done, for metrics and status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EndpointStats {
    /// Scheme and host only.
    pub endpoint: String,
    pub requests: u64,
    pub errors: u64,
    pub rate_limited: u64,
    pub consecutive_failures: u32,
    /// Recent latency (exponentially weighted), milliseconds.
    pub latency_ms: f64,
    pub cooling_down: bool,
}

struct Endpoint {
    url: String,
    spacing: Duration,
    next_free: Instant,
    cooldown_until: Option<Instant>,
    stats: EndpointStats,
}

/// `scheme://host[:port]` of a URL: what may be shown of it.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            // user:password@host
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{scheme}://{host}")
        }
        None => "<endpoint>".into(),
    }
}

/// The cool-down after `failures` consecutive failures: 250 ms doubling to at most 10 s,
/// "equal jitter" (between half and all of it) so that many clients do not retry in step.
pub fn backoff(failures: u32, rng: &mut impl Rng) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let full = exp.min(BACKOFF_CAP);
    full.mul_f64(rng.gen_range(0.5..=1.0))
}

pub struct Endpoints {
    list: Vec<Endpoint>,
    http: reqwest::Client,
    next_id: u64,
}

enum Attempt {
    Ok(Value),
    /// The endpoint's fault: try another.
    Unhealthy {
        rate_limited: bool,
        retry_after: Option<Duration>,
        why: String,
    },
    /// The request's fault: no endpoint will do better.
    Fatal(anyhow::Error),
}

impl Endpoints {
    pub fn new(configs: Vec<EndpointConfig>) -> Result<Self> {
        if configs.is_empty() {
            bail!("at least one RPC endpoint is needed");
        }
        let now = Instant::now();
        let mut list = Vec::with_capacity(configs.len());
        for c in configs {
            if !(c.url.starts_with("http://") || c.url.starts_with("https://")) {
                bail!("RPC endpoint {} is not an http(s) URL", redact(&c.url));
            }
            if !(c.requests_per_second.is_finite() && c.requests_per_second > 0.0) {
                bail!(
                    "RPC endpoint {}: requests per second must be positive",
                    redact(&c.url)
                );
            }
            list.push(Endpoint {
                stats: EndpointStats {
                    endpoint: redact(&c.url),
                    ..Default::default()
                },
                spacing: Duration::from_secs_f64(1.0 / c.requests_per_second),
                url: c.url,
                next_free: now,
                cooldown_until: None,
            });
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(Self {
            list,
            http,
            next_id: 0,
        })
    }

    pub fn stats(&self) -> Vec<EndpointStats> {
        let now = Instant::now();
        self.list
            .iter()
            .map(|e| EndpointStats {
                cooling_down: e.cooldown_until.is_some_and(|t| t > now),
                ..e.stats.clone()
            })
            .collect()
    }

    /// The endpoint to use now, and how long to wait before using it.
    fn pick(&self) -> (usize, Duration) {
        let now = Instant::now();
        let ready = |e: &Endpoint| e.cooldown_until.is_none_or(|t| t <= now);
        let best = self
            .list
            .iter()
            .enumerate()
            .filter(|(_, e)| ready(e))
            .min_by(|(_, a), (_, b)| {
                a.stats
                    .consecutive_failures
                    .cmp(&b.stats.consecutive_failures)
                    .then(a.stats.latency_ms.total_cmp(&b.stats.latency_ms))
            })
            .map(|(i, _)| i);
        let i = best.unwrap_or_else(|| {
            // Every endpoint is cooling down: the one that recovers first.
            (0..self.list.len())
                .min_by_key(|&i| self.list[i].cooldown_until)
                .unwrap_or(0)
        });
        let e = &self.list[i];
        let ready_at = e.cooldown_until.unwrap_or(now).max(e.next_free).max(now);
        (i, ready_at - now)
    }

    /// One JSON-RPC call; returns `result`.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let attempts = (2 * self.list.len()).max(4);
        let mut last = String::new();
        for _ in 0..attempts {
            let (i, wait) = self.pick();
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            self.next_id += 1;
            let body =
                json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params});
            let e = &mut self.list[i];
            e.next_free = Instant::now() + e.spacing;
            e.stats.requests += 1;
            let started = Instant::now();
            let attempt = Self::attempt(&self.http, &self.list[i].url, method, &body).await;
            let e = &mut self.list[i];
            match attempt {
                Attempt::Ok(v) => {
                    let ms = started.elapsed().as_secs_f64() * 1e3;
                    e.stats.latency_ms = if e.stats.latency_ms == 0.0 {
                        ms
                    } else {
                        0.8 * e.stats.latency_ms + 0.2 * ms
                    };
                    e.stats.consecutive_failures = 0;
                    e.cooldown_until = None;
                    return Ok(v);
                }
                Attempt::Fatal(err) => return Err(err),
                Attempt::Unhealthy {
                    rate_limited,
                    retry_after,
                    why,
                } => {
                    if rate_limited {
                        e.stats.rate_limited += 1;
                    } else {
                        e.stats.errors += 1;
                    }
                    e.stats.consecutive_failures += 1;
                    let pause = backoff(e.stats.consecutive_failures, &mut rand::thread_rng())
                        .max(retry_after.unwrap_or_default().min(BACKOFF_CAP));
                    e.cooldown_until = Some(Instant::now() + pause);
                    last = format!("{method} on {}: {why}", e.stats.endpoint);
                }
            }
        }
        Err(anyhow!("{last} (gave up after {attempts} attempts)"))
    }

    async fn attempt(http: &reqwest::Client, url: &str, method: &str, body: &Value) -> Attempt {
        let resp = match http.post(url).json(body).send().await {
            Ok(r) => r,
            Err(e) => {
                // reqwest's message can include the URL: keep only the kind of failure.
                let why = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "transport error"
                };
                return Attempt::Unhealthy {
                    rate_limited: false,
                    retry_after: None,
                    why: why.into(),
                };
            }
        };
        let status = resp.status();
        if status.as_u16() == 429 {
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Attempt::Unhealthy {
                rate_limited: true,
                retry_after,
                why: "HTTP 429".into(),
            };
        }
        if status.is_server_error() {
            return Attempt::Unhealthy {
                rate_limited: false,
                retry_after: None,
                why: format!("HTTP {status}"),
            };
        }
        if !status.is_success() {
            return Attempt::Fatal(anyhow!("{method}: HTTP {status}"));
        }
        let v: Value = match resp
            .json()
            .await
            .with_context(|| format!("{method}: response is not JSON"))
        {
            Ok(v) => v,
            Err(e) => {
                return Attempt::Unhealthy {
                    rate_limited: false,
                    retry_after: None,
                    why: e.to_string(),
                }
            }
        };
        if let Some(err) = v.get("error") {
            let code = err["code"].as_i64().unwrap_or(0);
            if NODE_UNHEALTHY_CODES.contains(&code) {
                return Attempt::Unhealthy {
                    rate_limited: false,
                    retry_after: None,
                    why: format!("node unhealthy: {err}"),
                };
            }
            return Attempt::Fatal(anyhow!("{method}: {err}"));
        }
        Attempt::Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn urls_lose_their_keys() {
        assert_eq!(
            redact("https://mainnet.helius-rpc.com/?api-key=SECRET"),
            "https://mainnet.helius-rpc.com"
        );
        assert_eq!(
            redact("https://user:pw@rpc.example.com:8899/path/SECRET"),
            "https://rpc.example.com:8899"
        );
        assert_eq!(redact("SECRET"), "<endpoint>");
    }

    #[test]
    fn backoff_doubles_within_bounds_with_jitter() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for f in 1..20u32 {
            let full = BACKOFF_BASE
                .saturating_mul(1 << (f - 1).min(16))
                .min(BACKOFF_CAP);
            for _ in 0..50 {
                let b = backoff(f, &mut rng);
                assert!(b >= full / 2 && b <= full, "{f}: {b:?} vs {full:?}");
            }
        }
    }

    #[test]
    fn bad_configurations_are_refused() {
        let e = |url: &str, rps: f64| {
            Endpoints::new(vec![EndpointConfig {
                url: url.into(),
                requests_per_second: rps,
            }])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
        };
        assert!(e("ftp://x/SECRET", 1.0).contains("not an http(s) URL"));
        assert!(!e("ftp://x/SECRET", 1.0).contains("SECRET"));
        assert!(e("https://x", 0.0).contains("must be positive"));
        assert!(e("https://x", f64::NAN).contains("must be positive"));
        assert!(Endpoints::new(vec![]).is_err());
    }
}
