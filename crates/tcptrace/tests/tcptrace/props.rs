//! Properties: parsing never panics, emit then parse round-trips.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use proptest::prelude::*;
use tcptrace::{
    Engine, Flow, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, Ipv4Packet, Ipv4Repr,
    Ipv6Packet, Ipv6Repr, MplsLabel, TcpFlags, TcpPacket, TcpRepr, TraceConfig, parse_reply,
    parse_reply_v6_payload,
};

fn label() -> impl Strategy<Value = MplsLabel> {
    (0u32..1 << 20, 0u8..8, any::<bool>(), any::<u8>())
        .prop_map(|(label, tc, bottom, ttl)| MplsLabel::new(label, tc, bottom, ttl).unwrap())
}

proptest! {
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_reply(&bytes);
        let _ = parse_reply_v6_payload(Ipv6Addr::LOCALHOST, 58, &bytes);
        let _ = parse_reply_v6_payload(Ipv6Addr::LOCALHOST, 6, &bytes);
        if let Ok(p) = Ipv4Packet::new_checked(&bytes[..]) { let _ = Ipv4Repr::parse(&p); let _ = p.payload(); }
        if let Ok(p) = Ipv4Packet::new_quoted(&bytes[..]) { let _ = p.payload(); }
        if let Ok(p) = Ipv6Packet::new_checked(&bytes[..]) { let _ = Ipv6Repr::parse(&p); }
        if let Ok(p) = TcpPacket::new_checked(&bytes[..]) { let _ = TcpRepr::parse(&p); let _ = p.mss(); }
        if let Ok(p) = Icmpv4Packet::new_checked(&bytes[..]) { let _ = Icmpv4Repr::parse(&p); }
        if let Ok(p) = Icmpv6Packet::new_checked(&bytes[..]) { let _ = Icmpv6Repr::parse_unverified(&p); }
    }

    #[test]
    fn engine_never_panics_on_input(packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 0..20)) {
        let cfg = TraceConfig::builder().target("t").build().unwrap();
        let flow = Flow::new("t", "198.18.0.2".parse().unwrap(), "198.19.0.1".parse().unwrap(), 80);
        let mut e = Engine::new(&cfg, vec![flow], 1).unwrap();
        let now = Instant::now();
        let mut buf = Vec::new();
        while e.poll_transmit(now, &mut buf).is_some() {}
        for p in &packets {
            let _ = e.handle_packet(now, p);
        }
        prop_assert_eq!(e.stats().replies, 0);
    }

    #[test]
    fn ipv4_round_trip(src in any::<[u8; 4]>(), dst in any::<[u8; 4]>(), protocol: u8, ttl: u8, ident: u16, tos: u8, dont_frag: bool, payload_len in 0usize..100) {
        let mut repr = Ipv4Repr::new(Ipv4Addr::from(src), Ipv4Addr::from(dst), protocol, payload_len);
        (repr.ttl, repr.ident, repr.tos, repr.dont_frag) = (ttl, ident, tos, dont_frag);
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(Ipv4Repr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn ipv6_round_trip(src in any::<[u8; 16]>(), dst in any::<[u8; 16]>(), next_header: u8, hop_limit: u8, traffic_class: u8, flow_label in 0u32..1 << 20, payload_len in 0usize..100) {
        let mut repr = Ipv6Repr::new(Ipv6Addr::from(src), Ipv6Addr::from(dst), next_header, payload_len);
        (repr.hop_limit, repr.traffic_class, repr.flow_label) = (hop_limit, traffic_class, flow_label);
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(Ipv6Repr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn tcp_round_trip(src_port: u16, dst_port: u16, seq_number: u32, ack_number: u32, flags in 0u16..0x200, window: u16, mss: Option<u16>) {
        let mut repr = TcpRepr::new(src_port, dst_port, TcpFlags::from_bits(flags));
        (repr.seq_number, repr.ack_number, repr.window, repr.mss) = (seq_number, ack_number, window, mss);
        let (s, d) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let mut buf = vec![0; repr.header_len()];
        repr.emit(&mut buf, s, d).unwrap();
        let p = TcpPacket::new_checked(&buf[..]).unwrap();
        prop_assert!(p.verify_checksum(s, d));
        prop_assert_eq!(TcpRepr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn icmpv4_round_trip(code: u8, quoted in proptest::collection::vec(any::<u8>(), 0..200), labels in proptest::collection::vec(label(), 0..4), te: bool) {
        let repr = if te {
            Icmpv4Repr::time_exceeded(code, &quoted, labels.clone())
        } else {
            Icmpv4Repr::dst_unreachable(code, &quoted, labels.clone())
        };
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        let back = Icmpv4Repr::parse(&p).unwrap();
        let (q, m) = match back {
            Icmpv4Repr::TimeExceeded { quoted, mpls, .. } | Icmpv4Repr::DstUnreachable { quoted, mpls, .. } => (quoted, mpls),
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(&q[..quoted.len()], &quoted[..]);
        prop_assert_eq!(m, labels.clone());
        if labels.is_empty() { prop_assert_eq!(q.len(), quoted.len()); }
    }

    #[test]
    fn icmpv6_round_trip(code: u8, quoted in proptest::collection::vec(any::<u8>(), 0..200), labels in proptest::collection::vec(label(), 0..4)) {
        let (s, d): (Ipv6Addr, Ipv6Addr) = ("2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap());
        let repr = Icmpv6Repr::time_exceeded(code, &quoted, labels.clone());
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf, s, d).unwrap();
        let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        match Icmpv6Repr::parse(&p, s, d).unwrap() {
            Icmpv6Repr::TimeExceeded { quoted: q, mpls, .. } => {
                prop_assert_eq!(&q[..quoted.len()], &quoted[..]);
                prop_assert_eq!(mpls, labels);
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }
}
