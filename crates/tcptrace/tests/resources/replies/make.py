#!/usr/bin/env python3
"""Writes the reply fixtures of tests/tcptrace/wire.rs with scapy (pip install scapy).

Every probe is the same SYN: 198.18.0.1:40000 -> 198.19.0.1:80, seq 0x01020304, IP ID 0x1234,
or 2001:db8::1:40001 -> 2001:db8:1::1:443, seq 7 for IPv6.
"""
import struct
from scapy.all import IP, IPv6, TCP, UDP, ICMP, ICMPv6TimeExceeded, ICMPv6DestUnreach, ICMPv6EchoReply, IPOption_RR, raw

probe = IP(src="198.18.0.1", dst="198.19.0.1", ttl=1, id=0x1234) / TCP(sport=40000, dport=80, seq=0x01020304, flags="S", window=8192)
probe6 = IPv6(src="2001:db8::1", dst="2001:db8:1::1", hlim=1) / TCP(sport=40001, dport=443, seq=7, flags="S")
me, router, dst = "198.18.0.1", "198.18.0.2", "198.19.0.1"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mpls(labels):
    quoted = raw(probe).ljust(128, b"\0")
    obj = struct.pack("!HBB", 4 + 4 * len(labels), 1, 1)
    for label, tc, s, ttl in labels:
        obj += struct.pack("!I", (label << 12) | (tc << 9) | (s << 8) | ttl)
    ext = b"\x20\x00\x00\x00" + obj
    ext = ext[:2] + struct.pack("!H", csum(ext)) + ext[4:]
    icmp = bytes([11, 0, 0, 0, 0, 32, 0, 0]) + quoted + ext
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    return IP(src=router, dst=me, proto=1) / icmp


fixtures = {
    "v4-time-exceeded": IP(src=router, dst=me) / ICMP(type=11) / raw(probe),
    "v4-time-exceeded-8-bytes": IP(src=router, dst=me) / ICMP(type=11) / raw(probe)[:28],
    "v4-unreachable-admin": IP(src=router, dst=me) / ICMP(type=3, code=13) / raw(probe),
    "v4-syn-ack": IP(src=dst, dst=me) / TCP(sport=80, dport=40000, seq=99, ack=0x01020305, flags="SA"),
    "v4-rst-ack": IP(src=dst, dst=me) / TCP(sport=80, dport=40000, ack=0x01020305, flags="RA"),
    "v4-options-time-exceeded": IP(src=router, dst=me, options=[IPOption_RR()]) / ICMP(type=11) / raw(probe),
    "v4-mpls-two-labels": mpls([(16, 0, 0, 1), (24001, 5, 1, 255)]),
    "v4-echo-reply": IP(src=router, dst=me) / ICMP(type=0),
    "v4-udp": IP(src=router, dst=me) / UDP(sport=53, dport=40000),
    "v4-quotes-udp": IP(src=router, dst=me) / ICMP(type=11) / raw(IP(src=me, dst=dst) / UDP(sport=1, dport=2)),
    "v4-fragment": IP(src=router, dst=me, flags="MF") / ICMP(type=11) / raw(probe),
    "v6-time-exceeded": IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6TimeExceeded() / raw(probe6),
    "v6-unreachable-port": IPv6(src="2001:db8:1::1", dst="2001:db8::1") / ICMPv6DestUnreach(code=4) / raw(probe6),
    "v6-syn-ack": IPv6(src="2001:db8:1::1", dst="2001:db8::1") / TCP(sport=443, dport=40001, ack=8, flags="SA"),
    "v6-echo-reply": IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6EchoReply(),
}
for name, pkt in fixtures.items():
    with open(name + ".bin", "wb") as f:
        f.write(raw(pkt))
bad = bytearray(raw(fixtures["v4-time-exceeded"]))
bad[10] ^= 0xFF
with open("v4-bad-ip-checksum.bin", "wb") as f:
    f.write(bytes(bad))
with open("v4-truncated.bin", "wb") as f:
    f.write(raw(fixtures["v4-time-exceeded"])[:30])
