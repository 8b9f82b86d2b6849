#!/usr/bin/env python3
"""Writes asn.mmdb, the GeoLite2-ASN layout fixture of the tcptrace AS tests.

Needs the pip package `mmdb-writer` (and its dependency `netaddr`). The output is committed;
run this again only to change the fixture:  python3 gen_mmdb.py
"""
from netaddr import IPSet
from mmdb_writer import MMDBWriter

ROWS = [
    # More specific networks override the wider ones they sit in (inserted later).
    ("1.0.0.0/24", 13335, "Cloudflare, Inc."),
    ("8.0.0.0/9", 3356, "Level 3 Parent, LLC"),
    ("8.8.8.0/24", 15169, "Google LLC"),
    ("193.0.0.0/21", 3333, 'Reseaux IP Europeens "RIPE NCC"'),
    ("2001:4860::/32", 15169, "Google LLC"),
    ("2606:4700::/32", 13335, "Cloudflare, Inc."),
    ("2a00:1450::/29", 15169, "Google LLC"),
    ("9.9.9.0/24", 19281, "Quad9\x1b[31m"),
]

w = MMDBWriter(
    ip_version=6,
    database_type="GeoLite2-ASN",
    languages=["en"],
    description={"en": "tcptrace test fixture in the GeoLite2-ASN layout"},
    ipv4_compatible=True,
    int_type="u32",
)
for net, asn, org in ROWS:
    w.insert_network(IPSet([net]), {"autonomous_system_number": asn, "autonomous_system_organization": org})
w.to_db_file("asn.mmdb")
