//! The batch renderer over real worker processes.
//!
//! The workers are this test binary, started with `--exact batch::worker_entry`: that test
//! becomes the worker loop when `RRDGRAPH_BATCH_WORKER` is set.

use std::time::Duration;

use rrdgraph::{BatchRenderer, GraphSpec, RrdError};
use testbed::rrd::TrafficRrd;

use crate::render::flow_args;

fn specs(lists: &[Vec<String>]) -> Vec<GraphSpec> {
    lists
        .iter()
        .map(|a| GraphSpec::parse_args(a).unwrap())
        .collect()
}

fn comments(texts: &[&str]) -> Vec<GraphSpec> {
    texts
        .iter()
        .map(|t| GraphSpec::parse_args(&["-", &format!("COMMENT:{t}")]).unwrap())
        .collect()
}

fn batch(workers: usize) -> BatchRenderer {
    BatchRenderer::builder()
        .workers(workers)
        .worker_command(
            std::env::current_exe().unwrap(),
            [
                "--exact",
                "batch::worker_entry",
                "--nocapture",
                "--test-threads=1",
            ],
        )
        .build()
        .unwrap()
}

/// The workers' entry point, not a check of its own: in a worker process this serves requests
/// on stdin/stdout and exits; in the normal test run it returns at once. The worker loop
/// itself is tested in memory by the crate's unit tests (`batch::tests`).
#[test]
fn worker_entry() {
    rrdgraph::serve_worker_if_requested();
}

#[test]
fn results_come_back_in_order_with_their_own_errors() {
    let rrd = TrafficRrd::create().unwrap();
    let mut jobs: Vec<Vec<String>> = Vec::new();
    for i in 0..9 {
        let mut args = flow_args(rrd.path(), "-");
        if i % 4 == 3 {
            // A failing spec in the middle of the batch.
            args.push(format!("DEF:broken=/nonexistent/opskit/{i}.rrd:x:AVERAGE"));
            args.push("LINE1:broken#000000".into());
        } else {
            args.push(format!("COMMENT:job {i}\\l"));
        }
        jobs.push(args);
    }
    let jobs = specs(&jobs);
    let mut renderer = batch(2);
    let results = renderer.render(&jobs);
    assert_eq!(results.len(), jobs.len());
    for (i, (r, job)) in results.iter().zip(&jobs).enumerate() {
        if i % 4 == 3 {
            let err = r.as_ref().unwrap_err();
            assert!(
                matches!(err, RrdError::Librrd { op: "graph", message } if message.contains(&format!("/nonexistent/opskit/{i}.rrd"))),
                "{i}: {err:?}"
            );
        } else {
            let r = r.as_ref().unwrap();
            assert!(
                r.legends().iter().any(|l| l == &format!("job {i}")),
                "{i}: {:?}",
                r.legends()
            );
            // The same graph in-process gives the same answer.
            let local = job.render().unwrap();
            assert_eq!(r.legends(), local.legends());
            assert_eq!(r.meta(), local.meta());
            assert_eq!(r.image().map(<[u8]>::len), local.image().map(<[u8]>::len));
        }
    }
    // The workers stay up for the next batch.
    let again = renderer.render(&jobs[..2]);
    assert!(again.iter().all(Result::is_ok));
}

#[test]
fn a_worker_that_overruns_is_killed_and_replaced() {
    let rrd = TrafficRrd::builder().hours(2).create().unwrap();
    let jobs: Vec<Vec<String>> = (0..3).map(|_| flow_args(rrd.path(), "-")).collect();
    let jobs = specs(&jobs);
    let mut renderer = batch(1);
    renderer.set_timeout(Duration::from_millis(1));
    let results = renderer.render(&jobs);
    for r in &results {
        assert!(
            matches!(r, Err(RrdError::Worker(m)) if m.contains("longer than")),
            "{r:?}"
        );
    }
    renderer.set_timeout(Duration::from_secs(60));
    let results = renderer.render(&jobs);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[test]
fn a_program_that_is_not_a_worker_fails_each_job_cleanly() {
    let mut renderer = BatchRenderer::builder()
        .workers(2)
        .worker_command("/bin/true", Vec::<String>::new())
        .build()
        .unwrap();
    let results = renderer.render(&comments(&["x", "y"]));
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(
            matches!(&r, Err(RrdError::Worker(m)) if m.contains("serve_worker_if_requested")),
            "{r:?}"
        );
    }
}

#[test]
fn empty_batch() {
    let mut renderer = batch(2);
    assert!(renderer.render(&[]).is_empty());
}

#[test]
fn specs_render_in_workers_like_in_process() {
    // Two specs into memory, two into files: the workers do what `GraphSpec::render` does.
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let file = |i: usize| rrd.dir().join(format!("graph-{i}.png"));
    let outputs: Vec<String> = (0..4)
        .map(|i| match i % 2 {
            0 => "-".to_owned(),
            _ => file(i).to_str().unwrap().to_owned(),
        })
        .collect();
    let jobs: Vec<GraphSpec> = outputs
        .iter()
        .map(|o| GraphSpec::parse_args(&flow_args(rrd.path(), o)).unwrap())
        .collect();
    let mut renderer = batch(2);
    let results = renderer.render(&jobs);
    assert_eq!(results.len(), 4);
    let local = jobs[0].render().unwrap();
    let size = local.image().unwrap().len();
    for (i, r) in results.into_iter().enumerate() {
        let r = r.unwrap();
        assert_eq!(r.legends(), local.legends());
        assert_eq!(r.meta(), local.meta());
        if i % 2 == 0 {
            assert_eq!(r.image().map(<[u8]>::len), Some(size));
        } else {
            assert!(r.image().is_none());
            assert_eq!(std::fs::read(file(i)).unwrap().len(), size);
        }
    }
}

#[test]
fn a_worker_that_never_starts_is_killed_at_the_deadline() {
    let mut renderer = BatchRenderer::builder()
        .workers(1)
        .worker_command("/bin/sleep", ["600"])
        .start_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let results = renderer.render(&comments(&["x"]));
    assert!(
        matches!(&results[0], Err(RrdError::Worker(m)) if m.contains("no hello within")),
        "{results:?}"
    );
}

#[test]
fn a_worker_that_dies_fails_only_its_job() {
    // Says hello, then dies before answering: every job fails with the exit status, and the
    // renderer starts a new worker for each next job.
    let mut renderer = BatchRenderer::builder()
        .workers(1)
        .worker_command(
            "/bin/sh",
            [
                "-c",
                "printf 'RRDGRAPH-WORKER-1\\n'; head -c 4 >/dev/null; exit 3",
            ],
        )
        .build()
        .unwrap();
    let results = renderer.render(&comments(&["a", "b"]));
    assert_eq!(results.len(), 2);
    for r in &results {
        assert!(
            matches!(r, Err(RrdError::Worker(m)) if m.contains("exit status: 3")),
            "{r:?}"
        );
    }
}
