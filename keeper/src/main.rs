use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use keeper::chain::rpc::RpcChain;
use keeper::score::Weights;
use keeper::sim::{self, Scenario, SimConfig};
use solana_sdk::pubkey::Pubkey;
use std::path::PathBuf;
use std::str::FromStr;

/// Flashforge keeper.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole system on the embedded chain: vault, governance, investors, a market of
    /// honest launches and rugs, and the keeper trading it. No network, keys or configuration.
    Sim {
        /// Stress scenario.
        #[arg(long, value_enum, default_value = "normal")]
        scenario: Scenario,
        /// Seed of the market generator (same seed, same run).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Pools launched over the run.
        #[arg(long, default_value_t = 120)]
        pools: u32,
        /// Ticks of 60 s to run (default: twice the pools, at least 120).
        #[arg(long)]
        ticks: Option<u32>,
        /// Budget tier: 50, 500, 5k or 50k.
        #[arg(long, default_value = "5k")]
        tier: String,
        /// Score weights (TOML); defaults built in.
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Output directory for summary.json, report.html and the journal.
        #[arg(long, default_value = "sim-out")]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Runs the keeper against a cluster (mainnet, devnet or a local validator) until SIGINT
    /// or SIGTERM, with /metrics and /health, alerts and a drained shutdown.
    Run(keeper::run::config::RunArgs),
    /// Measures the keeper's hot paths and prints figures with same-run baselines.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
        /// Seconds each measurement runs for.
        #[arg(long, default_value_t = 2.0, global = true)]
        seconds: f64,
        /// Print JSON instead of the table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Prints the pools created by the transactions in each file, one JSON object per file.
    Detect {
        /// Transaction files in any supported format.
        files: Vec<PathBuf>,
    },
    #[command(flatten)]
    Ops(keeper::ops::cli::OpCommand),
    /// Prints the safety report of a token (by mint) or of a local-AMM pool.
    Score {
        /// Mint or pool address.
        address: String,
        /// JSON-RPC endpoint, or several separated by commas (tried in turn on failure).
        #[arg(
            long,
            env = "KEEPER_RPC_URL",
            default_value = "https://api.mainnet-beta.solana.com"
        )]
        rpc: String,
        /// The quote mint pools are priced in (default: wrapped SOL).
        #[arg(long, default_value = "So11111111111111111111111111111111111111112")]
        quote: String,
        /// Score weights (TOML); defaults built in.
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Print JSON instead of the human report.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Transactions per second: in-memory decode, and JSON bytes to pools.
    Detect {
        /// Transaction files (default: every file under ../shared/fixtures/tx).
        files: Vec<PathBuf>,
    },
    /// Pool evaluations per second from cached accounts, and detection → signed transaction
    /// latency, on a market launched on the embedded chain.
    Keeper {
        /// Pools launched for the measurement.
        #[arg(long, default_value_t = 200)]
        pools: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

fn load_weights(path: Option<&PathBuf>) -> Result<Weights> {
    match path {
        None => Ok(Weights::default()),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing weights in {}", p.display()))
        }
    }
}

fn main() {
    // Errors print as one readable chain of causes, never as a backtrace.
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Ops(op) => ops(op),
        Command::Run(args) => run_keeper(args),
        Command::Detect { files } => detect(files),
        Command::Bench {
            what,
            seconds,
            json,
        } => bench(
            what,
            std::time::Duration::from_secs_f64(seconds.max(0.01)),
            json,
        ),
        Command::Sim {
            scenario,
            seed,
            pools,
            ticks,
            tier,
            weights,
            out,
            quiet,
        } => {
            let Some(preset) = keeper::strategy::preset(&tier) else {
                let names: Vec<String> = keeper::strategy::presets()
                    .into_iter()
                    .map(|p| p.name)
                    .collect();
                bail!("unknown tier {tier:?}; choose one of {}", names.join(", "));
            };
            if pools == 0 {
                bail!("--pools must be at least 1");
            }
            let cfg = SimConfig {
                scenario,
                seed,
                pools,
                ticks,
                out: out.clone(),
                preset,
                weights: load_weights(weights.as_ref())?,
                progress: !quiet,
            };
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            // Natively, the programs' `msg!` lines go to standard output; keep them in a file
            // beside the report instead of in the terminal.
            let summary = {
                let _redirect = keeper::sim::StdoutTo::file(&out.join("programs.log"))?;
                rt.block_on(sim::run(cfg))
            }?;
            print!("{}", sim::report::terminal(&summary));
            println!(
                "wrote {} and {}",
                out.join("summary.json").display(),
                out.join("report.html").display()
            );
            Ok(())
        }
        Command::Score {
            address,
            rpc,
            quote,
            weights,
            json,
        } => {
            let address = Pubkey::from_str(&address)
                .with_context(|| format!("{address:?} is not a base58 address"))?;
            let quote = Pubkey::from_str(&quote)
                .with_context(|| format!("--quote {quote:?} is not a base58 address"))?;
            let weights = load_weights(weights.as_ref())?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(score(address, &rpc, quote, &weights, json))
        }
    }
}

