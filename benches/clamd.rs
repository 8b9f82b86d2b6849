//! Peer benchmark of `clamd-proto` against clamdscan, pyclamd and the `clamav-client` crate,
//! side by side in one run against the same private clamd (`DisableCache yes`, and fresh content
//! for every run, so that clamd's cache of clean hashes never helps anyone).
//!
//! 1. INSTREAM of a fresh 64 MiB file: wall time and client peak memory (every client runs as
//!    its own process under GNU `time`), plus our chunk-size sweep that chose
//!    `DEFAULT_CHUNK_SIZE`.
//! 2. 5,000 fresh files of 4 KiB: one connection per file, IDSESSION pipelines, FILDES, against
//!    `clamdscan --stream`, `clamdscan --stream -m` and pyclamd.
//! 3. `controller`: our client's CPU per file through the policy runner, against clamdscan's
//!    for `--stream -m` on the same 20,000 fresh files (ours by the process CPU clock).
//! 4. A fleet of 4 clamd instances with 1,000 files each, against the slowest single host.
//! 5. `pool`: a `Pool` of 2 clamd instances sharing 5,000 fresh files (INSTREAM, whole process),
//!    against `clamdscan -m --stream` on one of them.
//!
//! `cargo bench --bench clamd -- pool` runs only the pool case (any case names given after
//! `--` choose the cases: `instream`, `small`, `fleet`, `pool`); its section then goes to
//! `clamd-pool.md` instead of `clamd.md`.
//! Prints a Markdown section and writes it to `target/bench/clamd.md` (or `$OPSKIT_BENCH_DIR`).
//! Needs `clamdscan` (clamav-daemon), GNU `time` and `pyclamd` (pip, or Debian's
//! python3-pyclamd).

#![allow(
    clippy::cast_precision_loss,
    reason = "figures for a report: counts far below 2^52"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use opskit::clamd::policy::Policy;
use opskit::clamd::{Client, Endpoint, Fleet, Pool, PoolMode, Reply, ScanMode, ScanPlan, Walker};
use testbed::clamd::Clamd;

/// Builds the command line of one measured peer for a target path.
type Maker<'a> = Box<dyn Fn(&Path) -> Command + 'a>;

/// One of our in-process modes, by name.
type Ours<'a> = (&'static str, Box<dyn Fn(&[PathBuf]) + 'a>);

const CHILD_ENV: &str = "OPSKIT_CLAMD_BENCH_CHILD";
/// 64 MiB plus a little: pyclamd 0.4 mis-frames a buffer whose length is an exact multiple of
/// its 4 KiB chunk (it sends the end-of-stream marker twice), so every client gets this size.
const BIG: usize = (64 << 20) + 1000;
const SMALL_FILES: usize = 5_000;
/// Files of the controller case: enough that clamdscan's CPU, which GNU time gives in 10 ms
/// ticks, is measured to about 1% (at some 40 µs a file).
const CONTROLLER_FILES: usize = 20_000;
const SMALL_SIZE: usize = 4096;
const FLEET_HOSTS: usize = 4;
const FLEET_FILES: usize = 1_000;
const POOL_HOSTS: usize = 2;
const POOL_FILES: usize = 5_000;
/// Connections per pool host: clamd's default `MaxThreads` is 10, and 4 per host keeps both
/// instances busy on this machine's cores without queueing inside clamd.
const POOL_PER_HOST: usize = 4;
const CASES: &[&str] = &["instream", "small", "controller", "fleet", "pool"];

