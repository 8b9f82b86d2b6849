//! `opskit asn` with the fixture databases of asn-lookup and a loopback Team Cymru server.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread;

use testbed::clamd::Staller;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../asn-lookup/tests/resources")
        .join(name)
}

fn opskit(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .arg("asn")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run opskit asn");
    // Feed stdin from another thread: the child writes while we write, and a full stdout pipe
    // would otherwise block both.
    let feeder = stdin.map(|text| {
        let mut pipe = child.stdin.take().unwrap();
        let text = text.to_owned();
        thread::spawn(move || pipe.write_all(text.as_bytes()))
    });
    let out = child.wait_with_output().unwrap();
    if let Some(f) = feeder {
        f.join().unwrap().unwrap();
    }
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn addresses_as_arguments_print_tsv() {
    let db = fixture("ranges.csv");
    let o = opskit(
        &[
            "--db",
            db.to_str().unwrap(),
            "1.0.0.1",
            "5.5.5.5",
            "10.0.0.1",
            "2606:4700::1111",
            "AS15169",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o),
        "1.0.0.1\t13335\tCloudflare, Inc.\n5.5.5.5\t-\t-\tnot_announced\n10.0.0.1\t-\t-\tspecial\n2606:4700::1111\t13335\tCloudflare, Inc.\nAS15169\t15169\tGoogle LLC\n"
    );
}

#[test]
fn addresses_on_stdin_and_json() {
    let db = fixture("asn.mmdb");
    let o = opskit(
        &["--db", db.to_str().unwrap(), "--json"],
        Some("8.8.8.8 9.9.9.9\n# comment\n\n192.168.0.1\nAS15169\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    crate::schema::assert_valid("asn", &v);
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[3]["asn"], 15169);
    assert_eq!(items[3]["name"], "Google LLC");
    assert_eq!(items[0]["address"], "8.8.8.8");
    assert_eq!(items[0]["status"], "found");
    assert_eq!(items[0]["asn"], 15169);
    assert_eq!(items[0]["name"], "Google LLC");
    assert_eq!(items[0]["range"], "8.8.8.0/24");
    assert_eq!(items[0]["source"], "mmdb");
    assert_eq!(
        items[1]["name"], "Quad9\u{fffd}[31m",
        "control characters never reach the output"
    );
    assert_eq!(items[2]["status"], "not_routed");
    assert_eq!(items[2]["special"]["name"], "private");

    // The schema refuses what the output never writes.
    let broken: [crate::schema::Spoil; 7] = [
        ("an unknown status", |d| d[0]["status"] = "routed".into()),
        ("a found address without its AS", |d| {
            d[0].as_object_mut().unwrap().remove("asn");
        }),
        ("an unknown source", |d| d[0]["source"] = "dns".into()),
        ("an unknown reason", |d| d[2]["reason"] = "private".into()),
        ("a null error", |d| d[2]["error"] = serde_json::Value::Null),
        ("a range that is no range", |d| {
            d[0]["range"] = "Google".into();
        }),
        ("an AS number as text", |d| d[3]["asn"] = "AS15169".into()),
    ];
    crate::schema::assert_refused("asn", &v, &broken);
}

#[test]
fn bad_inputs_and_missing_backends() {
    let db = fixture("pyasn.dat");
    let o = opskit(
        &["--db", db.to_str().unwrap(), "8.8.8.8", "not-an-ip"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "8.8.8.8\t15169\t\n");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not-an-ip"));
    let o = opskit(&["8.8.8.8"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = opskit(&["--db", "/nonexistent/asn.csv", "8.8.8.8"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/asn.csv"));
    let o = opskit(&["--whois", "bogus", "8.8.8.8"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn whois_cymru_with_server_override() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut query = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line.trim() == "end" {
                query.push_str(&line);
                break;
            }
            query.push_str(&line);
        }
        let mut conn = conn;
        conn.write_all(
            b"Bulk mode; whois.cymru.com [2026-11-28 23:00:00 +0000]\n\
AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n\
15169   | 8.8.8.8          | 8.8.8.0/24          | US | arin     | 1992-12-01 | GOOGLE, US\n\
NA      | 5.5.5.5          | NA                  | NA | NA       | NA         | NA\n",
        )
        .unwrap();
        query
    });
    let o = opskit(
        &[
            "--whois",
            "cymru",
            "--whois-server",
            &addr,
            "8.8.8.8",
            "5.5.5.5",
            "127.0.0.1",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o),
        "8.8.8.8\t15169\tGOOGLE, US\n5.5.5.5\t-\t-\tnot_announced\n127.0.0.1\t-\t-\tspecial\n"
    );
    let query = server.join().unwrap();
    assert_eq!(query, "begin\nverbose\n5.5.5.5\n8.8.8.8\nend\n");
}

#[test]
fn whois_server_that_refuses_leaves_every_address_unresolved() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = opskit(
        &[
            "--whois",
            "ris",
            "--whois-server",
            &format!("127.0.0.1:{port}"),
            "8.8.8.8",
            "9.9.9.9",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "partial");
    // One query per address over parallel connections: each address is refused, or never sent
    // once the other's was refused.
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    for (line, addr) in lines.iter().zip(["8.8.8.8", "9.9.9.9"]) {
        assert!(
            [
                format!("{addr}\t?\t?\tunreachable"),
                format!("{addr}\t?\t?\tnot_asked")
            ]
            .iter()
            .any(|want| want == line),
            "{out}"
        );
    }
    assert!(out.contains("\tunreachable\n"), "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2 address(es) unresolved") && err.contains("connecting"),
        "{err}"
    );
}

#[test]
fn silent_whois_server_ends_within_the_deadline_with_every_line() {
    // Accepts and never answers.
    let addr = Staller::start().unwrap().addr().to_string();
    let mut input = String::new();
    for i in 1..=40 {
        writeln!(input, "8.8.4.{i}").unwrap();
    }
    let start = std::time::Instant::now();
    let o = opskit(
        &[
            "--whois",
            "ris",
            "--whois-server",
            &addr,
            "--whois-timeout",
            "2",
            "--json",
        ],
        Some(&input),
    );
    // Generous: the deadline is 2 s for the whole batch.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(o.status.code(), Some(1), "partial");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    crate::schema::assert_valid("asn", &v);
    let lines = v.as_array().unwrap();
    assert_eq!(lines.len(), 40);
    assert!(lines.iter().all(|l| {
        l["error"]
            .as_str()
            .is_some_and(|e| e.contains("did not answer"))
    }));
    // Each of the four connections waited for the deadline; the rest were never sent.
    let deadline = lines.iter().filter(|l| l["reason"] == "deadline").count();
    let not_asked = lines.iter().filter(|l| l["reason"] == "not_asked").count();
    assert!((1..=4).contains(&deadline), "{v}");
    assert_eq!(deadline + not_asked, 40, "{v}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "40 address(es) unresolved ({deadline} deadline, {not_asked} not_asked) of 40 given"
        )),
        "{err}"
    );
}

#[test]
fn several_databases_are_consulted_in_order() {
    let first = fixture("iptoasn.tsv");
    let second = fixture("ranges.csv");
    let o = opskit(
        &[
            "--db",
            first.to_str().unwrap(),
            "--db",
            second.to_str().unwrap(),
            "1.0.0.1",
            "1.1.1.1",
            "1.0.2.1",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o),
        "1.0.0.1\t13335\tCLOUDFLARENET\n1.1.1.1\t13335\tCloudflare, Inc.\n1.0.2.1\t-\t-\tnot_announced\n",
        "the TSV answers first; what it has no row for goes to the CSV"
    );
}

#[test]
fn long_stdin_is_resolved_in_batches() {
    let db = fixture("pyasn.dat");
    let mut input = String::new();
    for i in 0..25_000u32 {
        let [_, b, c, d] = (0x0800_0000 + i * 7).to_be_bytes();
        writeln!(input, "8.{b}.{c}.{d}").unwrap();
    }
    let o = opskit(&["--db", db.to_str().unwrap()], Some(&input));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 25_000);
    assert!(lines.iter().all(|l| l.split('\t').count() == 3));
    assert_eq!(lines[0], "8.0.0.0\t3356\t");
    assert_eq!(
        lines[24_999],
        format!("{}\t3356\t", input.lines().last().unwrap())
    );
}

#[test]
fn failed_whois_after_a_database_keeps_the_database_answers() {
    let db = std::env::temp_dir().join(format!("opskit-asn-chain-{}.csv", std::process::id()));
    std::fs::write(&db, "1.0.0.0,1.0.0.255,13335,Cloudflare\n").unwrap();
    // A refusing server (bound, then closed) and a silent one (accepts, never answers).
    let refusing = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let silent = Staller::start().unwrap().addr().to_string();
    for (server, why, reason) in [
        (&refusing, "connecting", "unreachable"),
        (&silent, "did not answer", "deadline"),
    ] {
        let args = [
            "--db",
            db.to_str().unwrap(),
            "--whois",
            "ris",
            "--whois-server",
            server,
            "--whois-timeout",
            "2",
        ];
        let mut tsv = args.to_vec();
        tsv.extend(["1.0.0.1", "8.8.8.8", "10.0.0.1", "1.0.0.9"]);
        let o = opskit(&tsv, None);
        assert_eq!(o.status.code(), Some(1), "partial");
        assert_eq!(
            stdout(&o),
            format!(
                "1.0.0.1\t13335\tCloudflare\n8.8.8.8\t?\t?\t{reason}\n10.0.0.1\t-\t-\tspecial\n1.0.0.9\t13335\tCloudflare\n"
            )
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("1 address(es) unresolved") && err.contains(why),
            "{err}"
        );
        let mut json = args.to_vec();
        json.extend(["--json", "1.0.0.1", "8.8.8.8"]);
        let o = opskit(&json, None);
        assert_eq!(o.status.code(), Some(1), "partial");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v[0]["asn"], 13335);
        assert!(v[0].get("error").is_none(), "{v}");
        assert_eq!(v[1]["status"], "unknown");
        assert_eq!(v[1]["reason"], reason);
        assert!(
            v[1]["error"].as_str().is_some_and(|e| e.contains(why)),
            "{v}"
        );
    }
    std::fs::remove_file(&db).ok();
}

/// A Team Cymru server whose reply is cut by a reset: it reads only the start of the query and
/// closes with the rest unread, which makes the kernel send RST after half the reply.
fn resetting_cymru_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut start = [0u8; 5];
            let _ = std::io::Read::read_exact(&mut conn, &mut start);
            let _ = conn.write_all(
                b"Bulk mode; whois.cymru.com [2026-11-28 23:00:00 +0000]\n\
AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n\
3356    | 8.8.4.1          | 8.0.0.0/9",
            );
            // Let the whole query arrive, so that closing with it unread resets.
            thread::sleep(std::time::Duration::from_millis(200));
        }
    });
    addr
}