/// `keeper run`: checks the configuration, then runs until a signal or `--max-ticks`.
fn run_keeper(args: keeper::run::config::RunArgs) -> Result<()> {
    let cfg = keeper::run::config::load(&args)?;
    // Read once here so a bad keypair file stops the start, before any network traffic.
    keeper::ops::wallet::read_keypair(&cfg.keypair)?;
    if args.check {
        println!("{}", serde_json::to_string_pretty(&cfg.shown())?);
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let summary = rt.block_on(async {
        let stop = keeper::run::signals()?;
        keeper::run::run(cfg, stop).await
    })?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Runs an operator, investor or member command. On the local chain the programs' log lines
/// go to `programs.log` in the local directory, so standard output carries only the result.
fn ops(cmd: keeper::ops::cli::OpCommand) -> Result<()> {
    use keeper::ops::cli::{ask_terminal, exec, exec_local};
    let (op, t) = cmd.split();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut ask = ask_terminal;
    let out = if t.is_local() {
        std::fs::create_dir_all(&t.local_dir)
            .with_context(|| format!("creating {}", t.local_dir.display()))?;
        let _quiet = keeper::sim::StdoutTo::file(&t.local_dir.join("programs.log"))?;
        rt.block_on(exec_local(&op, &t, &mut ask))
    } else {
        // Each URL is checked as an http(s) URL; errors show scheme and host only.
        let mut chain = RpcChain::from_list(&t.url)
            .context("--url must be `local` or http(s) JSON-RPC URLs separated by commas")?;
        rt.block_on(exec(&mut chain, &op, &t, &mut ask))
    }?;
    print!("{out}");
    Ok(())
}

fn detect(files: Vec<PathBuf>) -> Result<()> {
    let mut failed = false;
    for f in files {
        match keeper::detect::files::detect_file(&f) {
            Ok(pools) => println!(
                "{}",
                serde_json::json!({ "file": f.display().to_string(), "pools": pools })
            ),
            Err(e) => {
                failed = true;
                println!(
                    "{}",
                    serde_json::json!({ "file": f.display().to_string(), "pools": [], "error": e.to_string() })
                );
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

async fn score(
    address: Pubkey,
    rpc: &str,
    quote: Pubkey,
    weights: &Weights,
    json: bool,
) -> Result<()> {
    let mut chain = RpcChain::from_list(rpc)?;
    let account = keeper::chain::account(&mut chain, &address)
        .await
        .with_context(|| format!("reading {address} from {rpc}"))?
        .with_context(|| format!("{address} has no account on {rpc}"))?;
    let report =
        keeper::gather::score_address(&mut chain, &address, &account, &quote, weights).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(())
}

fn bench(what: BenchWhat, min: std::time::Duration, json: bool) -> Result<()> {
    use keeper::bench;
    match what {
        BenchWhat::Detect { files } => {
            let files = if files.is_empty() {
                bench::files_under(&bench::default_fixtures()?)?
            } else {
                files
            };
            let f = bench::detect_bench(&files, min)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&f)?);
            } else {
                println!(
                    "detect: {} files, {} transactions, {} pools (one core)",
                    f.files, f.transactions, f.pools
                );
                println!(
                    "  (a) decode in-memory transaction   {:>12.0} tx/s  {:>9.0} ns/tx",
                    f.decode_tx_per_s, f.decode_ns_per_tx
                );
                println!(
                    "  (b) JSON bytes -> pools            {:>12.0} tx/s  {:>9.0} ns/tx",
                    f.json_tx_per_s, f.json_ns_per_tx
                );
                println!(
                    "  baseline: general JSON reader      {:>12.0} tx/s  ((b) is {:.2}x)",
                    f.general_json_tx_per_s,
                    f.json_tx_per_s / f.general_json_tx_per_s
                );
                println!(
                    "  baseline: JSON parse to a value    {:>12.0} tx/s  ((b) is {:.2}x)",
                    f.baseline_json_parse_tx_per_s,
                    f.json_tx_per_s / f.baseline_json_parse_tx_per_s
                );
            }
        }
        BenchWhat::Keeper { pools, seed } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (e, l) = {
                let _quiet = keeper::sim::StdoutTo::file(
                    &std::env::temp_dir().join("keeper-bench-programs.log"),
                )?;
                rt.block_on(async {
                    let mut r = bench::record_market(pools, seed).await?;
                    let e = bench::evaluate_bench(&mut r, min).await?;
                    let l = bench::latency_bench(&mut r, 20).await?;
                    anyhow::Ok((e, l))
                })?
            };
            if json {
                println!("{}", serde_json::json!({"evaluate": e, "latency": l}));
            } else {
                println!("keeper: {} pools from cached accounts (one core)", e.pools);
                println!(
                    "  evaluations (gather + score + decide)  {:>10.0} /s  {:>8.1} us each",
                    e.evaluations_per_s, e.us_per_evaluation
                );
                println!(
                    "  baseline: score alone                  {:>10.0} /s  (evaluation is {:.1}x the score's cost)",
                    e.baseline_score_only_per_s,
                    e.baseline_score_only_per_s / e.evaluations_per_s
                );
                println!(
                    "  detection -> signed vault transaction  p50 {:.1} us  p99 {:.1} us  max {:.1} us  ({} samples)",
                    l.p50_us, l.p99_us, l.max_us, l.samples
                );
                println!(
                    "  baseline: signing alone                p50 {:.1} us",
                    l.baseline_sign_only_p50_us
                );
            }
        }
    }
    Ok(())
}
