//! The seeded offer generator: one offer template per agent (resources, attributes, optional
//! role with `allocation_info`), encoded once in both encodings with a fixed-width offer id,
//! so producing an OFFERS event is a memcpy of templates plus a 12-digit id patch.
//!
//! Offer ids look like a real master's (`<master uuid>-O<12 digits>`); the digits are the
//! offer's sequence number, which is how the source finds an answered offer again.

use super::rng::SplitMix64;
use crate::codec::Encoding;
use crate::proto::{
    AgentId, Attribute, FrameworkId, Offer, OfferId, Resource, Url, resource, value,
};
use prost::Message;

/// Width of the numeric tail of every offer id.
pub const ID_DIGITS: usize = 12;

/// How big each offer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OfferShape {
    /// cpus, mem, disk, ports and two attributes: about 440 bytes in protobuf, like a real
    /// master's offer for a plain agent.
    #[default]
    Default,
    /// 20 resources and 10 attributes: about 2 KB in protobuf.
    Fat,
}

/// What the generator builds.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Seed of everything random (ids, sizes, attributes).
    pub seed: u64,
    /// Number of agents, hence of offer templates.
    pub agents: usize,
    /// Size of each offer.
    pub shape: OfferShape,
    /// Roles the agents' resources are allocated to (each agent picks one); empty means
    /// the default role `*`.
    pub roles: Vec<String>,
    /// Every agent offers exactly these `(cpus, mem MB)` instead of seeded mixed sizes.
    pub uniform: Option<(f64, f64)>,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 42,
            agents: 1000,
            shape: OfferShape::Default,
            roles: Vec::new(),
            uniform: None,
        }
    }
}

/// What an offer holds, in the form the checker compares launches against.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceSummary {
    /// Scalar resources by name.
    pub scalars: Vec<(String, f64)>,
    /// Ranges resources by name, inclusive ranges.
    pub ranges: Vec<(String, Vec<(u64, u64)>)>,
}

impl ResourceSummary {
    /// Sums the resources of `resources` by name.
    pub fn of(resources: &[Resource]) -> Self {
        let mut out = ResourceSummary::default();
        for r in resources {
            if let Some(s) = &r.scalar {
                match out.scalars.iter_mut().find(|(n, _)| *n == r.name) {
                    Some((_, v)) => *v += s.value,
                    None => out.scalars.push((r.name.clone(), s.value)),
                }
            }
            if let Some(rs) = &r.ranges {
                let list = rs.range.iter().map(|x| (x.begin, x.end));
                match out.ranges.iter_mut().find(|(n, _)| *n == r.name) {
                    Some((_, v)) => v.extend(list),
                    None => out.ranges.push((r.name.clone(), list.collect())),
                }
            }
        }
        out
    }

    /// The scalar `name` (0 when absent).
    pub fn scalar(&self, name: &str) -> f64 {
        self.scalars
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |(_, v)| *v)
    }

    /// The ranges of `name` (empty when absent).
    pub fn ranges(&self, name: &str) -> &[(u64, u64)] {
        self.ranges
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, v)| v.as_slice())
    }
}

/// One agent's offer, pre-encoded in both encodings with a placeholder id.
#[derive(Debug, Clone)]
pub struct OfferTemplate {
    /// The agent's index.
    pub agent: usize,
    /// The offer (its id is the placeholder, sequence 0).
    pub offer: Offer,
    /// What the offer holds.
    pub resources: ResourceSummary,
    pb: Vec<u8>,
    pb_id_at: usize,
    json: Vec<u8>,
    json_id_at: usize,
}

impl OfferTemplate {
    /// Encoded size of the bare `Offer` message in `encoding`.
    pub fn encoded_len(&self, encoding: Encoding) -> usize {
        match encoding {
            Encoding::Protobuf => self.pb.len(),
            Encoding::Json => self.json.len(),
        }
    }
}

/// The seeded generator and its templates.
#[derive(Debug, Clone)]
pub struct OfferGenerator {
    config: GeneratorConfig,
    framework_id: FrameworkId,
    id_prefix: String,
    templates: Vec<OfferTemplate>,
}

