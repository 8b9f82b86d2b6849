//! Generated Rust code compiles and builds the same spec. The files in `codegen/` are the exact
//! output of `to_rust()`; regenerate them with `OPSKIT_REGENERATE=1 cargo test -p rrdgraph codegen`.

use rrdgraph::{GraphSpec, traffic};

// Generated files stay byte-for-byte what `to_rust()` prints.
#[rustfmt::skip]
mod catalog_graph;
#[rustfmt::skip]
mod options_graph;
#[rustfmt::skip]
mod recipe_graph;

fn check_generated(path: &str, current: &str, expected: &str) {
    if std::env::var_os("OPSKIT_REGENERATE").is_some() {
        std::fs::write(path, expected).unwrap();
        return;
    }
    assert_eq!(
        current, expected,
        "{path} is stale: regenerate it (see the module docs)"
    );
}

fn catalog_spec() -> GraphSpec {
    testbed::rrdgraph::catalog("out.png", "/srv/rrd/host:eth0.rrd", "value")
        .pop()
        .unwrap()
}

#[test]
fn generated_recipe_code_builds_the_recipe() {
    let spec = traffic("Flow.png", "Flow.rrd").unwrap();
    check_generated(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/rrdgraph/codegen/recipe_graph.rs"
        ),
        include_str!("codegen/recipe_graph.rs"),
        &spec.to_rust(),
    );
    assert_eq!(recipe_graph::graph().unwrap(), spec);
}

#[test]
fn generated_catalog_code_builds_every_element() {
    let spec = catalog_spec();
    check_generated(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/rrdgraph/codegen/catalog_graph.rs"
        ),
        include_str!("codegen/catalog_graph.rs"),
        &spec.to_rust(),
    );
    assert_eq!(catalog_graph::graph().unwrap(), spec);
}

/// Every option of the catalog in one graph: the typed setters (`.width(650)`) and the generic
/// `.option(..)` that the generated code uses build the same spec.
fn options_spec() -> GraphSpec {
    let x = rrdgraph::VName::new("x").unwrap();
    let mut b = GraphSpec::builder().output("o.png");
    for o in testbed::rrdgraph::option_samples() {
        b = b.option(o);
    }
    b.def(rrdgraph::Def::new(
        &x,
        "a.rrd",
        rrdgraph::DsName::new("v").unwrap(),
        rrdgraph::Cf::Average,
    ))
    .line(rrdgraph::Line::new(&x).color(rrdgraph::Color::rgb(0, 0, 0)))
    .build()
    .unwrap()
}

#[test]
fn generated_option_code_uses_the_typed_setters() {
    let spec = options_spec();
    check_generated(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/rrdgraph/codegen/options_graph.rs"
        ),
        include_str!("codegen/options_graph.rs"),
        &spec.to_rust(),
    );
    assert!(spec.to_rust().contains("        .width(650)\n"));
    assert_eq!(options_graph::graph().unwrap(), spec);
}

#[test]
fn generated_code_for_odd_vnames_is_valid_rust() {
    let spec = GraphSpec::parse_args(&[
        "o.png",
        "DEF:1st=a.rrd:v:AVERAGE",
        "DEF:fn=a.rrd:v:AVERAGE",
        "DEF:a-b=a.rrd:v:AVERAGE",
        "DEF:a_b=a.rrd:v:AVERAGE",
        "CDEF:sum=1st,fn,+,a-b,+,a_b,+",
        "LINE1:sum#FF0000",
    ])
    .unwrap();
    let code = spec.to_rust();
    assert!(code.contains("let v_1st = VName::new(\"1st\")?;"), "{code}");
    assert!(code.contains("let v_fn = VName::new(\"fn\")?;"), "{code}");
    assert!(code.contains("let a_b = VName::new(\"a-b\")?;"), "{code}");
    assert!(code.contains("let a_b_2 = VName::new(\"a_b\")?;"), "{code}");
}
