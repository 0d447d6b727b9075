use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Flashforge keeper.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prints the pools created by the transactions in each file, one JSON object per file.
    Detect {
        /// Transaction files in any supported format.
        files: Vec<PathBuf>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Detect { files } => {
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
        }
    }
    Ok(())
}