fn main() {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        child(&mode);
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| CASES.contains(&a.as_str()))
        .collect();
    let run = |case: &str| chosen.is_empty() || chosen.iter().any(|c| c == case);
    let mut md =
        String::from("## clamd: clamd-proto against clamdscan, pyclamd and clamav-client\n\n");
    let clamd = Clamd::builder()
        .disable_cache(true)
        .stream_max_length(256 << 20)
        .start()
        .expect("private clamd");
    // Inside the clamd's private directory, which goes away with it.
    let work = clamd.dir().join("bench");
    std::fs::create_dir_all(&work).expect("work dir");
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(std::process::id());
    let _ = writeln!(
        md,
        "Private clamd {} with `DisableCache yes`, Unix socket, fresh content for every round; \
         the clients take turns within each round. Wall times are the best of the rounds (5 \
         for the 64 MiB file, 2 for the small files and the fleet); memory is the client's \
         peak RSS.\n",
        Client::new(Endpoint::unix(clamd.socket_path()))
            .version()
            .map(|v| v.to_string())
            .unwrap_or_default()
    );

    if run("instream") {
        instream_64mib(&clamd, &work, &mut seed, &mut md);
    }
    if run("small") {
        many_small_files(&clamd, &work, &mut seed, &mut md);
    }
    if run("controller") {
        controller_cost(&clamd, &work, &mut seed, &mut md);
    }
    drop(clamd);
    if run("fleet") {
        fleet(&mut seed, &mut md);
    }
    if run("pool") {
        pool(&mut seed, &mut md);
    }

    print!("{md}");
    let dir = std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("bench dir");
    let out = if chosen.is_empty() {
        dir.join("clamd.md")
    } else {
        dir.join(format!("clamd-{}.md", chosen.join("-")))
    };
    std::fs::write(&out, &md).expect("writing the report");
    println!("wrote {}", out.display());
}

/// Child processes, so that each client's peak memory is its own.
fn child(mode: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if mode == "pool" {
        pool_child(&args);
        return;
    }
    let (socket, file) = (&args[0], &args[1]);
    match mode {
        "ours" => {
            let chunk = args.get(2).map_or(opskit::clamd::DEFAULT_CHUNK_SIZE, |c| {
                c.parse().expect("chunk size")
            });
            let client = Client::builder(Endpoint::unix(socket))
                .chunk_size(chunk)
                .build()
                .expect("client");
            let r = client.stream_file(file).expect("scan");
            println!("{r}");
        }
        "clamav-client" => {
            let r = clamav_client::scan_file(
                file,
                clamav_client::Socket {
                    socket_path: socket.as_str(),
                },
                None,
            )
            .expect("scan");
            println!("{}", String::from_utf8_lossy(&r));
        }
        other => panic!("unknown child mode {other}"),
    }
}

struct Run {
    wall: Duration,
    rss_kib: Option<u64>,
    /// User + system CPU time, in seconds.
    cpu_secs: f64,
}

/// Runs a command under GNU time; wall time is measured here.
fn timed(cmd: &mut Command) -> Run {
    let out = std::env::temp_dir().join(format!("opskit-bench-time-{}", std::process::id()));
    let mut full = Command::new("/usr/bin/time");
    full.arg("-f").arg("%M %U %S").arg("-o").arg(&out);
    full.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            full.env(k, v);
        }
    }
    let start = Instant::now();
    let status = full
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("running a peer (GNU time installed?)");
    let wall = start.elapsed();
    // clamdscan exits 1 when it finds something (never here: the content is random); anything
    // but 0 is a failed run.
    assert!(
        status.success(),
        "{} failed: {status}",
        cmd.get_program().display()
    );
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let fields: Vec<&str> = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    Run {
        wall,
        rss_kib: fields.first().and_then(|v| v.parse().ok()),
        cpu_secs: fields
            .iter()
            .skip(1)
            .filter_map(|v| v.parse::<f64>().ok())
            .sum(),
    }
}

fn best(runs: &[Run]) -> (Duration, Option<u64>) {
    let wall = runs.iter().map(|r| r.wall).min().unwrap_or_default();
    let rss = runs.iter().filter_map(|r| r.rss_kib).max();
    (wall, rss)
}

fn fill(seed: &mut u64, buf: &mut [u8]) {
    let mut x = *seed;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    *seed = x;
}

fn fresh_big(dir: &Path, seed: &mut u64) -> PathBuf {
    let mut data = vec![0u8; BIG];
    fill(seed, &mut data);
    let p = dir.join("big.bin");
    std::fs::write(&p, &data).expect("writing the 64 MiB file");
    p
}

