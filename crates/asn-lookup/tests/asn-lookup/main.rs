//! Integration tests of `asn-lookup`: every database format, the full ip-location-db table
//! against a linear-scan reference, the whois backends against hostile loopback servers, and
//! the accounting of batch resolves, and geography databases.
mod batch;
mod geo;
mod lookup;
