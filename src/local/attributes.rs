//! Agent attributes in the Mesos text syntax (`rack:r1;zone:a;level:2;ids:[1-3]`) and
//! their `/state` JSON shape.

use crate::proto::{Attribute, value};

fn parse_ranges(inner: &str) -> Result<Vec<(u64, u64)>, String> {
    let mut out = Vec::new();
    for r in inner.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (b, e) = r.split_once('-').unwrap_or((r, r));
        let b: u64 = b.trim().parse().map_err(|_| format!("bad range {r:?}"))?;
        let e: u64 = e.trim().parse().map_err(|_| format!("bad range {r:?}"))?;
        if b > e {
            return Err(format!("bad range {r:?}: begin > end"));
        }
        out.push((b, e));
    }
    Ok(out)
}

/// Parses attributes in Mesos text syntax (`rack:r1;zone:a;level:2;ids:[1-3]`): numbers
/// become SCALAR, `[..]` RANGES, anything else TEXT.
pub fn parse_attributes(text: &str) -> Result<Vec<Attribute>, String> {
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, val) = part
            .split_once(':')
            .ok_or_else(|| format!("attribute {part:?} is not name:value"))?;
        let (name, val) = (name.trim().to_string(), val.trim());
        let mut attr = Attribute {
            name,
            ..Default::default()
        };
        if let Some(inner) = val.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            attr.r#type = value::Type::Ranges as i32;
            attr.ranges = Some(value::Ranges {
                range: parse_ranges(inner)?
                    .into_iter()
                    .map(|(begin, end)| value::Range { begin, end })
                    .collect(),
            });
        } else if let Ok(number) = val.parse::<f64>() {
            attr.r#type = value::Type::Scalar as i32;
            attr.scalar = Some(value::Scalar { value: number });
        } else {
            attr.r#type = value::Type::Text as i32;
            attr.text = Some(value::Text {
                value: val.to_string(),
            });
        }
        out.push(attr);
    }
    Ok(out)
}

/// The `/state` JSON object of attributes (`{"rack": "r1", "level": 2}`).
pub fn attributes_json(attributes: &[Attribute]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for a in attributes {
        let v = if let Some(t) = &a.text {
            serde_json::json!(t.value)
        } else if let Some(s) = &a.scalar {
            serde_json::json!(s.value)
        } else if let Some(r) = &a.ranges {
            let text: Vec<String> = r
                .range
                .iter()
                .map(|x| format!("{}-{}", x.begin, x.end))
                .collect();
            serde_json::json!(format!("[{}]", text.join(", ")))
        } else {
            serde_json::Value::Null
        };
        map.insert(a.name.clone(), v);
    }
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes() {
        let a = parse_attributes("rack:r1;level:2;ids:[1-3]").unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(attributes_json(&a)["rack"], "r1");
        assert_eq!(attributes_json(&a)["ids"], "[1-3]");
        assert!(parse_attributes("ids:[5-1]").is_err());
    }
}