fn fresh_small(dir: &Path, seed: &mut u64, n: usize) -> (PathBuf, Vec<PathBuf>) {
    let sub = dir.join(format!("small-{seed:x}"));
    std::fs::create_dir_all(&sub).expect("dir");
    let mut buf = vec![0u8; SMALL_SIZE];
    let files = (0..n)
        .map(|i| {
            fill(seed, &mut buf);
            let p = sub.join(format!("f{i:05}"));
            std::fs::write(&p, &buf).expect("small file");
            p
        })
        .collect();
    (sub, files)
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn self_cmd(mode: &str, socket: &Path, file: &Path) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("bench binary"));
    c.env(CHILD_ENV, mode).arg(socket).arg(file);
    c
}

fn clamdscan(clamd: &Clamd, args: &[&str], target: &Path) -> Command {
    let mut c = Command::new("clamdscan");
    c.arg("-c")
        .arg(clamd.conf_path())
        .arg("--no-summary")
        .args(args)
        .arg(target);
    c
}

fn pyclamd_cmd(script: &str, socket: &Path, target: &Path) -> Command {
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(script)
        .arg(socket)
        .arg(target)
        .arg(SMALL_FILES.to_string());
    c
}

const PY_ONE: &str = concat!(
    "import pyclamd,sys\n",
    "cd=pyclamd.ClamdUnixSocket(sys.argv[1])\n",
    "data=open(sys.argv[2],'rb').read()\n",
    "r=cd.scan_stream(data)\n",
    "assert r is None or 'stream' in r, r\n",
);

const PY_MANY: &str = concat!(
    "import pyclamd,sys,os\n",
    "cd=pyclamd.ClamdUnixSocket(sys.argv[1])\n",
    "d=sys.argv[2]\n",
    "n=0\n",
    "for f in sorted(os.listdir(d)):\n",
    "    with open(os.path.join(d,f),'rb') as fh: r=cd.scan_stream(fh)\n",
    "    n+=1\n",
    "assert n==int(sys.argv[3]), n\n",
);

fn instream_64mib(clamd: &Clamd, dir: &Path, seed: &mut u64, md: &mut String) {
    let sock = clamd.socket_path();
    let chunks = [8 << 10, 64 << 10, 256 << 10, 1 << 20];
    let mut makers: Vec<Maker<'_>> = vec![
        Box::new(|f| self_cmd("clamav-client", sock, f)),
        Box::new(|f| clamdscan(clamd, &["--stream"], f)),
        Box::new(|f| pyclamd_cmd(PY_ONE, sock, f)),
    ];
    // Ours at each chunk size; the default is one of them.
    for chunk in chunks {
        makers.push(Box::new(move |f| {
            let mut c = self_cmd("ours", sock, f);
            c.arg(chunk.to_string());
            c
        }));
    }
    // Rounds interleave the clients, so that a noisy neighbour on the machine hits them all
    // alike; each round has fresh content (and DisableCache is on).
    let mut runs: Vec<Vec<Run>> = makers.iter().map(|_| Vec::new()).collect();
    for _ in 0..5 {
        let f = fresh_big(dir, seed);
        for (m, r) in makers.iter().zip(&mut runs) {
            r.push(timed(&mut m(&f)));
        }
    }
    let results: Vec<(Duration, Option<u64>)> = runs.iter().map(|r| best(r)).collect();
    let default_at = chunks
        .iter()
        .position(|&c| c == opskit::clamd::DEFAULT_CHUNK_SIZE)
        .expect("the default chunk size is in the sweep");
    let (crate_peer, cds, py) = (results[0], results[1], results[2]);
    let ours = results[3 + default_at];

    let _ = writeln!(md, "### 1. INSTREAM of a fresh 64 MiB file\n");
    let _ = writeln!(
        md,
        "| peer | ours (wall) | peer (wall) | time ratio ours/peer | ours (peak RSS) | peer (peak RSS) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for (name, peer) in [
        ("`clamdscan --stream`", cds),
        ("`clamav-client` crate 2.x", crate_peer),
        ("pyclamd 0.4 (`scan_stream(bytes)`)", py),
    ] {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {:.2} | {} | {} |",
            secs(ours.0),
            secs(peer.0),
            ours.0.as_secs_f64() / peer.0.as_secs_f64(),
            mib(ours.1),
            mib(peer.1)
        );
    }
    let _ = writeln!(
        md,
        "\nTargets: wall time within 5% of clamdscan (ratio {:.2}, {}); client peak memory under \
         16 MiB ({}, {}).\n",
        ours.0.as_secs_f64() / cds.0.as_secs_f64(),
        if ours.0.as_secs_f64() <= cds.0.as_secs_f64() * 1.05 {
            "met"
        } else {
            "missed"
        },
        mib(ours.1),
        if ours.1.is_some_and(|k| k < 16 * 1024) {
            "met"
        } else {
            "missed"
        }
    );

    let _ = writeln!(md, "Chunk-size sweep (ours, same rounds):\n");
    let _ = writeln!(md, "| chunk | wall | peak RSS |");
    let _ = writeln!(md, "|---|---|---|");
    for (chunk, r) in chunks.iter().zip(&results[3..]) {
        let _ = writeln!(md, "| {} KiB | {} | {} |", chunk >> 10, secs(r.0), mib(r.1));
    }
    let _ = writeln!(
        md,
        "\nDefault chunk: {} KiB.\n",
        opskit::clamd::DEFAULT_CHUNK_SIZE >> 10
    );
}

