//! The command line (clap) and the settings it is merged with: defaults, then a config
//! file (`pinspider.toml` in the working directory, or `--config FILE`), then the
//! environment (`PINSPIDER_*`, e.g. `PINSPIDER_MAX_USERS=5`), then the flags.

use crate::model::{FetchSettings, TaskKind};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use std::path::PathBuf;

/// `--version`.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// pinspider: crawls user profiles and boards with two Mesos executors.
#[derive(Debug, Parser)]
#[command(name = "pinspider", version = VERSION, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Executor mode (what the agent launches).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Profile URLs to crawl (`https://www.pinterest.com/<user>/`).
    pub urls: Vec<String>,
    /// Mesos master (`http://host:5050`, comma-separated candidates); default: the
    /// embedded local cluster.
    #[arg(long)]
    pub master: Option<String>,
    /// Serve the bundled fixture site on loopback and crawl it (works offline).
    #[arg(long)]
    pub demo: bool,
    /// Write JSON lines here instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Most users crawled in all (seeds included).
    #[arg(long)]
    pub max_users: Option<usize>,
    /// Crawl users discovered on the pages too.
    #[arg(long)]
    pub follow: bool,
    /// Requests per second per host, per executor.
    #[arg(long = "rate", value_name = "PER_SEC")]
    pub rate: Option<f64>,
    /// Allow fetching from private, loopback and link-local addresses.
    #[arg(long)]
    pub allow_private_network: bool,
    /// Wire encoding towards Mesos.
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,
    /// Config file (default: `pinspider.toml` if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Fetch the executor binary from this URI (for a real cluster whose agents do not
    /// have this binary at the same path).
    #[arg(long)]
    pub executor_uri: Option<String>,
    /// Run the tasks in this process instead of on Mesos.
    #[arg(long, hide = true)]
    pub in_process: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run as an executor (launched by the Mesos agent).
    Executor {
        /// Which executor.
        #[arg(long, value_enum)]
        kind: TaskKind,
    },
}

/// `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingArg {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

impl From<EncodingArg> for mesos_actix::Encoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Protobuf => mesos_actix::Encoding::Protobuf,
            EncodingArg::Json => mesos_actix::Encoding::Json,
        }
    }
}

