//! The reply parser against packets written by scapy (`tests/resources/replies/make.py`).

use std::net::IpAddr;
use std::path::PathBuf;

use tcptrace::{
    MplsLabel, ReplyBody, ReplyKind, TcpFlags, WireError, parse_reply, parse_reply_v6_payload,
};
use test_case::test_case;

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "resources",
        "replies",
        &format!("{name}.bin"),
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test_case("v4-time-exceeded", ReplyKind::TimeExceeded, "198.18.0.2"; "time exceeded")]
#[test_case("v4-time-exceeded-8-bytes", ReplyKind::TimeExceeded, "198.18.0.2"; "rfc 792 minimal quote")]
#[test_case("v4-options-time-exceeded", ReplyKind::TimeExceeded, "198.18.0.2"; "outer header with options")]
#[test_case("v4-unreachable-admin", ReplyKind::Unreachable(13), "198.18.0.2"; "administratively prohibited")]
#[test_case("v4-mpls-two-labels", ReplyKind::TimeExceeded, "198.18.0.2"; "mpls extension")]
fn ipv4_errors_quote_the_probe(name: &str, kind: ReplyKind, from: &str) {
    let r = parse_reply(&fixture(name)).unwrap();
    assert_eq!(r.from, ip(from));
    assert_eq!(r.to, Some(ip("198.18.0.1")));
    let ReplyBody::IcmpError { kind: k, probe, .. } = r.body else {
        panic!("{r:?}")
    };
    assert_eq!(k, kind);
    assert_eq!((probe.src, probe.dst), (ip("198.18.0.1"), ip("198.19.0.1")));
    assert_eq!(
        (probe.src_port, probe.dst_port, probe.seq_number),
        (40000, 80, 0x0102_0304)
    );
    assert_eq!(probe.ident, Some(0x1234));
}

#[test]
fn mpls_labels_in_order() {
    let r = parse_reply(&fixture("v4-mpls-two-labels")).unwrap();
    let ReplyBody::IcmpError { mpls, .. } = r.body else {
        panic!()
    };
    assert_eq!(
        mpls,
        [
            MplsLabel::new(16, 0, false, 1).unwrap(),
            MplsLabel::new(24_001, 5, true, 255).unwrap()
        ]
    );
}

#[test_case("v4-syn-ack", TcpFlags::SYN; "syn-ack")]
#[test_case("v4-rst-ack", TcpFlags::RST; "rst-ack")]
fn ipv4_tcp_answers(name: &str, flag: TcpFlags) {
    let r = parse_reply(&fixture(name)).unwrap();
    assert_eq!(r.from, ip("198.19.0.1"));
    let ReplyBody::Tcp {
        src_port,
        dst_port,
        ack_number,
        flags,
        ..
    } = r.body
    else {
        panic!()
    };
    assert_eq!((src_port, dst_port, ack_number), (80, 40000, 0x0102_0305));
    assert!(flags.contains(flag) && flags.contains(TcpFlags::ACK));
}

#[test_case("v6-time-exceeded", ReplyKind::TimeExceeded, "2001:db8::2"; "time exceeded")]
#[test_case("v6-unreachable-port", ReplyKind::Unreachable(4), "2001:db8:1::1"; "port unreachable")]
fn ipv6_errors_whole_and_headerless(name: &str, kind: ReplyKind, from: &str) {
    let bytes = fixture(name);
    let whole = parse_reply(&bytes).unwrap();
    let IpAddr::V6(from6) = ip(from) else {
        unreachable!()
    };
    let headerless = parse_reply_v6_payload(from6, 58, &bytes[40..]).unwrap();
    assert_eq!(whole.body, headerless.body);
    assert_eq!(whole.from, ip(from));
    let ReplyBody::IcmpError { kind: k, probe, .. } = whole.body else {
        panic!()
    };
    assert_eq!(k, kind);
    assert_eq!(
        (
            probe.src_port,
            probe.dst_port,
            probe.seq_number,
            probe.ident
        ),
        (40001, 443, 7, None)
    );
    assert_eq!(probe.dst, ip("2001:db8:1::1"));
}

#[test]
fn ipv6_syn_ack() {
    let bytes = fixture("v6-syn-ack");
    let r = parse_reply(&bytes).unwrap();
    let ReplyBody::Tcp {
        src_port,
        dst_port,
        ack_number,
        flags,
        ..
    } = r.body
    else {
        panic!()
    };
    assert_eq!((src_port, dst_port, ack_number), (443, 40001, 8));
    assert_eq!(flags, TcpFlags::SYN | TcpFlags::ACK);
    let IpAddr::V6(from) = r.from else {
        unreachable!()
    };
    assert_eq!(
        parse_reply_v6_payload(from, 6, &bytes[40..]).unwrap().body,
        r.body
    );
}

#[test_case("v4-echo-reply", WireError::Unsupported; "echo reply")]
#[test_case("v6-echo-reply", WireError::Unsupported; "icmpv6 echo reply")]
#[test_case("v4-udp", WireError::Unsupported; "udp")]
#[test_case("v4-quotes-udp", WireError::Unsupported; "error quoting udp")]
#[test_case("v4-fragment", WireError::Unsupported; "fragment")]
#[test_case("v4-bad-ip-checksum", WireError::Checksum; "bad ip checksum")]
#[test_case("v4-truncated", WireError::Truncated; "truncated")]
fn what_never_answers_a_probe(name: &str, error: WireError) {
    assert_eq!(parse_reply(&fixture(name)).unwrap_err(), error);
}
