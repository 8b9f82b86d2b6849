//! Linux raw sockets (through socket2 and rustix, without unsafe code).
//!
//! - IPv4: probes go out on an `IPPROTO_RAW` socket with `IP_HDRINCL` (the engine writes the IP
//!   header); replies come in on a raw ICMP and a raw TCP socket, with their IP headers.
//! - IPv6: probes go out whole, IPv6 header included, on an `IPPROTO_RAW` socket (which Linux
//!   gives `IPV6_HDRINCL`): the engine writes the source address, so that traces can send
//!   from the addresses of a source pool, and the hop limit and flow label; the TCP checksum
//!   it computed covers that source. Replies come in on a raw ICMPv6 and a raw IPv6 TCP
//!   socket, without their IPv6 headers.
//!
//! The kernel also sees the SYN-ACKs to our probes and, having no socket for them, answers with
//! RSTs of its own, as it does for scapy; the crate docs show an nftables rule that drops them.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::net::RecvFlags;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::engine::{Engine, Transmit};
use crate::error::{Error, Result};
use crate::wire::proto;

const IPPROTO_RAW: i32 = 255;
/// The receive buffer of each raw socket: 4 MiB, room for thousands of replies at once.
const RECV_BUFFER: usize = 4 << 20;
/// The most packets read from one socket per [`RawSockets::recv_into`] call.
const MAX_BATCH: usize = 1024;

/// What each receive socket delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Whole IPv4 datagrams.
    V4,
    /// IPv6 payloads of this next header.
    V6(u8),
}

/// The raw sockets of a run: one send socket per family and the receive sockets.
#[derive(Debug)]
pub struct RawSockets {
    v4_send: Option<Socket>,
    v6_send: Option<Socket>,
    recv: Vec<(Socket, Kind)>,
    buf: Vec<u8>,
    send_errors: u64,
}

fn open(domain: Domain, protocol: i32, what: &str) -> Result<Socket> {
    let s = Socket::new(domain, Type::RAW, Some(Protocol::from(protocol)))
        .map_err(|e| Error::io(format!("opening the {what} socket"), e))?;
    s.set_nonblocking(true)
        .map_err(|e| Error::io(format!("setting the {what} socket non-blocking"), e))?;
    // Bursts of replies must not overflow the default buffer. Past net.core.rmem_max only
    // with CAP_NET_ADMIN (SO_RCVBUFFORCE); failing to grow it is not fatal.
    if rustix::net::sockopt::set_socket_recv_buffer_size_force(&s, RECV_BUFFER).is_err() {
        let _ = s.set_recv_buffer_size(RECV_BUFFER);
    }
    Ok(s)
}

impl RawSockets {
    /// Opens the sockets for the families in use.
    ///
    /// # Errors
    ///
    /// [`Error::PermissionDenied`] without `CAP_NET_RAW`, [`Error::Io`] otherwise.
    pub fn open(v4: bool, v6: bool) -> Result<Self> {
        let mut recv = Vec::new();
        let mut v4_send = None;
        let mut v6_send = None;
        if v4 {
            let s = open(Domain::IPV4, IPPROTO_RAW, "raw IPv4 send")?;
            s.set_header_included_v4(true)
                .map_err(|e| Error::io("setting IP_HDRINCL on the raw IPv4 send socket", e))?;
            v4_send = Some(s);
            recv.push((
                open(Domain::IPV4, i32::from(proto::ICMP), "raw ICMP receive")?,
                Kind::V4,
            ));
            recv.push((
                open(Domain::IPV4, i32::from(proto::TCP), "raw IPv4 TCP receive")?,
                Kind::V4,
            ));
        }
        if v6 {
            let s = open(Domain::IPV6, IPPROTO_RAW, "raw IPv6 send")?;
            // Implied by IPPROTO_RAW on Linux; set anyway so that a kernel that does not
            // imply it fails here rather than sending our header as payload.
            s.set_header_included_v6(true)
                .map_err(|e| Error::io("setting IPV6_HDRINCL on the raw IPv6 send socket", e))?;
            v6_send = Some(s);
            recv.push((
                open(Domain::IPV6, i32::from(proto::TCP), "raw IPv6 TCP receive")?,
                Kind::V6(proto::TCP),
            ));
            recv.push((
                open(Domain::IPV6, i32::from(proto::ICMPV6), "raw ICMPv6 receive")?,
                Kind::V6(proto::ICMPV6),
            ));
        }
        Ok(Self {
            v4_send,
            v6_send,
            recv,
            buf: vec![0; 65_536],
            send_errors: 0,
        })
    }