/// Each address is printed with its own outcome: the database's answer, the special address,
/// and the whois addresses with the reason their exchange failed (a reset), in TSV and JSON;
/// stderr counts them by reason.
#[test]
fn each_address_shows_its_reason_after_a_reset() {
    let db = fixture("ranges.csv");
    let server = resetting_cymru_server();
    let args = [
        "--db",
        db.to_str().unwrap(),
        "--whois",
        "cymru",
        "--whois-server",
        &server,
        "1.0.0.1",
        "8.8.4.1",
        "8.8.4.2",
        "10.0.0.1",
    ];
    let o = opskit(&args, None);
    assert_eq!(o.status.code(), Some(1), "partial");
    assert_eq!(
        stdout(&o),
        "1.0.0.1\t13335\tCloudflare, Inc.\n8.8.4.1\t?\t?\treset\n8.8.4.2\t?\t?\treset\n10.0.0.1\t-\t-\tspecial\n"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2 address(es) unresolved (2 reset) of 4 given: whois exchange with"),
        "{err}"
    );
    let mut json = args.to_vec();
    json.push("--json");
    let o = opskit(&json, None);
    assert_eq!(o.status.code(), Some(1), "partial");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    crate::schema::assert_valid("asn", &v);
    let reasons: Vec<&serde_json::Value> =
        v.as_array().unwrap().iter().map(|l| &l["reason"]).collect();
    assert_eq!(
        reasons,
        [
            &serde_json::Value::Null,
            &"reset".into(),
            &"reset".into(),
            &"special".into()
        ]
    );
    assert!(
        v[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("whois exchange with")),
        "{v}"
    );
    assert_eq!(v[3]["status"], "not_routed");
}

