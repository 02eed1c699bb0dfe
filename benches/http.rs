//! Service benchmark: a release `herald serve` on loopback against its
//! baselines, each measured in the same run.
//!
//! Run: `sudo apt-get install wrk nginx-light && cargo bench --bench http`.
//!
//! 1. time to first audio byte of the reference statement (cold cache) vs
//!    the first stdout bytes of `espeak-ng --stdout`;
//! 2. whole statement (cold cache) vs `espeak-ng --stdout`;
//! 3. a cached paragraph at 64 connections (wrk) vs nginx serving the same file;
//! 4. four distinct documents at once, 1 worker vs 2 workers;
//! 5. peak RSS of the server and its workers, idle and under 100 streams.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{ms, percentile, timed_speech, PeakRss, Server};

const STATEMENT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
const RUNS: usize = 20;

fn wrk(url: &str) -> (f64, f64) {
    let out = Command::new("wrk")
        .args(["-t2", "-c64", "-d8s", "--latency", url])
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    let p99 =
        text.lines().find(|l| l.trim_start().starts_with("99%")).and_then(|l| l.split_whitespace().nth(1)).unwrap();
    (rps, parse_wrk_duration(p99))
}

fn parse_wrk_duration(v: &str) -> f64 {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else {
        (v.trim_end_matches('s'), 1000.0)
    };
    number.parse::<f64>().unwrap() * factor
}

fn nginx(root: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = root.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off; worker_processes 2; pid {root}/nginx.pid; error_log {root}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{ access_log off; client_body_temp_path {root}; proxy_temp_path {root}; fastcgi_temp_path {root}; uwsgi_temp_path {root}; scgi_temp_path {root};\n\
             types {{ audio/wav wav; }} server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
            root = root.display()
        ),
    )
    .unwrap();
    let child = Command::new("nginx")
        .args(["-c"])
        .arg(&conf)
        .args(["-p"])
        .arg(root)
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx (apt-get install nginx-light)");
    std::thread::sleep(Duration::from_millis(300));
    (child, port)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let text = std::fs::read_to_string(STATEMENT).unwrap();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("machine: {cores} cores; herald {} (release); {RUNS} runs per figure\n", env!("CARGO_PKG_VERSION"));

    // 1 and 2: cold cache, a fresh server per run, after a warm-up sentence.
    let (mut ttfb, mut total, mut cli_first, mut cli_total) = (vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let server = Server::start(cores);
        runtime.block_on(timed_speech(&client, &server.base, "Warming up the workers."));
        let (c_first, c_total) = support::espeak_cli(STATEMENT);
        let (first, whole, _) = runtime.block_on(timed_speech(&client, &server.base, &text));
        ttfb.push(first);
        total.push(whole);
        cli_first.push(c_first);
        cli_total.push(c_total);
    }
    let row = |name: &str, v: &mut Vec<Duration>| {
        let (m, p) = (percentile(v, 0.5), percentile(v, 0.99));
        println!("{name:<52} median {:>8.2} ms   p99 {:>8.2} ms", ms(m), ms(p));
        m
    };
    let a = row("1. Herald: first audio byte, statement, cold cache", &mut ttfb);
    let b = row("   espeak-ng --stdout: first stdout bytes", &mut cli_first);
    println!("   ratio {:.3}", ms(a) / ms(b));
    let a = row("2. Herald: whole statement, cold cache", &mut total);
    let b = row("   espeak-ng --stdout: whole statement", &mut cli_total);
    println!("   ratio {:.3}\n", ms(a) / ms(b));

    // 3: a cached paragraph vs nginx serving the same bytes.
    let server = Server::start(cores);
    let (paragraph_url, wav) = runtime.block_on(async {
        let doc: serde_json::Value = client
            .post(format!("{}/v1/documents", server.base))
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = format!("{}{}", server.base, doc["paragraphs"][3]["audio_url"].as_str().unwrap());
        let wav = client.get(&url).send().await.unwrap().bytes().await.unwrap();
        (url, wav)
    });
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("p3.wav"), &wav).unwrap();
    let (mut nginx_child, port) = nginx(root.path());
    let (herald_rps, herald_p99) = wrk(&paragraph_url);
    let (nginx_rps, nginx_p99) = wrk(&format!("http://127.0.0.1:{port}/p3.wav"));
    // SIGQUIT: nginx stops its workers too (a kill would orphan them).
    let _ = Command::new("kill").args(["-QUIT", &nginx_child.id().to_string()]).status();
    let _ = nginx_child.wait();
    println!("3. cached paragraph ({} KiB), 64 connections, wrk 8 s", wav.len() / 1024);
    println!("   Herald {herald_rps:>10.0} req/s   p99 {herald_p99:.2} ms");
    println!("   nginx  {nginx_rps:>10.0} req/s   p99 {nginx_p99:.2} ms");
    println!("   ratio {:.3}\n", herald_rps / nginx_rps);

    // 5 (idle) on the server above, after its work settled.
    std::thread::sleep(Duration::from_millis(500));
    let idle = server.rss_kib();
    drop(server);

    // 4: four distinct documents at once, 1 vs 2 workers.
    let mut walls = Vec::new();
    for workers in [1, 2] {
        let mut samples = Vec::new();
        for run in 0..5 {
            let server = Server::start(workers);
            let wall = runtime.block_on(async {
                let docs: Vec<String> = (0..4)
                    .map(|i| {
                        text.replace("Joint statement", &format!("Joint statement {run}-{i}"))
                            .replace("Minister", &format!("Minister {i}"))
                    })
                    .collect();
                let start = Instant::now();
                futures::future::join_all(docs.iter().map(|d| timed_speech(&client, &server.base, d))).await;
                start.elapsed()
            });
            samples.push(wall);
        }
        walls.push(percentile(&mut samples, 0.5));
    }
    println!(
        "4. four distinct statements at once: 1 worker {:.1} ms, 2 workers {:.1} ms, speed-up {:.2}x\n",
        ms(walls[0]),
        ms(walls[1]),
        ms(walls[0]) / ms(walls[1])
    );

    // 5: memory under 100 concurrent streams of the statement.
    let server = Server::start(cores);
    let sampler = PeakRss::start(server.child.id(), Duration::from_millis(10));
    let bytes: usize = runtime.block_on(async {
        let streams = (0..100).map(|_| timed_speech(&client, &server.base, &text));
        futures::future::join_all(streams).await.iter().map(|r| r.2).sum()
    });
    let peak = sampler.finish();
    println!("5. RSS of server + workers: idle {:.1} MiB; peak under 100 concurrent statement streams {:.1} MiB ({:.0} MiB streamed)", idle as f64 / 1024.0, peak as f64 / 1024.0, bytes as f64 / 1048576.0);
}
