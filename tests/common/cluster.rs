//! A real local cluster started by `scripts/cluster.sh`: Garage, PostgreSQL
//! and Herald replicas in their own processes, on loopback.

use std::path::{Path, PathBuf};

pub(crate) struct Cluster {
    pub urls: Vec<String>,
    pub pids: Vec<u32>,
    /// Garage's S3 address, bucket, access key and secret.
    pub store: [String; 4],
    pub client: reqwest::Client,
    state: PathBuf,
    _dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cluster.sh")
}

impl Cluster {
    /// Starts `replicas` replicas with one espeak-ng worker each.
    pub(crate) async fn up(replicas: usize) -> Self {
        Self::up_with(replicas, 1).await
    }

    /// Starts `replicas` replicas with `workers` espeak-ng workers each.
    pub(crate) async fn up_with(replicas: usize, workers: usize) -> Self {
        Self::up_with_env(replicas, workers, &[]).await
    }

    /// As [`Cluster::up_with`], with more settings as `HERALD_*` variables.
    pub(crate) async fn up_with_env(replicas: usize, workers: usize, settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("cluster");
        let output = tokio::process::Command::new(script())
            .arg("up")
            .env("HERALD_BIN", super::herald_binary())
            .env("HERALD_CLUSTER_DIR", &state)
            .env("HERALD_REPLICAS", replicas.to_string())
            .env("HERALD_SYNTHESIS_WORKERS", workers.to_string())
            .env("HERALD_NEURAL_ENABLED", "false")
            .envs(settings.iter().copied())
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "cluster up failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        let line = |name: &str| -> Vec<String> {
            let prefix = format!("{name}=");
            let line = stdout.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name}"));
            line.split_whitespace().map(str::to_string).collect()
        };
        let urls = line("HERALD_URLS");
        let pids = line("HERALD_PIDS").iter().map(|p| p.parse().unwrap()).collect();
        assert_eq!(urls.len(), replicas);
        let store = line("HERALD_STORE_S3").try_into().expect("address, bucket, key, secret");
        Self { urls, pids, store, client: reqwest::Client::new(), state, _dir: dir }
    }

    /// Runs another subcommand of the cluster script (`stop-store`…).
    pub(crate) async fn run(&self, command: &str) {
        let status = tokio::process::Command::new(script())
            .arg(command)
            .env("HERALD_CLUSTER_DIR", &self.state)
            .status()
            .await
            .unwrap();
        assert!(status.success(), "cluster {command} failed");
    }

    /// Kills replica `n` with SIGKILL, as a crash would.
    pub(crate) fn kill(&self, n: usize) {
        let status = std::process::Command::new("kill").args(["-KILL", &self.pids[n].to_string()]).status().unwrap();
        assert!(status.success(), "kill -9 of replica {n}");
    }

    /// A counter of replica `n`'s `/metrics`.
    pub(crate) async fn counter(&self, n: usize, name: &str) -> u64 {
        let text = self.client.get(format!("{}/metrics", self.urls[n])).send().await.unwrap().text().await.unwrap();
        let prefix = format!("herald_{name}_total ");
        let line = text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name}"));
        line.trim().parse().unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(script()).arg("down").env("HERALD_CLUSTER_DIR", &self.state).status();
    }
}
