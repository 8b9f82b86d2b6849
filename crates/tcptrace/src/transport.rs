//! Sockets under the engine. Only Linux raw sockets for now.

#[cfg(target_os = "linux")]
mod linux;

#[cfg(target_os = "linux")]
pub use linux::RawSockets;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::error::{Error, Result};

/// Our source address towards `dst`, as the kernel's routing picks it (a connected UDP socket
/// sends nothing).
pub(crate) fn source_for(dst: IpAddr) -> Result<IpAddr> {
    let bind: SocketAddr = if dst.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = std::net::UdpSocket::bind(bind)
        .map_err(|e| Error::io(format!("finding a source address for {dst}"), e))?;
    sock.connect((dst, 33_434))
        .map_err(|source| Error::NoRoute { addr: dst, source })?;
    let local = sock
        .local_addr()
        .map_err(|source| Error::NoRoute { addr: dst, source })?;
    Ok(local.ip())
}

/// Checks that this host owns `addr`, which it does when a socket binds to it (an address of
/// an interface, or one in a local route's prefix); sends nothing.
pub(crate) fn owns(addr: IpAddr) -> Result<()> {
    std::net::UdpSocket::bind((addr, 0))
        .map(drop)
        .map_err(|source| Error::NotLocal { addr, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hosts_own_addresses_are_owned() {
        assert!(owns("127.0.0.1".parse().unwrap()).is_ok());
        // TEST-NET-3 is on no interface of a test machine.
        let other: IpAddr = "203.0.113.77".parse().unwrap();
        assert!(matches!(owns(other), Err(Error::NotLocal { addr, .. }) if addr == other));
    }

    #[test]
    fn source_towards_loopback_is_loopback() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(source_for(v4).unwrap(), v4);
        let v6: IpAddr = "::1".parse().unwrap();
        // Hosts without IPv6 loopback fail with a typed error rather than a wrong address.
        match source_for(v6) {
            Ok(a) => assert_eq!(a, v6),
            Err(e) => assert!(matches!(e, Error::NoRoute { .. } | Error::Io { .. }), "{e}"),
        }
    }
}