#[expect(clippy::too_many_lines, reason = "one table: setup, rounds and report")]
fn many_small_files(clamd: &Clamd, dir: &Path, seed: &mut u64, md: &mut String) {
    let sock = clamd.socket_path();
    let client = Client::builder(Endpoint::unix(sock))
        .session_window(48)
        .build()
        .expect("client");
    let ours: Vec<Ours<'_>> = vec![
        (
            "ours: INSTREAM, one connection per file",
            Box::new(|files: &[PathBuf]| {
                for f in files {
                    assert!(!client.stream_file(f).expect("scan").is_error());
                }
            }),
        ),
        (
            "ours: FILDES, one connection per file",
            Box::new(|files: &[PathBuf]| {
                for f in files {
                    assert!(!client.fildes_file(f).expect("scan").is_error());
                }
            }),
        ),
        (
            "ours: IDSESSION pipeline, INSTREAM",
            Box::new(|files: &[PathBuf]| pipeline(&client, files, false)),
        ),
        (
            "ours: IDSESSION pipeline, FILDES",
            Box::new(|files: &[PathBuf]| pipeline(&client, files, true)),
        ),
        (
            "ours: 4 IDSESSION pipelines, FILDES",
            Box::new(|files: &[PathBuf]| {
                std::thread::scope(|s| {
                    for part in files.chunks(files.len().div_ceil(4)) {
                        let client = &client;
                        s.spawn(move || pipeline(client, part, true));
                    }
                });
            }),
        ),
    ];
    let peers: Vec<Maker<'_>> = vec![
        Box::new(|d| clamdscan(clamd, &["--stream", "-m"], d)),
        Box::new(|d| pyclamd_cmd(PY_MANY, sock, d)),
    ];
    let mut ours_walls = vec![Duration::MAX; ours.len()];
    let mut peer_walls = vec![Duration::MAX; peers.len()];
    // Interleaved rounds, fresh files for each round.
    for _ in 0..2 {
        let (sub, files) = fresh_small(dir, seed, SMALL_FILES);
        for ((_, f), w) in ours.iter().zip(&mut ours_walls) {
            let t = Instant::now();
            f(&files);
            *w = (*w).min(t.elapsed());
        }
        for (m, w) in peers.iter().zip(&mut peer_walls) {
            *w = (*w).min(timed(&mut m(&sub)).wall);
        }
    }
    let ours_rows: Vec<(&str, Duration)> = ours.iter().map(|(n, _)| *n).zip(ours_walls).collect();
    let (cds_m, py) = (peer_walls[0], peer_walls[1]);

    let (best_name, best_wall) = ours_rows
        .iter()
        .min_by_key(|(_, w)| *w)
        .copied()
        .unwrap_or(("?", Duration::MAX));
    let _ = writeln!(md, "### 2. {SMALL_FILES} fresh files of 4 KiB\n");
    let _ = writeln!(md, "| ours | wall | files/s |");
    let _ = writeln!(md, "|---|---|---|");
    for (name, wall) in &ours_rows {
        let _ = writeln!(
            md,
            "| {name} | {} | {:.0} |",
            secs(*wall),
            SMALL_FILES as f64 / wall.as_secs_f64()
        );
    }
    let _ = writeln!(
        md,
        "\n| peer | ours (best: {best_name}) | peer | speed-up ours vs peer |"
    );
    let _ = writeln!(md, "|---|---|---|---|");
    for (name, wall) in [
        ("`clamdscan --stream -m`", cds_m),
        ("pyclamd 0.4 (`scan_stream(file)` per file)", py),
    ] {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {:.2}x |",
            secs(best_wall),
            secs(wall),
            wall.as_secs_f64() / best_wall.as_secs_f64()
        );
    }
    let _ = writeln!(
        md,
        "\nTargets: best mode at least matches `clamdscan --stream -m` ({:.2}x, {}) and is at \
         least 3x pyclamd ({:.2}x, {}).\n",
        cds_m.as_secs_f64() / best_wall.as_secs_f64(),
        if best_wall <= cds_m { "met" } else { "missed" },
        py.as_secs_f64() / best_wall.as_secs_f64(),
        if py.as_secs_f64() >= 3.0 * best_wall.as_secs_f64() {
            "met"
        } else {
            "missed"
        }
    );
}