impl OfferGenerator {
    /// Builds (and encodes) one template per agent.
    pub fn new(config: GeneratorConfig) -> Self {
        let mut rng = SplitMix64::new(config.seed);
        let master = rng.uuid().to_string();
        let framework_id = FrameworkId::new(format!("{master}-0000"));
        let id_prefix = format!("{master}-O");
        let placeholder = format!("{id_prefix}{}", "0".repeat(ID_DIGITS));
        let templates = (0..config.agents.max(1))
            .map(|agent| {
                let offer = build_offer(&config, &mut rng, agent, &master, &framework_id);
                let offer = Offer {
                    id: OfferId::new(placeholder.clone()),
                    ..offer
                };
                let pb = offer.encode_to_vec();
                let json = Encoding::Json.encode(&offer);
                let pb_id_at = find(&pb, placeholder.as_bytes()).unwrap_or(0) + id_prefix.len();
                let json_id_at = find(&json, placeholder.as_bytes()).unwrap_or(0) + id_prefix.len();
                OfferTemplate {
                    agent,
                    resources: ResourceSummary::of(&offer.resources),
                    offer,
                    pb,
                    pb_id_at,
                    json,
                    json_id_at,
                }
            })
            .collect();
        OfferGenerator {
            config,
            framework_id,
            id_prefix,
            templates,
        }
    }

    /// The configuration this generator was built from.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The framework id the source assigns.
    pub fn framework_id(&self) -> &FrameworkId {
        &self.framework_id
    }

    /// One template per agent.
    pub fn templates(&self) -> &[OfferTemplate] {
        &self.templates
    }

    /// The template used for offer number `seq` (agents in turn).
    pub fn template_for(&self, seq: u64) -> usize {
        (seq % self.templates.len() as u64) as usize
    }

    /// The id of offer number `seq`.
    pub fn offer_id(&self, seq: u64) -> OfferId {
        OfferId::new(format!(
            "{}{:0width$}",
            self.id_prefix,
            seq,
            width = ID_DIGITS
        ))
    }

