//! Fidelity: for real `rrdtool graph` argument lists, librrd renders `emit(parse(args))`
//! exactly as it renders `args` (the same `print[]`, `legend[]`, geometry and image bytes);
//! and any legend text comes back unchanged in librrd's `legend[]`.

use proptest::prelude::*;
use rrdgraph::{Element, GraphSpec, Legend, Line, VName, render_raw_args};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

use crate::ops::speed_rrd;

/// The recipe, and the argument lists in `tests/resources/fidelity/*.args`.
fn real_argument_lists(flow: &str, speed: &str) -> Vec<(String, Vec<String>)> {
    let recipe: Vec<String> = rrdgraph::TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| a.replace("Flow.rrd", flow))
        .map(|a| {
            if a == "-1d" {
                format!("{}", DEFAULT_END - 86_400)
            } else {
                a
            }
        })
        .chain(["--end".to_owned(), DEFAULT_END.to_string()])
        .collect();
    let mut lists = vec![("the recipe's graph.py".to_owned(), recipe)];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resources/fidelity");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "args"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let args = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|a| a.replace("FLOW", flow).replace("SPEED", speed))
            .collect();
        lists.push((name, args));
    }
    lists
}

#[test]
fn emit_of_parse_renders_like_the_original() {
    let flow = TrafficRrd::create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let speed = speed_rrd(dir.path());
    let flow_path = flow.path().to_str().unwrap();
    let speed_path = speed.path().to_str().unwrap();
    for (name, mut args) in real_argument_lists(flow_path, speed_path) {
        let spec = GraphSpec::parse_args(&args)
            .unwrap_or_else(|e| panic!("{name}: the argument list does not parse: {e}"));
        let mut emitted = spec.to_args();
        // Both into memory.
        "-".clone_into(&mut args[0]);
        "-".clone_into(&mut emitted[0]);
        let original = render_raw_args(&args).unwrap_or_else(|e| panic!("{name}: original: {e}"));
        let ours = render_raw_args(&emitted).unwrap_or_else(|e| panic!("{name}: emitted: {e}"));
        assert_eq!(ours.prints(), original.prints(), "{name}: print[]");
        assert_eq!(ours.legends(), original.legends(), "{name}: legend[]");
        assert_eq!(ours.meta(), original.meta(), "{name}: geometry");
        assert_eq!(
            ours.image().map(<[u8]>::len),
            original.image().map(<[u8]>::len),
            "{name}: image size"
        );
        assert!(
            ours.image() == original.image(),
            "{name}: image bytes differ"
        );
        // And the round trip is stable.
        assert_eq!(
            GraphSpec::parse_args(&spec.to_args()).unwrap(),
            spec,
            "{name}"
        );
    }
}

/// librrd's legend[] for a drawn element starts with two spaces (room for the color box).
fn legend_of(spec: &GraphSpec) -> Vec<String> {
    spec.render().unwrap().legends().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_legend_text_comes_back_unchanged(
        text in "[ -~\t\u{e9}\u{6f22}]{1,40}",
    ) {
        let Ok(legend) = Legend::new(text.clone()) else {
            // Refused texts are covered by the spec half's tests.
            return Ok(());
        };
        let x = VName::new("x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let speed = speed_rrd(dir.path());
        let def = format!("DEF:x={}:speed:AVERAGE", speed.path().display());
        // A line without legend (no legend[] entry), then the comment.
        let comment = GraphSpec::builder()
            .output("-")
            .args(&["--start", "920804400", "--end", "920808000", &def, "LINE1:x#000000"])
            .element(Element::Comment(legend.clone()))
            .build()
            .unwrap();
        prop_assert_eq!(legend_of(&comment), vec![text.clone()]);
        let line = GraphSpec::builder()
            .output("-")
            .args(&[
                "--start".to_owned(),
                "920804400".into(),
                "--end".into(),
                "920808000".into(),
                def,
            ])
            .element(Line::new(&x).color(rrdgraph::Color::rgb(0, 0, 0)).legend(legend))
            .build()
            .unwrap();
        prop_assert_eq!(legend_of(&line), vec![format!("  {text}")]);
    }
}