/// The scanning client's own CPU time per file: ours through the policy runner (a `stream`
/// environment, as `opskit scan --policy` runs it), clamdscan's for `--stream -m` on the same
/// files. clamd's CPU is left out on both sides: it scans the same bytes for both.
fn controller_cost(clamd: &Clamd, dir: &Path, seed: &mut u64, md: &mut String) {
    let sock = clamd.socket_path();
    let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
    for _ in 0..2 {
        let (sub, _) = fresh_small(dir, seed, CONTROLLER_FILES);
        let policy = Policy::parse(&format!(
            "[env.bench]\nhosts = [\"unix:{}\"]\nmode = \"stream\"\npaths = [{:?}]\n\
             concurrency = 4\n",
            sock.display(),
            sub.display().to_string()
        ))
        .expect("bench policy");
        let env = &policy.environments()[0];
        let before = process_cpu();
        let report = env.run(SystemTime::now(), |_| {}).expect("fleet");
        ours = ours.min(process_cpu() - before);
        let summary = report.report.summary();
        assert_eq!(summary.jobs.done, CONTROLLER_FILES, "every file scanned");
        assert_eq!(summary.errors, 0, "no errors");
        theirs = theirs.min(timed(&mut clamdscan(clamd, &["--stream", "-m"], &sub)).cpu_secs);
    }
    let per_file = |cpu: f64| cpu * 1e6 / CONTROLLER_FILES as f64;
    let _ = writeln!(
        md,
        "### 3. Controller cost: the client's CPU per file, {CONTROLLER_FILES} fresh files of 4 KiB\n"
    );
    let _ = writeln!(
        md,
        "| ours (policy runner, `stream`) | `clamdscan --stream -m` | clamdscan's CPU / ours (above 1: ours costs less) |"
    );
    let _ = writeln!(md, "|---|---|---|");
    let _ = writeln!(
        md,
        "| {:.1} µs ({ours:.2} s) | {:.1} µs ({theirs:.2} s) | {:.2}x |",
        per_file(ours),
        per_file(theirs),
        theirs / ours
    );
    let _ = writeln!(
        md,
        "\nCPU is user + system time: ours the process's CPU clock around the run (ns), \
         clamdscan's from GNU time (10 ms ticks, about 1% of its total here); best of 2 \
         rounds.\n"
    );
}

/// Pipelines every file through one IDSESSION and checks that each reply comes back.
fn pipeline(client: &Client, files: &[PathBuf], fildes: bool) {
    let mut s = client.session().expect("session");
    let mut done = 0;
    for f in files {
        if fildes {
            let file = std::fs::File::open(f).expect("open");
            s.send_fd(&file).expect("send");
        } else {
            s.send_stream(std::fs::File::open(f).expect("open"))
                .expect("send");
        }
    }
    while s.pending() > 0 {
        let (_, r) = s.recv().expect("recv");
        assert!(
            matches!(r, Ok(Reply::Scan(ref x)) if !x.is_error()),
            "{r:?}"
        );
        done += 1;
    }
    done += s.end().expect("end").len();
    assert_eq!(done, files.len());
}