    /// The sequence number inside an offer id of ours, if it is one.
    pub fn parse_offer_id(&self, id: &str) -> Option<u64> {
        let digits = id.strip_prefix(self.id_prefix.as_str())?;
        if digits.len() != ID_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// Offer number `seq` from template `template`, as a message (slow path, for tests and
    /// benchmarks).
    pub fn offer(&self, template: usize, seq: u64) -> Option<Offer> {
        let t = self.templates.get(template)?;
        Some(Offer {
            id: self.offer_id(seq),
            ..t.offer.clone()
        })
    }

    /// Appends one RecordIO-framed OFFERS event holding `offers` (`(template, seq)` pairs)
    /// to `out`: template bytes copied, ids patched.
    pub fn encode_offers_event(
        &self,
        encoding: Encoding,
        offers: &[(usize, u64)],
        out: &mut Vec<u8>,
    ) {
        let picked = || {
            offers
                .iter()
                .filter_map(|&(t, s)| Some((self.templates.get(t)?, s)))
        };
        match encoding {
            Encoding::Protobuf => {
                use prost::encoding::{encode_varint, encoded_len_varint};
                let inner: usize = picked()
                    .map(|(t, _)| 1 + encoded_len_varint(t.pb.len() as u64) + t.pb.len())
                    .sum();
                let event_len = 2 + 1 + encoded_len_varint(inner as u64) + inner;
                write_decimal(event_len as u64, out);
                out.push(b'\n');
                // Event.type = OFFERS (field 1, varint 2); Event.offers (field 3, bytes).
                out.extend_from_slice(&[0x08, 0x02, 0x1a]);
                encode_varint(inner as u64, out);
                for (t, seq) in picked() {
                    // Offers.offers (field 1, bytes).
                    out.push(0x0a);
                    encode_varint(t.pb.len() as u64, out);
                    let start = out.len();
                    out.extend_from_slice(&t.pb);
                    patch_digits(out, start + t.pb_id_at, seq);
                }
            }
            Encoding::Json => {
                const HEAD: &[u8] = br#"{"type":"OFFERS","offers":{"offers":["#;
                const TAIL: &[u8] = b"]}}";
                let count = picked().count();
                let body: usize = picked().map(|(t, _)| t.json.len()).sum();
                let event_len = HEAD.len() + body + count.saturating_sub(1) + TAIL.len();
                write_decimal(event_len as u64, out);
                out.push(b'\n');
                out.extend_from_slice(HEAD);
                for (i, (t, seq)) in picked().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let start = out.len();
                    out.extend_from_slice(&t.json);
                    patch_digits(out, start + t.json_id_at, seq);
                }
                out.extend_from_slice(TAIL);
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn patch_digits(out: &mut [u8], at: usize, mut seq: u64) {
    if let Some(slot) = out.get_mut(at..at + ID_DIGITS) {
        for b in slot.iter_mut().rev() {
            *b = b'0' + (seq % 10) as u8;
            seq /= 10;
        }
    }
}

/// Appends `n` in ASCII decimal without allocating.
pub fn write_decimal(mut n: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn build_offer(
    config: &GeneratorConfig,
    rng: &mut SplitMix64,
    agent: usize,
    master: &str,
    framework_id: &FrameworkId,
) -> Offer {
    let role = if config.roles.is_empty() {
        "*".to_string()
    } else {
        config.roles[rng.below(config.roles.len() as u64) as usize].clone()
    };
    let alloc = Some(resource::AllocationInfo {
        role: Some(role.clone()),
    });
    #[allow(deprecated)]
    let with_alloc = |mut r: Resource| {
        // A real 1.11 master still fills the deprecated `role` next to `allocation_info`.
        r.role = Some("*".into());
        r.allocation_info = alloc.clone();
        r
    };
    let (cpus, mem) = config.uniform.unwrap_or_else(|| {
        let cpus = rng.pick(&[4.0, 8.0, 16.0, 32.0]);
        (cpus, cpus * rng.pick(&[2048.0, 4096.0]))
    });
    let disk = 100_000.0 + rng.below(400) as f64 * 1000.0;
    let port_base = 31_000 + rng.below(10) * 100;
    let mut resources = vec![
        with_alloc(Resource::ranges("ports", &[(port_base, port_base + 999)])),
        with_alloc(Resource::scalar("cpus", cpus)),
        with_alloc(Resource::scalar("mem", mem)),
        with_alloc(Resource::scalar("disk", disk)),
    ];
    let rack = rng.below(40);
    let mut attributes = vec![
        text_attribute("rack", &format!("rack-{rack:02}")),
        text_attribute("zone", &format!("zone-{}", rack % 3)),
        text_attribute("kernel", "5.15.0-generic"),
    ];
    if config.shape == OfferShape::Fat {
        for i in 0..16 {
            resources.push(with_alloc(Resource::scalar(
                format!("vendor.example.com/custom-resource-{i:02}"),
                (1 + rng.below(64)) as f64,
            )));
        }
        for i in 0..7 {
            attributes.push(text_attribute(
                &format!("attribute-{i:02}"),
                &format!(
                    "value-{:016x}-{:016x}-{:016x}",
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64()
                ),
            ));
        }
    }
    let hostname = format!("agent-{agent:05}.bench.example.org");
    Offer {
        id: OfferId::default(),
        framework_id: framework_id.clone(),
        agent_id: AgentId::new(format!("{master}-S{agent}")),
        hostname: hostname.clone(),
        url: Some(Url {
            scheme: "http".into(),
            address: crate::proto::Address {
                hostname: Some(hostname),
                ip: Some(format!(
                    "10.{}.{}.{}",
                    agent >> 16 & 255,
                    agent >> 8 & 255,
                    agent & 255
                )),
                port: 5051,
            },
            path: Some("/slave(1)".into()),
            ..Default::default()
        }),
        resources,
        attributes,
        allocation_info: alloc,
        ..Default::default()
    }
}

fn text_attribute(name: &str, text: &str) -> Attribute {
    Attribute {
        name: name.into(),
        r#type: value::Type::Text as i32,
        text: Some(value::Text { value: text.into() }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
