//! The async client against the real clamd and a silent listener.

use std::time::Duration;

use clamd_proto::{AsyncClient, Client, EICAR, Endpoint, Error, Mode, Verdict};
use testbed::clamd::Clamd;

use crate::{scratch, shared, write};

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn async_commands_in_both_modes() {
    let clamd = shared();
    let dir = scratch(clamd, "async");
    let bad = write(&dir, "bad", EICAR);
    rt().block_on(async {
        for mode in [Mode::Z, Mode::N] {
            for ep in [
                Endpoint::from(clamd.tcp_addr()),
                Endpoint::unix(clamd.socket_path()),
            ] {
                let c = AsyncClient::from(Client::builder(ep).mode(mode).build().unwrap());
                c.ping().await.unwrap();
                assert_eq!(c.version().await.unwrap(), c.blocking().version().unwrap());
                assert!(c.version_commands().await.unwrap().supports("INSTREAM"));
                assert!(c.stats().await.unwrap().threads.is_some());
                for lines in [
                    c.scan_file(&bad).await.unwrap(),
                    c.contscan_file(&dir).await.unwrap(),
                    c.multiscan_file(&dir).await.unwrap(),
                    c.allmatchscan(&bad).await.unwrap(),
                ] {
                    assert_eq!(lines.len(), 1);
                    assert_eq!(lines[0].signature(), Some(clamd.eicar_signature()));
                }
                assert!(c.scan_bytes(EICAR).await.unwrap().is_infected());
                let r = c.stream_file(&bad).await.unwrap();
                assert_eq!(r.path(), bad);
                assert!(r.is_infected());
                assert_eq!(c.scan_bytes(b"").await.unwrap().verdict(), &Verdict::Clean);
            }
        }
    });
}

#[test]
fn async_size_limit_reload_shutdown_and_timeout() {
    let mut clamd = Clamd::builder().stream_max_length(1000).start().unwrap();
    rt().block_on(async {
        let c = AsyncClient::from(Client::new(Endpoint::from(clamd.tcp_addr())));
        assert!(matches!(
            c.scan_bytes(&vec![0u8; 8 << 20]).await,
            Err(Error::SizeLimitExceeded { .. })
        ));
        c.reload().await.unwrap();
        c.shutdown().await.unwrap();

        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = AsyncClient::from(
            Client::builder(Endpoint::from(silent.local_addr().unwrap()))
                .timeout(Duration::from_millis(500))
                .connect_timeout(Duration::from_millis(500))
                .build()
                .unwrap(),
        );
        assert!(c.ping().await.unwrap_err().is_timeout());
    });
    for _ in 0..500 {
        if !clamd.is_running() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!clamd.is_running());
}

#[test]
fn async_session_pipelines_and_matches_replies() {
    let clamd = shared();
    let dir = scratch(clamd, "asess");
    let paths: Vec<_> = (0..200)
        .map(|i| {
            let data: &[u8] = if i % 7 == 0 { EICAR } else { b"clean" };
            write(&dir, &format!("f{i}"), data)
        })
        .collect();
    rt().block_on(async {
        let c = AsyncClient::from(
            Client::builder(Endpoint::unix(clamd.socket_path()))
                .session_window(16)
                .build()
                .unwrap(),
        );
        let mut s = c.session().await.unwrap();
        s.ping().await.unwrap();
        let mut by_id = std::collections::HashMap::new();
        for p in &paths {
            by_id.insert(s.send_scan(p).await.unwrap(), p.clone());
        }
        let stream = s.send_bytes(EICAR).await.unwrap();
        let mut seen = 0;
        while s.pending() > 0 {
            let (id, reply) = s.recv().await.unwrap();
            let clamd_proto::Reply::Scan(r) = reply.unwrap() else {
                panic!()
            };
            if id == stream {
                assert!(r.is_infected());
            } else {
                assert_eq!(r.path(), by_id[&id]);
            }
            seen += 1;
        }
        for (id, reply) in s.end().await.unwrap() {
            let clamd_proto::Reply::Scan(r) = reply.unwrap() else {
                panic!()
            };
            assert!(id == stream || r.path() == by_id[&id]);
            seen += 1;
        }
        assert_eq!(seen, 201);
    });
}

#[test]
fn async_fildes_on_a_file_and_a_pipe() {
    use std::io::Write;

    let clamd = shared();
    let file = write(&scratch(clamd, "afd"), "f", EICAR);
    rt().block_on(async {
        let unix = AsyncClient::from(Client::new(Endpoint::unix(clamd.socket_path())));
        let r = unix
            .scan_fd(std::fs::File::open(&file).unwrap())
            .await
            .unwrap();
        assert!(r.path_bytes().starts_with(b"fd["), "{r:?}");
        assert_eq!(r.signature(), Some(clamd.eicar_signature()));

        // A pipe is not a regular file: it goes by INSTREAM, and its verdict still comes back.
        for payload in [EICAR, &b"just text"[..]] {
            let (reader, mut writer) = std::io::pipe().unwrap();
            let feeder = std::thread::spawn(move || writer.write_all(payload).unwrap());
            let r = unix.scan_fd(&reader).await.unwrap();
            feeder.join().unwrap();
            assert_eq!(r.is_infected(), payload == EICAR, "{r:?}");
        }

        let tcp = AsyncClient::from(Client::new(Endpoint::from(clamd.tcp_addr())));
        assert!(matches!(
            tcp.scan_fd(std::fs::File::open(&file).unwrap()).await,
            Err(Error::Unsupported(_))
        ));
    });
}