/// This process's CPU time so far (user + system, every thread), in seconds, to the
/// nanosecond: `/proc/self/stat` moves by 10 ms ticks.
fn process_cpu() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    #[expect(clippy::cast_precision_loss, reason = "seconds of a benchmark run")]
    let secs = t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9;
    secs
}

/// CPU seconds (user + system) that a process has used so far, from `/proc/PID/stat`, in
/// Linux's fixed 100 ticks per second.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: the numeric fields start after its closing ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // stat(5) fields 14 and 15 (utime, stime) are at 11 and 12 counting from field 3.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    #[expect(clippy::cast_precision_loss, reason = "ticks of a benchmark run")]
    let secs = (ticks(11) + ticks(12)) as f64 / 100.0;
    secs
}

fn fleet(seed: &mut u64, md: &mut String) {
    let hosts: Vec<Clamd> = (0..FLEET_HOSTS)
        .map(|_| {
            Clamd::builder()
                .disable_cache(true)
                .start()
                .expect("fleet clamd")
        })
        .collect();
    let work = hosts[0].dir().join("fleet");
    std::fs::create_dir_all(&work).expect("dir");
    let endpoints: Vec<Endpoint> = hosts
        .iter()
        .map(|h| Endpoint::unix(h.socket_path()))
        .collect();
    let pids: Vec<u32> = hosts.iter().map(Clamd::pid).collect();
    let clamd_cpu = || pids.iter().map(|&p| cpu_secs(p)).sum::<f64>();
    // Wall time, and the CPU seconds all clamds spent meanwhile.
    let run = |eps: Vec<Endpoint>, seed: &mut u64| {
        let (dir, _) = fresh_small(&work, seed, FLEET_FILES);
        let fleet = Fleet::builder(eps)
            .concurrency(FLEET_HOSTS)
            .per_host(1)
            .build()
            .expect("fleet settings");
        let cpu = clamd_cpu();
        let t = Instant::now();
        let report = fleet.run(&ScanPlan::paths(ScanMode::MultiScan, [dir]));
        let wall = t.elapsed();
        assert!(report.hosts.iter().all(opskit::clamd::HostReport::ok));
        (wall, clamd_cpu() - cpu)
    };
    let mut singles = vec![(Duration::MAX, 0.0); endpoints.len()];
    let mut all = (Duration::MAX, 0.0);
    for _ in 0..2 {
        for (e, w) in endpoints.iter().zip(&mut singles) {
            let r = run(vec![e.clone()], seed);
            if r.0 < w.0 {
                *w = r;
            }
        }
        let r = run(endpoints.clone(), seed);
        if r.0 < all.0 {
            all = r;
        }
    }
    let (all, fleet_cpu) = all;
    let single_cpu = singles.iter().map(|s| s.1).fold(0.0, f64::max);
    let singles: Vec<Duration> = singles.into_iter().map(|s| s.0).collect();
    let slowest = singles.iter().max().copied().unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let _ = writeln!(
        md,
        "### 4. Fleet of {FLEET_HOSTS} clamd instances, MULTISCAN of {FLEET_FILES} fresh files \
         each\n"
    );
    let sum: Duration = singles.iter().sum();
    let _ = writeln!(
        md,
        "| fleet wall | slowest single host | ratio | sum of the single hosts | ratio |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    let _ = writeln!(
        md,
        "| {} | {} | {:.2} | {} | {:.2} |",
        secs(all),
        secs(slowest),
        all.as_secs_f64() / slowest.as_secs_f64(),
        secs(sum),
        all.as_secs_f64() / sum.as_secs_f64()
    );
    #[expect(clippy::cast_precision_loss, reason = "a core count")]
    let cpu_bound = fleet_cpu / cores as f64;
    let _ = writeln!(
        md,
        "\nclamd CPU time (user + system, from /proc): at most {single_cpu:.3} s for one host's \
         scan; {fleet_cpu:.3} s for the fleet's, which on {cores} cores cannot take less than \
         {cpu_bound:.3} s of wall time. The fleet's wall time is {:.2}x that bound.",
        all.as_secs_f64() / cpu_bound
    );
    let _ = writeln!(
        md,
        "\nTarget: at most 1.3x the slowest single host ({}). All {FLEET_HOSTS} instances share \
         this machine's {cores} CPU cores, so scans that are CPU-bound in clamd cannot overlap \
         fully here (the sum of the single hosts is the bound for CPU-bound work on shared \
         cores); on a real fleet each host has its own CPUs.\n",
        if all.as_secs_f64() <= 1.3 * slowest.as_secs_f64() {
            "met"
        } else {
            "missed"
        }
    );
}

