//! A small HCL writer that formats like `terraform fmt`: two-space indent, and the
//! `=` of consecutive one-line attributes aligned. Values are built with
//! [`string`], [`raw`] and friends, so quoting happens in one place.

use std::fmt::Write as _;

/// A block: `type "label" "label" { ... }`.
#[derive(Debug, Clone)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    /// `key = value`; the value is already HCL.
    Attr(String, String),
    Block(Block),
    /// An empty line between groups.
    Blank,
    /// A `# comment` line.
    Comment(String),
}

impl Block {
    pub fn new(kind: &str, labels: &[&str]) -> Self {
        Block {
            kind: kind.to_owned(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            items: Vec::new(),
        }
    }

    pub fn attr(mut self, key: &str, value: impl Into<String>) -> Self {
        self.items.push(Item::Attr(key.to_owned(), value.into()));
        self
    }

    pub fn block(mut self, block: Block) -> Self {
        self.items.push(Item::Block(block));
        self
    }

    pub fn blank(mut self) -> Self {
        self.items.push(Item::Blank);
        self
    }

    pub fn comment(mut self, text: &str) -> Self {
        self.items.push(Item::Comment(text.to_owned()));
        self
    }
}

/// A quoted HCL string. `${` and `%{` are escaped, so nothing is interpolated.
pub fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out.replace("${", "$${").replace("%{", "%%{")
}

/// An expression written as is (references, function calls, numbers, booleans).
pub fn raw(s: impl Into<String>) -> String {
    s.into()
}

/// A list of already-rendered values on one line.
pub fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// Renders top-level blocks separated by blank lines.
pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_block(&mut out, block, 0);
    }
    out
}

fn write_block(out: &mut String, block: &Block, depth: usize) {
    let pad = "  ".repeat(depth);
    let labels: String = block
        .labels
        .iter()
        .map(|l| format!(" {}", string(l)))
        .collect();
    let _ = writeln!(out, "{pad}{}{labels} {{", block.kind);
    let inner = "  ".repeat(depth + 1);
    let mut i = 0;
    while i < block.items.len() {
        match &block.items[i] {
            Item::Attr(..) => {
                // A run of one-line attributes aligns its `=`.
                let start = i;
                while i < block.items.len()
                    && matches!(&block.items[i], Item::Attr(_, v) if !v.contains('\n'))
                {
                    i += 1;
                }
                if i == start {
                    // A multi-line attribute stands alone.
                    if let Item::Attr(k, v) = &block.items[i] {
                        let _ = writeln!(out, "{inner}{k} = {v}");
                    }
                    i += 1;
                    continue;
                }
                let width = block.items[start..i]
                    .iter()
                    .map(|it| {
                        if let Item::Attr(k, _) = it {
                            k.len()
                        } else {
                            0
                        }
                    })
                    .max()
                    .unwrap_or(0);
                for it in &block.items[start..i] {
                    if let Item::Attr(k, v) = it {
                        let _ = writeln!(out, "{inner}{k:<width$} = {v}");
                    }
                }
            }
            Item::Block(b) => {
                write_block(out, b, depth + 1);
                i += 1;
            }
            Item::Blank => {
                out.push('\n');
                i += 1;
            }
            Item::Comment(text) => {
                let _ = writeln!(out, "{inner}# {}", crate::render::one_line(text));
                i += 1;
            }
        }
    }
    let _ = writeln!(out, "{pad}}}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_like_terraform_fmt() {
        let block = Block::new("resource", &["alicloud_vpc", "main"])
            .attr("vpc_name", string("future-prod"))
            .attr("cidr_block", string("10.42.0.0/16"))
            .blank()
            .block(Block::new("tags", &[]).attr("a", string("b")));
        assert_eq!(
            render(&[block]),
            "resource \"alicloud_vpc\" \"main\" {\n  vpc_name   = \"future-prod\"\n  cidr_block = \"10.42.0.0/16\"\n\n  tags {\n    a = \"b\"\n  }\n}\n"
        );
    }

    #[test]
    fn strings_never_interpolate() {
        assert_eq!(string("a\"b${x}%{y}\n"), "\"a\\\"b$${x}%%{y}\\n\"");
    }
}