/// Everything the scheduler runs with, after merging.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Settings {
    /// Profile URLs.
    #[serde(default)]
    pub urls: Vec<String>,
    /// The master, if any.
    #[serde(default)]
    pub master: Option<String>,
    /// `--demo`.
    #[serde(default)]
    pub demo: bool,
    /// `--output`.
    #[serde(default)]
    pub output: Option<PathBuf>,
    /// `--max-users`.
    pub max_users: usize,
    /// `--follow`.
    #[serde(default)]
    pub follow: bool,
    /// `--rate`.
    pub rate: f64,
    /// `--allow-private-network`.
    #[serde(default)]
    pub allow_private_network: bool,
    /// `--encoding`.
    pub encoding: EncodingArg,
    /// `--executor-uri`.
    #[serde(default)]
    pub executor_uri: Option<String>,
    /// The body byte cap.
    pub max_body_bytes: usize,
    /// Most board pages per user.
    pub max_boards: usize,
    /// `--in-process`.
    #[serde(default)]
    pub in_process: bool,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The config file or environment is malformed.
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    /// A value is out of range.
    #[error("invalid setting: {0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults → file → `PINSPIDER_*` → flags.
    pub fn load(cli: &Cli) -> Result<Settings, SettingsError> {
        let mut b = config::Config::builder()
            .set_default("max_users", 20)?
            .set_default("rate", 2.0)?
            .set_default("encoding", "protobuf")?
            .set_default("max_body_bytes", 4 * 1024 * 1024)?
            .set_default("max_boards", 50)?;
        b = match &cli.config {
            Some(path) => b.add_source(config::File::from(path.as_path()).required(true)),
            None => b.add_source(config::File::with_name("pinspider").required(false)),
        };
        b = b.add_source(
            config::Environment::with_prefix("PINSPIDER")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("urls"),
        );
        let mut s: Settings = b.build()?.try_deserialize()?;
        if !cli.urls.is_empty() {
            s.urls = cli.urls.clone();
        }
        if let Some(m) = &cli.master {
            s.master = Some(m.clone());
        }
        s.demo |= cli.demo;
        if let Some(o) = &cli.output {
            s.output = Some(o.clone());
        }
        if let Some(n) = cli.max_users {
            s.max_users = n;
        }
        s.follow |= cli.follow;
        if let Some(r) = cli.rate {
            s.rate = r;
        }
        s.allow_private_network |= cli.allow_private_network;
        if let Some(e) = cli.encoding {
            s.encoding = e;
        }
        if let Some(u) = &cli.executor_uri {
            s.executor_uri = Some(u.clone());
        }
        s.in_process |= cli.in_process;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if self.max_users == 0 {
            return Err(SettingsError::Invalid(
                "max_users must be at least 1".into(),
            ));
        }
        if !self.rate.is_finite() || self.rate <= 0.0 {
            return Err(SettingsError::Invalid(format!(
                "rate must be a positive number of requests per second, not {}",
                self.rate
            )));
        }
        if self.max_body_bytes < 1024 {
            return Err(SettingsError::Invalid(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        Ok(())
    }

    /// The fetch policy sent to executors.
    pub fn fetch_settings(&self) -> FetchSettings {
        FetchSettings {
            rate_per_sec: self.rate,
            allow_private_network: self.allow_private_network,
            allow_addrs: Vec::new(),
            max_body_bytes: self.max_body_bytes,
            max_boards: self.max_boards,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_subcommand_parse() {
        let cli = Cli::try_parse_from([
            "pinspider",
            "https://www.pinterest.com/techcrunch/",
            "--follow",
            "--max-users",
            "3",
            "--rate",
            "0.5",
            "--encoding",
            "json",
        ])
        .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.urls.len(), 1);
        assert_eq!(cli.encoding, Some(EncodingArg::Json));
        let cli = Cli::try_parse_from(["pinspider", "executor", "--kind", "boards"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Executor {
                kind: TaskKind::Boards
            })
        ));
        assert!(Cli::try_parse_from(["pinspider", "executor", "--kind", "pins"]).is_err());
    }

    #[test]
    fn the_example_config_file_loads() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/pinspider/pinspider.toml.example"
        );
        // TOML under an unusual extension: name the format.
        let s = config::Config::builder()
            .add_source(config::File::new(path, config::FileFormat::Toml))
            .build()
            .unwrap();
        assert_eq!(s.get_int("max_users").unwrap(), 20);
        assert_eq!(s.get_string("encoding").unwrap(), "protobuf");
    }

    #[test]
    fn file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "max_users = 7\nrate = 9.5\nfollow = true\nurls = [\"http://x/a/\"]\nencoding = \"json\"\n").unwrap();
        let cli = Cli::try_parse_from([
            "pinspider",
            "--config",
            path.to_str().unwrap(),
            "--rate",
            "1",
        ])
        .unwrap();
        let s = Settings::load(&cli).unwrap();
        assert_eq!(s.max_users, 7);
        assert_eq!(s.rate, 1.0);
        assert!(s.follow);
        assert_eq!(s.urls, vec!["http://x/a/"]);
        assert_eq!(s.encoding, EncodingArg::Json);
        assert_eq!(s.max_boards, 50);
        let cli =
            Cli::try_parse_from(["pinspider", "--config", path.to_str().unwrap(), "--rate=-1"])
                .unwrap();
        assert!(Settings::load(&cli).is_err());
        let cli = Cli::try_parse_from(["pinspider", "--config", "/nonexistent/p.toml"]).unwrap();
        assert!(Settings::load(&cli).is_err());
    }
}