/// The pool case's child: a `Pool` of the Unix sockets in `args` (all but the last) scans
/// the tree that is the last argument, as `opskit scan --pool --stream` does.
fn pool_child(args: &[String]) {
    let (tree, sockets) = args.split_last().expect("sockets and a tree");
    let pool = Pool::builder(sockets.iter().map(Endpoint::unix))
        .mode(PoolMode::Stream)
        .per_host(POOL_PER_HOST)
        .build()
        .expect("pool settings");
    let report = pool.run(Walker::new([tree]));
    let sum = report.summary();
    assert_eq!(
        (sum.files, sum.scanned, sum.errors, sum.infected),
        (POOL_FILES, POOL_FILES, 0, 0),
        "{sum:?}"
    );
    // Both hosts took a share.
    assert!(
        report.hosts.iter().all(|h| h.scanned > 0),
        "{:?}",
        report.hosts
    );
}

fn pool(seed: &mut u64, md: &mut String) {
    let hosts: Vec<Clamd> = (0..POOL_HOSTS)
        .map(|_| {
            Clamd::builder()
                .disable_cache(true)
                .start()
                .expect("pool clamd")
        })
        .collect();
    let work = hosts[0].dir().join("pool");
    std::fs::create_dir_all(&work).expect("dir");
    let ours = |tree: &Path| {
        let mut c = Command::new(std::env::current_exe().expect("bench binary"));
        c.env(CHILD_ENV, "pool");
        for h in &hosts {
            c.arg(h.socket_path());
        }
        c.arg(tree);
        c
    };
    let mut ours_runs = Vec::new();
    let mut peer_runs = Vec::new();
    // Interleaved rounds with fresh files (and DisableCache on both instances).
    for _ in 0..3 {
        let (sub, _) = fresh_small(&work, seed, POOL_FILES);
        ours_runs.push(timed(&mut ours(&sub)));
        peer_runs.push(timed(&mut clamdscan(&hosts[0], &["--stream", "-m"], &sub)));
    }
    let (ours, ours_rss) = best(&ours_runs);
    let (peer, peer_rss) = best(&peer_runs);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let _ = writeln!(
        md,
        "### 5. Pool of {POOL_HOSTS} clamd instances, {POOL_FILES} fresh files of 4 KiB\n"
    );
    let _ = writeln!(
        md,
        "Ours: `Pool` (INSTREAM, {POOL_PER_HOST} connections per host, balanced by bytes in \
         flight) as a whole process, walk included; peer: `clamdscan -m --stream` on one \
         instance. Best of 3 interleaved rounds, fresh files each round.\n"
    );
    let _ = writeln!(
        md,
        "| ours (wall) | `clamdscan -m --stream` (wall) | speed-up ours vs peer | ours (peak RSS) | peer (peak RSS) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    let _ = writeln!(
        md,
        "| {} | {} | {:.2}x | {} | {} |",
        secs(ours),
        secs(peer),
        peer.as_secs_f64() / ours.as_secs_f64(),
        mib(ours_rss),
        mib(peer_rss)
    );
    let _ = writeln!(
        md,
        "\nBoth instances share this machine's {cores} CPU cores, so two hosts can at best \
         double the scanning capacity that one clamd gets from them; on a real pool each host \
         has its own CPUs.\n"
    );
}