#[test]
fn help_documents_the_reasons() {
    let out = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(["asn", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "not_announced",
        "no_data",
        "special",
        "deadline",
        "unreachable",
        "reset",
        "bad_reply",
        "not_asked",
        "default 30",
    ] {
        assert!(help.contains(word), "{word} missing from --help:\n{help}");
    }
}

#[test]
fn geo_db_adds_country_and_city_columns_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let geo = dir.path().join("city-ipv4.csv");
    std::fs::write(
        &geo,
        "1.0.0.0,1.0.0.255,AU,Queensland,,South Brisbane,4101,-27.4766,153.0166,Australia/Brisbane\n\
         8.8.8.0,8.8.8.255,US,,,,,37.751,-97.822,America/Chicago\n\
         10.0.0.0,10.0.0.255,\"DE\",Hesse,,\"Frankfurt am Main\",,50.1169,8.6837,\n",
    )
    .unwrap();
    let db = fixture("ranges.csv");
    let args = [
        "--db",
        db.to_str().unwrap(),
        "--geo-db",
        geo.to_str().unwrap(),
        "1.0.0.1",
        "8.8.8.8",
        "10.0.0.1",
        "5.5.5.5",
    ];
    let o = opskit(&args, None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "1.0.0.1\t13335\tCloudflare, Inc.\tAU\tSouth Brisbane",
        "{text}"
    );
    assert_eq!(lines[1], "8.8.8.8\t15169\tGoogle LLC\tUS\t-", "{text}");
    // A private address: no AS, but this network's own table places it.
    assert_eq!(
        lines[2], "10.0.0.1\t-\t-\tDE\tFrankfurt am Main\tspecial",
        "{text}"
    );
    assert!(lines[3].starts_with("5.5.5.5\t-\t-\t-\t-\t"), "{text}");

    let o = opskit(&[&args[..], &["--json"]].concat(), None);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["geo"]["country"], "AU");
    assert_eq!(v[0]["geo"]["city"], "South Brisbane");
    assert_eq!(v[0]["geo"]["region"], "Queensland");
    assert_eq!(v[0]["geo"]["lat"], -27.4766);
    assert_eq!(v[2]["geo"]["city"], "Frankfurt am Main");
    assert!(v[3].get("geo").is_none());
    crate::schema::validate("asn", &v).unwrap();

    // Geography alone: the AS columns say no data.
    let o = opskit(&["--geo-db", geo.to_str().unwrap(), "1.0.0.1"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).starts_with("1.0.0.1\t?\t?\tAU\tSouth Brisbane\t"),
        "{}",
        stdout(&o)
    );

    // A bad geography database is an error before anything is looked up.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.0.0,AU\n").unwrap();
    let o = opskit(&["--geo-db", bad.to_str().unwrap(), "1.0.0.1"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--geo-db") && err.contains(":2:"), "{err}");
    assert!(o.stdout.is_empty());

    let help = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .args(["asn", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("--geo-db") && help.contains("country"),
        "{help}"
    );
}
