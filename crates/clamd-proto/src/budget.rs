//! The cap on the scan results kept by one scan, or by one host of a fleet.

use std::sync::Mutex;

use crate::proto::reply::ScanResult;
use crate::{Error, Result};

/// The default limit on the result lines kept by one path scan (and by one fleet host).
pub const DEFAULT_MAX_RESULTS: usize = 1_000_000;

/// The default byte budget of the results kept by one path scan (and by one fleet host):
/// 64 MiB, as counted by [`ScanResult::footprint`].
pub const DEFAULT_MAX_RESULT_BYTES: usize = 64 << 20;

/// Results counted against one pair of limits: a number of results and a number of bytes.
/// Shared by the jobs of one fleet host, so that the cap is the host's and not each job's.
#[derive(Debug)]
pub(crate) struct Budget {
    max_results: usize,
    max_bytes: usize,
    used: Mutex<(usize, usize)>,
}

impl Budget {
    pub(crate) fn new(max_results: usize, max_bytes: usize) -> Self {
        Self {
            max_results,
            max_bytes,
            used: Mutex::new((0, 0)),
        }
    }

    /// Counts one more result, or refuses it when it would cross a limit; a refused result
    /// counts nothing, so the results kept before it stay within both limits.
    pub(crate) fn charge(&self, result: &ScanResult) -> Result<()> {
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (count, bytes) = *used;
        if count >= self.max_results {
            return Err(Error::TooManyResults {
                limit: self.max_results,
            });
        }
        let bytes = bytes.saturating_add(result.footprint());
        if bytes > self.max_bytes {
            return Err(Error::ResultBytesExceeded {
                limit: self.max_bytes,
            });
        }
        *used = (count + 1, bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::{RESULT_OVERHEAD, Verdict};

    #[test]
    fn both_limits_refuse_the_result_that_crosses_them() {
        let r = ScanResult::new("/abcd", Verdict::Found("Sig".into()));
        assert_eq!(r.footprint(), RESULT_OVERHEAD + 5 + 3);
        let b = Budget::new(2, usize::MAX);
        b.charge(&r).unwrap();
        b.charge(&r).unwrap();
        assert!(matches!(
            b.charge(&r),
            Err(Error::TooManyResults { limit: 2 })
        ));
        let b = Budget::new(10, 2 * r.footprint());
        b.charge(&r).unwrap();
        b.charge(&r).unwrap();
        assert!(matches!(
            b.charge(&r),
            Err(Error::ResultBytesExceeded { limit }) if limit == 2 * r.footprint()
        ));
    }
}
