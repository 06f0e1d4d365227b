//! Data files a workload names: amounts CSVs and payment traces.

use super::*;

/// Loads a CSV of amounts (column `amount_msat` or `amount_sat`): see [`parse_amounts`].
pub fn load_amounts(path: &Path) -> Result<Vec<Msat>, InputError> {
    parse_amounts(&read_input_text(path, "amounts CSV")?, path)
}

/// Parses a CSV of amounts (column `amount_msat` or `amount_sat`), each positive and at
/// most 21 million BTC. `path` names the file in errors.
pub fn parse_amounts(text: &str, path: &Path) -> Result<Vec<Msat>, InputError> {
    let text = strip_bom(text);
    require_nonempty(text, path, "amounts CSV")?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| InputError::new(path, e.to_string()).at_line(1))?
        .clone();
    let (col, scale, name) = if let Some(i) = headers.iter().position(|h| h == "amount_msat") {
        (i, 1u64, "amount_msat")
    } else if let Some(i) = headers.iter().position(|h| h == "amount_sat") {
        (i, 1000u64, "amount_sat")
    } else {
        return Err(
            InputError::new(path, "expected a column `amount_msat` or `amount_sat`").at_line(1),
        );
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| InputError::new(path, e.to_string()).at_line(line))?;
        let v: u64 = rec
            .get(col)
            .unwrap_or("")
            .parse()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| {
                InputError::new(path, "expected a positive whole number")
                    .at_line(line)
                    .field(name)
            })?;
        let msat = v
            .checked_mul(scale)
            .filter(|m| *m <= MAX_MSAT)
            .ok_or_else(|| {
                InputError::new(
                    path,
                    format!("{v} is more than 21 million BTC ({MAX_MSAT} msat)"),
                )
                .at_line(line)
                .field(name)
            })?;
        out.push(Msat(msat));
    }
    if out.is_empty() {
        return Err(InputError::new(path, "no amounts in file").at_line(1));
    }
    Ok(out)
}

/// Loads a payment trace CSV: see [`parse_trace`].
pub fn load_trace(path: &Path, topo: &Topology) -> Result<Vec<Arrival>, InputError> {
    parse_trace(&read_input_text(path, "trace")?, path, topo)
}

/// Parses a payment trace CSV: `time_s,sender,receiver,amount_msat` (senders and receivers
/// by node index or node name). Rows must be in non-decreasing time order, times at most
/// 10^9 s, amounts positive and at most 21 million BTC. `path` names the file in errors.
pub fn parse_trace(text: &str, path: &Path, topo: &Topology) -> Result<Vec<Arrival>, InputError> {
    let text = strip_bom(text);
    require_nonempty(text, path, "trace")?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| InputError::new(path, e.to_string()).at_line(1))?
        .clone();
    let want = ["time_s", "sender", "receiver", "amount_msat"];
    let mut cols = [0usize; 4];
    for (k, w) in want.iter().enumerate() {
        cols[k] = headers.iter().position(|h| h == *w).ok_or_else(|| {
            InputError::new(
                path,
                format!("expected header `time_s,sender,receiver,amount_msat` (missing `{w}`)"),
            )
            .at_line(1)
        })?;
    }
    let mut by_name: Vec<(&str, u32)> = (0..topo.node_count())
        .map(|i| (topo.node(NodeId(i as u32)).name.as_str(), i as u32))
        .collect();
    by_name.sort();
    let node = |s: &str, line: usize, field: &str| -> Result<NodeId, InputError> {
        if let Ok(i) = by_name.binary_search_by(|(n, _)| (*n).cmp(s)) {
            return Ok(NodeId(by_name[i].1));
        }
        match s.parse::<u32>() {
            Ok(i) if (i as usize) < topo.node_count() => Ok(NodeId(i)),
            _ => Err(InputError::new(
                path,
                format!(
                    "unknown node `{s}` (expected a node name or an index below {})",
                    topo.node_count()
                ),
            )
            .at_line(line)
            .field(field)),
        }
    };
    let mut out: Vec<Arrival> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| InputError::new(path, e.to_string()).at_line(line))?;
        let get = |k: usize| rec.get(cols[k]).unwrap_or("");
        let t: f64 = get(0)
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite() && *t >= 0.0 && *t <= limits::MAX_TIME_S)
            .ok_or_else(|| {
                InputError::new(
                    path,
                    format!(
                        "expected a number of seconds between 0 and {:.0e}",
                        limits::MAX_TIME_S
                    ),
                )
                .at_line(line)
                .field("time_s")
            })?;
        let s = node(get(1), line, "sender")?;
        let r = node(get(2), line, "receiver")?;
        if s == r {
            return Err(
                InputError::new(path, "sender and receiver are the same node")
                    .at_line(line)
                    .field("receiver"),
            );
        }
        let a: u64 = get(3)
            .parse()
            .ok()
            .filter(|a| *a > 0 && *a <= MAX_MSAT)
            .ok_or_else(|| {
            InputError::new(path, format!("expected a positive whole number of msat, at most 21 million BTC ({MAX_MSAT} msat)"))
                .at_line(line)
                .field("amount_msat")
        })?;
        let time = SimTime(SimDuration::from_secs_f64(t).micros());
        if out.last().is_some_and(|l| l.time > time) {
            return Err(
                InputError::new(path, "rows must be in non-decreasing time order")
                    .at_line(line)
                    .field("time_s"),
            );
        }
        out.push(Arrival {
            time,
            sender: s,
            receiver: r,
            amount: Msat(a),
        });
    }
    if out.is_empty() {
        return Err(InputError::new(path, "the trace has no payments").at_line(1));
    }
    Ok(out)
}
