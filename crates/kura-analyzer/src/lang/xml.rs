//! A minimal XML reader for Maven POMs (XML 1.0, enough of it): elements, text, the five
//! predefined entities and numeric character references, comments, CDATA, processing
//! instructions and DOCTYPE (skipped). Namespaces prefixes are kept as written. It reports each
//! element when it closes, with its path from the root and its trimmed text.

/// Deepest element nesting accepted; a POM is a few levels deep.
const MAX_DEPTH: usize = 64;

/// An error with the byte offset where reading stopped.
#[derive(Debug)]
pub(crate) struct XmlError {
    pub offset: usize,
    pub reason: &'static str,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// Call `on_close(path, text)` for every element as it closes; `path` is the element names from
/// the root (`["project", "dependencies", "dependency", "version"]`).
pub(crate) fn walk(text: &str, mut on_close: impl FnMut(&[&str], &str)) -> Result<(), XmlError> {
    let mut stack: Vec<(&str, String)> = Vec::new();
    let mut pos = 0;
    let err = |offset, reason| XmlError { offset, reason };
    while let Some(rel) = text.get(pos..).and_then(|t| t.find('<')) {
        let lt = pos + rel;
        if let Some((_, buf)) = stack.last_mut() {
            decode_into(text.get(pos..lt).unwrap_or(""), buf);
        }
        let rest = text.get(lt..).unwrap_or("");
        if rest.starts_with("<!--") {
            pos = lt + rest.find("-->").ok_or(err(lt, "unterminated comment"))? + 3;
        } else if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").ok_or(err(lt, "unterminated CDATA"))?;
            if let Some((_, buf)) = stack.last_mut() {
                buf.push_str(cdata.get(..end).unwrap_or(""));
            }
            pos = lt + 9 + end + 3;
        } else if rest.starts_with("<?") {
            pos = lt
                + rest
                    .find("?>")
                    .ok_or(err(lt, "unterminated processing instruction"))?
                + 2;
        } else if rest.starts_with("<!") {
            pos = lt + rest.find('>').ok_or(err(lt, "unterminated declaration"))? + 1;
        } else {
            let gt = rest.find('>').ok_or(err(lt, "unterminated tag"))?;
            let tag = rest.get(1..gt).unwrap_or("");
            pos = lt + gt + 1;
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim();
                let Some((open, buf)) = stack.pop() else {
                    return Err(err(lt, "closing tag without an open element"));
                };
                if open != name {
                    return Err(err(lt, "mismatched closing tag"));
                }
                let mut path: Vec<&str> = stack.iter().map(|(n, _)| *n).collect();
                path.push(open);
                on_close(&path, buf.trim());
            } else {
                let self_closing = tag.ends_with('/');
                let tag = tag.trim_end_matches('/');
                let name = tag.split(|c: char| c.is_whitespace()).next().unwrap_or("");
                if name.is_empty() {
                    return Err(err(lt, "empty tag name"));
                }
                if self_closing {
                    let mut path: Vec<&str> = stack.iter().map(|(n, _)| *n).collect();
                    path.push(name);
                    on_close(&path, "");
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err(err(lt, "elements nested too deeply"));
                    }
                    stack.push((name, String::new()));
                }
            }
        }
    }
    if !stack.is_empty() {
        return Err(err(text.len(), "unclosed element at end of document"));
    }
    Ok(())
}

fn decode_into(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        let Some(semi) = after.find(';').filter(|&n| n <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let ent = after.get(..semi).unwrap_or("");
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = after.get(semi + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(s: &str) -> Result<Vec<String>, XmlError> {
        let mut v = Vec::new();
        walk(s, |p, t| v.push(format!("{}={}", p.join("/"), t)))?;
        Ok(v)
    }

    #[test]
    fn elements_entities_cdata_comments() {
        let doc = "<?xml version=\"1.0\"?><!DOCTYPE x><a x=\"1\"><!-- c --><b>1 &amp; &#x41;&#66;</b><c/><d><![CDATA[<raw>]]></d></a>";
        assert_eq!(
            events(doc).unwrap(),
            ["a/b=1 & AB", "a/c=", "a/d=<raw>", "a="]
        );
    }

    #[test]
    fn malformed_documents_table() {
        for (doc, reason) in [
            ("<a><b></a>", "mismatched"),
            ("<a>", "unclosed"),
            ("</a>", "without an open"),
            ("<a><!-- x", "comment"),
            ("<a", "unterminated tag"),
            ("<></>", "empty tag"),
        ] {
            let e = events(doc).unwrap_err();
            assert!(e.to_string().contains(reason), "{doc}: {e}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(events(&deep).unwrap_err().to_string().contains("deeply"));
    }
}