    /// How many sends failed.
    pub fn send_errors(&self) -> u64 {
        self.send_errors
    }

    /// Sends a probe written by [`Engine::poll_transmit`] into `buf`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when no socket is open for the probe's family; [`Error::Send`] when the
    /// send itself fails (no route, a local firewall), also counted in
    /// [`RawSockets::send_errors`]. The caller passes the latter on to
    /// [`Engine::handle_send_error`], so that the probe's trace says why it went no further.
    pub fn send(&mut self, tx: &Transmit, buf: &[u8]) -> Result<()> {
        let addr = SockAddr::from(SocketAddr::new(tx.dst, 0));
        let s = match tx.dst {
            IpAddr::V4(_) => self.v4_send.as_ref().ok_or_else(|| no_socket("IPv4"))?,
            IpAddr::V6(_) => self.v6_send.as_ref().ok_or_else(|| no_socket("IPv6"))?,
        };
        let res = s.send_to(&buf[..tx.len], &addr);
        res.map(drop).map_err(|source| {
            tracing::debug!(dst = %tx.dst, ttl = tx.ttl, error = %source, "probe send failed");
            self.send_errors += 1;
            Error::Send {
                dst: tx.dst,
                ttl: tx.ttl,
                source,
            }
        })
    }

    /// Waits up to `wait` for replies and hands the available ones to `engine` (at most 1024
    /// per socket, so that the caller gets back to its timeouts even under a flood). Returns
    /// the number of packets handed over.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when waiting or receiving fails for another reason than an interrupt.
    pub fn recv_into(&mut self, engine: &mut Engine, wait: Duration) -> Result<usize> {
        let ts = Timespec {
            tv_sec: wait.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: wait.subsec_nanos().into(),
        };
        let ready: Vec<bool> = {
            let mut fds: Vec<PollFd<'_>> = self
                .recv
                .iter()
                .map(|(s, _)| PollFd::new(s, PollFlags::IN))
                .collect();
            match poll(&mut fds, Some(&ts)) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(Error::io("waiting for replies", io::Error::from(e))),
            }
            fds.iter().map(|f| !f.revents().is_empty()).collect()
        };
        let mut n = 0;
        for (i, (sock, kind)) in self.recv.iter().enumerate() {
            if !ready[i] {
                continue;
            }
            // Bounded, so that a flood of unrelated traffic cannot keep the caller from its
            // timeouts and deadline.
            for _ in 0..MAX_BATCH {
                match rustix::net::recvfrom(sock, &mut self.buf[..], RecvFlags::DONTWAIT) {
                    Ok((len, _, from)) => {
                        let now = Instant::now();
                        let len = len.min(self.buf.len());
                        n += 1;
                        match kind {
                            Kind::V4 => {
                                engine.handle_packet(now, &self.buf[..len]);
                            }
                            Kind::V6(nh) => {
                                let from = from.and_then(|a| SocketAddr::try_from(a).ok());
                                if let Some(SocketAddr::V6(a)) = from {
                                    engine.handle_ipv6_payload(now, *a.ip(), *nh, &self.buf[..len]);
                                }
                            }
                        }
                    }
                    Err(Errno::AGAIN | Errno::INTR) => break,
                    Err(e) => return Err(Error::io("receiving replies", io::Error::from(e))),
                }
            }
        }
        Ok(n)
    }
}

fn no_socket(family: &str) -> Error {
    Error::Io {
        action: format!("sending a probe: no {family} socket was opened"),
        source: io::Error::new(io::ErrorKind::NotConnected, "family not opened"),
    }
}
