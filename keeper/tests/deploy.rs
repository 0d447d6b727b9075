//! The deployment files agree with the keeper: the dashboard queries metrics it exports, the
//! service managers wait out its drain before killing it, and the Kubernetes example's
//! configuration is one the keeper accepts once the vault is filled in.

use keeper::run::config::{resolve, FileConfig, RunArgs, DEFAULT_DRAIN_SECS};
use keeper::run::metrics::Metrics;
use std::path::{Path, PathBuf};

fn deploy(file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `flashforge_*` names in `text`, without the suffixes the exposition adds.
fn metric_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("flashforge_"))
        .map(|w| {
            let mut w = w.to_string();
            for suffix in ["_bucket", "_total", "_sum", "_count"] {
                if let Some(base) = w.strip_suffix(suffix) {
                    w = base.to_string();
                }
            }
            w
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_metric_the_dashboard_queries_is_exported() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&deploy("grafana/dashboards/keeper.json")).unwrap();
    let mut queried = Vec::new();
    for p in dashboard["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            queried.extend(metric_names(t["expr"].as_str().unwrap()));
        }
    }
    queried.sort();
    queried.dedup();
    assert!(queried.len() >= 20, "{queried:?}");
    let metrics = Metrics::new();
    for name in &queried {
        assert!(
            metrics.names().contains(&name.as_str()),
            "the dashboard queries {name}, which the keeper does not export"
        );
    }
}

/// The number right after `key` in `text`.
fn number_after(text: &str, key: &str) -> u64 {
    let rest = text.split(key).nth(1).unwrap_or_else(|| panic!("no {key}"));
    rest.trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn every_service_manager_waits_out_the_drain_before_killing() {
    let waits = [
        (
            "compose",
            number_after(&deploy("compose.yaml"), "stop_grace_period:"),
        ),
        (
            "kubernetes",
            number_after(&deploy("k8s/keeper.yaml"), "terminationGracePeriodSeconds:"),
        ),
        (
            "systemd",
            number_after(
                &deploy("systemd/flashforge-keeper.service"),
                "TimeoutStopSec=",
            ),
        ),
    ];
    for (who, secs) in waits {
        assert!(
            secs > DEFAULT_DRAIN_SECS + 5,
            "{who} kills after {secs}s, before the {DEFAULT_DRAIN_SECS}s drain and a last tick"
        );
    }
}

#[test]
fn the_kubernetes_configuration_is_accepted_once_the_vault_is_set() {
    let manifest = deploy("k8s/keeper.yaml");
    let start = manifest.find("keeper.toml: |").unwrap();
    let toml: String = manifest[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .map(|l| l.strip_prefix("    ").unwrap_or(l).to_string() + "\n")
        .collect();
    let path = PathBuf::from("/etc/flashforge/keeper.toml");
    let args = RunArgs {
        config: path.clone(),
        ..Default::default()
    };
    let file: FileConfig = toml::from_str(&toml).unwrap();
    let e = resolve(file, &args, &path).unwrap_err().to_string();
    assert_eq!(
        e,
        "/etc/flashforge/keeper.toml has 1 problem:\n  - vault: \"REPLACE_WITH_THE_VAULT_ADDRESS\" is not a base58 address"
    );
    let filled = toml.replace(
        "REPLACE_WITH_THE_VAULT_ADDRESS",
        "11111111111111111111111111111111",
    );
    // The Deployment gives the journal as KEEPER_JOURNAL, from a Secret.
    assert!(manifest.contains(
        "- name: KEEPER_JOURNAL\n              valueFrom:\n                secretKeyRef: {name: keeper-journal, key: url}"
    ));
    let with_env = RunArgs {
        journal: Some("postgres://flashforge:pw@postgres:5432/flashforge".into()),
        ..args
    };
    let c = resolve(toml::from_str(&filled).unwrap(), &with_env, &path).unwrap();
    assert_eq!(c.keypair, PathBuf::from("/keys/keeper.json"));
    assert_eq!(
        c.metrics_listen.unwrap().to_string(),
        "0.0.0.0:9464",
        "reachable by the probes and the Service"
    );
    assert!(
        c.journal.starts_with("postgres://"),
        "shared by the replicas"
    );
    assert_eq!(
        c.shown().journal,
        "postgres://postgres:5432",
        "no password shown"
    );
}

#[test]
fn order_counters_exist_at_zero_before_the_first_order() {
    let text = Metrics::new().text();
    for outcome in ["sent", "filled", "expired", "rejected_by_vault", "failed"] {
        let line = format!("flashforge_orders_total{{outcome=\"{outcome}\"}} 0");
        assert!(text.contains(&line), "{line} missing from:\n{text}");
    }
}
