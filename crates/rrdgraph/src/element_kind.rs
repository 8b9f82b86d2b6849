//! The kinds of graph elements, as librrd names them.

use std::fmt;

/// The kind of an [`Element`](crate::Element), as librrd names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementKind {
    /// `DEF`
    Def,
    /// `CDEF`
    CDef,
    /// `VDEF`
    VDef,
    /// `LINE`
    Line,
    /// `AREA`
    Area,
    /// `STACK` (deprecated by librrd, still supported)
    Stack,
    /// `TICK`
    Tick,
    /// `SHIFT`
    Shift,
    /// `HRULE`
    HRule,
    /// `VRULE`
    VRule,
    /// `TEXTALIGN`
    TextAlign,
    /// `COMMENT`
    Comment,
    /// `PRINT`
    Print,
    /// `GPRINT`
    GPrint,
}

impl ElementKind {
    /// Every kind.
    pub const ALL: [ElementKind; 14] = [
        ElementKind::Def,
        ElementKind::CDef,
        ElementKind::VDef,
        ElementKind::Line,
        ElementKind::Area,
        ElementKind::Stack,
        ElementKind::Tick,
        ElementKind::Shift,
        ElementKind::HRule,
        ElementKind::VRule,
        ElementKind::TextAlign,
        ElementKind::Comment,
        ElementKind::Print,
        ElementKind::GPrint,
    ];

    /// librrd's keyword.
    pub const fn as_str(self) -> &'static str {
        match self {
            ElementKind::Def => "DEF",
            ElementKind::CDef => "CDEF",
            ElementKind::VDef => "VDEF",
            ElementKind::Line => "LINE",
            ElementKind::Area => "AREA",
            ElementKind::Stack => "STACK",
            ElementKind::Tick => "TICK",
            ElementKind::Shift => "SHIFT",
            ElementKind::HRule => "HRULE",
            ElementKind::VRule => "VRULE",
            ElementKind::TextAlign => "TEXTALIGN",
            ElementKind::Comment => "COMMENT",
            ElementKind::Print => "PRINT",
            ElementKind::GPrint => "GPRINT",
        }
    }

    /// Whether elements of this kind define a vname.
    pub const fn defines_vname(self) -> bool {
        matches!(
            self,
            ElementKind::Def | ElementKind::CDef | ElementKind::VDef
        )
    }

    /// Whether elements of this kind draw or print something (a graph without any is empty).
    pub const fn is_output(self) -> bool {
        !matches!(
            self,
            ElementKind::Def
                | ElementKind::CDef
                | ElementKind::VDef
                | ElementKind::Shift
                | ElementKind::TextAlign
        )
    }
}

impl fmt::Display for ElementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
