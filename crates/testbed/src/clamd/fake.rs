//! Hostile stand-ins for clamd on loopback: one that answers PING and VERSION and misbehaves
//! on scans as the test says, and one that accepts connections and never answers.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A listener on 127.0.0.1 that accepts every connection, keeps it open and never sends a
/// byte: a clamd host that has stalled. It counts the connections it accepted, so that a test
/// can check that a client never connected. The listener lives as long as the process.
#[derive(Debug, Clone)]
pub struct Staller {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Staller {
    /// Binds a free port and starts accepting.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        std::thread::spawn(move || {
            let mut open = Vec::new();
            for conn in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                open.push(conn);
            }
        });
        Ok(Self { addr, accepted })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// A fake clamd on 127.0.0.1, one thread per connection: it reads one command (z- or
/// n-mode), answers `PING` with `PONG` and `VERSION` with a ClamAV 1.4.6 version line, and
/// hands a path scan's connection and path to `on_scan`, which misbehaves as the test needs
/// (sends FOUND lines and stalls, floods, resets). Other commands are closed unanswered. The
/// listener lives as long as the process.
///
/// # Errors
///
/// When no port can be bound.
pub fn fake_clamd(on_scan: fn(&mut TcpStream, &str)) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut cmd = Vec::new();
                let mut b = [0u8; 1];
                while conn.read(&mut b).is_ok_and(|n| n == 1) && b[0] != 0 && b[0] != b'\n' {
                    cmd.push(b[0]);
                }
                let cmd = String::from_utf8_lossy(&cmd).into_owned();
                let cmd = cmd.trim_start_matches(['z', 'n']);
                if cmd == "PING" {
                    let _ = conn.write_all(b"PONG\0");
                } else if cmd == "VERSION" {
                    let _ = conn.write_all(b"ClamAV 1.4.6/27000/Mon Jan  1 00:00:00 2026\0");
                } else if let Some((_, path)) = cmd.split_once(' ') {
                    on_scan(&mut conn, path);
                }
            });
        }
    });
    Ok(addr)
}
