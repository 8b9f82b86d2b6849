//! What the layout places on its rows, and the spacing it keeps between them: the leaf that
//! the layout and its x placement both read.

use petgraph::graph::NodeIndex;

/// Font size of node labels, in pixels.
pub(crate) const NODE_FONT: f64 = 12.0;
/// Font size of a node's annotation (marks, MPLS labels, loss) under its label.
pub(crate) const ANNOTATION_FONT: f64 = 9.0;
/// Height of a node with an annotation: as tall as a blackhole, so rows and AS boxes keep
/// their spacing.
pub(crate) const ANNOTATED_H: f64 = BLACKHOLE_H;
/// Font size of AS box labels, in pixels.
pub(crate) const AS_FONT: f64 = 11.0;
/// The widest line of an AS box label; longer labels wrap.
pub(crate) const AS_WRAP_W: f64 = 220.0;
/// The most lines of an AS box label (with [`AS_WRAP_W`], about 100 characters); a longer
/// label is cut there, whole in the box's tooltip.
pub(crate) const AS_LINES: usize = 3;
/// The distance between two lines of an AS box label.
pub(crate) const AS_LINE_H: f64 = 11.5;
/// Height of a node.
pub(crate) const NODE_H: f64 = 26.0;
/// Height of a blackhole octagon.
pub(crate) const BLACKHOLE_H: f64 = 30.0;
/// Distance between two rows.
pub(crate) const ROW_PITCH: f64 = 78.0;
/// Padding between an AS box and its members.
pub(crate) const BOX_PAD: f64 = 8.0;
/// Band above the members of an AS box that holds its label.
pub(crate) const BOX_LABEL_BAND: f64 = 16.0;
/// Horizontal space between nodes of one row.
pub(crate) const NODE_GAP: f64 = 16.0;
/// Horizontal space between an AS box and whatever is next to it.
pub(crate) const BOX_GAP: f64 = 12.0;
/// Width reserved for an edge passing through a row (a dummy node).
pub(crate) const DUMMY_W: f64 = 6.0;
/// Room left and right of an AS title's text in its slot.
pub(crate) const TITLE_PAD: f64 = 2.0;
/// Horizontal padding inside one cell of a node.
pub(crate) const CELL_PAD: f64 = 9.0;

/// What a placed item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// An occurrence of a graph node at one TTL.
    Node(NodeIndex),
    /// A bend point of an edge that spans several rows.
    Dummy,
    /// The title of an AS box, on the first row of its run beside the members: a slot of its
    /// own on the row, so that no edge can pass through it (edges only meet their nodes and
    /// the bend points on their own slots).
    Title,
}

/// One item on a row: a node occurrence or a dummy.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) kind: ItemKind,
    pub(crate) layer: usize,
    pub(crate) group: Option<u32>,
    pub(crate) w: f64,
    pub(crate) h: f64,
    pub(crate) x: f64,
}
