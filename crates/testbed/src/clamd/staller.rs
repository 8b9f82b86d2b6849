//! A hostile stand-in for clamd that accepts connections and never answers.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
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
