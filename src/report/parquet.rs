//! Parquet copies of the result tables for pandas and polars users (cargo feature
//! `parquet`): `summary.parquet`, `timeseries.parquet` and `runs/<run>/payments.parquet`,
//! with the same columns as the CSV files but typed (integers stay integers, flags are
//! booleans, an empty CSV field is a null).
//!
//! Behind a feature because the arrow and parquet crates roughly double a clean build on
//! two cores. The CSV files stay the reference format; these are written beside them.
//!
//! This module must not run simulations; it reads only what the run folders hold.

use super::{Context, Result};
use crate::output::StoredRun;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch when converting `payments.csv` (bounds memory on big runs).
const BATCH_ROWS: usize = 65_536;

fn props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .build()
}

/// Writes `batches` (all with `schema`) to `path` atomically.
fn write(
    path: &Path,
    schema: Arc<Schema>,
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
) -> Result<()> {
    let tmp = crate::output::temp_path(path, None);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = ArrowWriter::try_new(file, schema, Some(props()))?;
    for b in batches {
        w.write(&b?)?;
    }
    w.close()?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<(Arc<Schema>, RecordBatch)> {
    let schema = Arc::new(Schema::new(fields));
    let b = RecordBatch::try_new(schema.clone(), columns)?;
    Ok((schema, b))
}

/// `summary.parquet`: one row per run, like `summary.csv` (sweep values as text, metrics as
/// doubles, NaN for a metric a run lacks).
pub fn summary_parquet(
    path: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
) -> Result<()> {
    let names: Vec<String> = runs
        .first()
        .map(|r| r.metrics.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut fields = vec![
        Field::new("run", DataType::Utf8, false),
        Field::new("point", DataType::UInt64, false),
    ];
    fields.extend(
        sweep
            .iter()
            .map(|(k, _)| Field::new(k, DataType::Utf8, true)),
    );
    fields.extend([
        Field::new("strategy", DataType::Utf8, false),
        Field::new("replication", DataType::UInt32, false),
        Field::new("seed", DataType::UInt64, false),
    ]);
    fields.extend(names.iter().map(|n| Field::new(n, DataType::Float64, true)));
    let text = |f: &dyn Fn(&StoredRun) -> String| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in runs {
            b.append_value(f(r));
        }
        Arc::new(b.finish())
    };
    let mut cols: Vec<ArrayRef> = vec![text(&|r| r.name.clone()), {
        let mut b = UInt64Builder::new();
        runs.iter().for_each(|r| b.append_value(r.point as u64));
        Arc::new(b.finish())
    }];
    for (_, vals) in sweep {
        let mut b = StringBuilder::new();
        for r in runs {
            b.append_option(vals.get(r.point));
        }
        cols.push(Arc::new(b.finish()));
    }
    cols.push(text(&|r| r.strategy.clone()));
    let mut reps = UInt32Builder::new();
    let mut seeds = UInt64Builder::new();
    for r in runs {
        reps.append_value(r.replication);
        seeds.append_value(r.seed);
    }
    cols.push(Arc::new(reps.finish()));
    cols.push(Arc::new(seeds.finish()));
    for n in &names {
        let mut b = Float64Builder::new();
        for r in runs {
            b.append_value(r.metric(n));
        }
        cols.push(Arc::new(b.finish()));
    }
    let (schema, b) = batch(fields, cols)?;
    write(path, schema, [Ok(b)])
}

/// `timeseries.parquet`: one row per run and window, like `timeseries.csv` (ratios null
/// for a window without attempts).
pub fn timeseries_parquet(path: &Path, runs: &[StoredRun]) -> Result<()> {
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    let fields = vec![
        f("run", DataType::Utf8, false),
        f("point", DataType::UInt64, false),
        f("strategy", DataType::Utf8, false),
        f("replication", DataType::UInt32, false),
        f("t_s", DataType::Float64, false),
        f("attempted", DataType::UInt64, false),
        f("succeeded", DataType::UInt64, false),
        f("success_ratio", DataType::Float64, true),
        f("volume_success_ratio", DataType::Float64, true),
        f("depleted_share", DataType::Float64, false),
        f("mean_abs_skew", DataType::Float64, false),
        f("node_gini", DataType::Float64, false),
        f("rebalance_fees_sat", DataType::Float64, false),
        f("pending_topup_sat", DataType::Float64, false),
    ];
    let (mut run, mut point, mut strategy, mut rep) = (
        StringBuilder::new(),
        UInt64Builder::new(),
        StringBuilder::new(),
        UInt32Builder::new(),
    );
    let (mut t, mut att, mut ok) = (
        Float64Builder::new(),
        UInt64Builder::new(),
        UInt64Builder::new(),
    );
    let mut floats: Vec<Float64Builder> = (0..7).map(|_| Float64Builder::new()).collect();
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    for r in runs {
        for w in &r.windows {
            run.append_value(&r.name);
            point.append_value(r.point as u64);
            strategy.append_value(&r.strategy);
            rep.append_value(r.replication);
            t.append_value(w.t_s);
            att.append_value(w.attempted);
            ok.append_value(w.succeeded);
            floats[0].append_option(ratio(w.succeeded, w.attempted));
            floats[1].append_option(ratio(w.volume_succeeded_msat, w.volume_attempted_msat));
            floats[2].append_value(w.depleted_share);
            floats[3].append_value(w.mean_abs_skew);
            floats[4].append_value(w.node_gini);
            floats[5].append_value(w.rebalance_fees_msat as f64 / 1000.0);
            floats[6].append_value(w.pending_topup_msat as f64 / 1000.0);
        }
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(run.finish()),
        Arc::new(point.finish()),
        Arc::new(strategy.finish()),
        Arc::new(rep.finish()),
        Arc::new(t.finish()),
        Arc::new(att.finish()),
        Arc::new(ok.finish()),
    ];
    cols.extend(floats.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    let (schema, b) = batch(fields, cols)?;
    write(path, schema, [Ok(b)])
}

/// A typed column being filled from CSV text.
enum Col {
    U64(UInt64Builder),
    U32(UInt32Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
}

impl Col {
    fn new(t: &DataType) -> Col {
        match t {
            DataType::UInt64 => Col::U64(UInt64Builder::new()),
            DataType::UInt32 => Col::U32(UInt32Builder::new()),
            DataType::Float64 => Col::F64(Float64Builder::new()),
            DataType::Boolean => Col::Bool(BooleanBuilder::new()),
            _ => Col::Str(StringBuilder::new()),
        }
    }

    /// Appends `v`; an empty field is a null where `nullable`. `None` if `v` does not parse.
    fn push(&mut self, v: &str, nullable: bool) -> Option<()> {
        if v.is_empty() && nullable {
            match self {
                Col::U64(b) => b.append_null(),
                Col::U32(b) => b.append_null(),
                Col::F64(b) => b.append_null(),
                Col::Bool(b) => b.append_null(),
                Col::Str(b) => b.append_null(),
            }
            return Some(());
        }
        match self {
            Col::U64(b) => b.append_value(v.parse().ok()?),
            Col::U32(b) => b.append_value(v.parse().ok()?),
            Col::F64(b) => b.append_value(v.parse().ok()?),
            Col::Bool(b) => b.append_value(match v {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return None,
            }),
            Col::Str(b) => b.append_value(v),
        }
        Some(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::U64(b) => Arc::new(b.finish()),
            Col::U32(b) => Arc::new(b.finish()),
            Col::F64(b) => Arc::new(b.finish()),
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Str(b) => Arc::new(b.finish()),
        }
    }
}

/// Columns of `payments.parquet`: name, type, nullable (as `PAYMENT_COLUMNS` in CSV).
const PAYMENT_FIELDS: [(&str, DataType, bool); 18] = [
    ("id", DataType::UInt64, false),
    ("kind", DataType::Utf8, false),
    ("created_s", DataType::Float64, false),
    ("finished_s", DataType::Float64, false),
    ("sender", DataType::UInt32, false),
    ("receiver", DataType::UInt32, false),
    ("amount_msat", DataType::UInt64, false),
    ("success", DataType::Boolean, false),
    ("reason", DataType::Utf8, true),
    ("failed_hop", DataType::UInt32, true),
    ("attempts", DataType::UInt32, false),
    ("hops", DataType::UInt32, false),
    ("fee_msat", DataType::UInt64, false),
    ("infeasible", DataType::Boolean, false),
    ("parts", DataType::UInt32, false),
    ("failed_parts", DataType::UInt32, false),
    ("complete_ms", DataType::UInt64, false),
    ("flow", DataType::Utf8, true),
];

/// Converts a run's `payments.csv` into `payments.parquet`, streamed in batches of 65,536
/// rows, written atomically.
///
/// Errors: unreadable CSV, a header without the expected columns, a field that does not
/// parse as its column's type (the message names file, line and column), or an I/O error.
pub fn payments_parquet(csv_path: &Path, parquet_path: &Path) -> Result<()> {
    let schema = Arc::new(Schema::new(
        PAYMENT_FIELDS
            .iter()
            .map(|(n, t, null)| Field::new(*n, t.clone(), *null))
            .collect::<Vec<_>>(),
    ));
    let mut rdr = csv::Reader::from_path(csv_path)
        .with_context(|| format!("cannot read {}", csv_path.display()))?;
    let header = rdr.headers()?.clone();
    let idx: Vec<usize> = PAYMENT_FIELDS
        .iter()
        .map(|(n, _, _)| {
            header
                .iter()
                .position(|h| h == *n)
                .with_context(|| format!("{}: column {n} missing", csv_path.display()))
        })
        .collect::<Result<_>>()?;
    let tmp = crate::output::temp_path(parquet_path, None);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props()))?;
    let mut cols: Vec<Col> = PAYMENT_FIELDS.iter().map(|(_, t, _)| Col::new(t)).collect();
    let mut n = 0usize;
    let flush = |cols: &mut Vec<Col>, w: &mut ArrowWriter<std::fs::File>| -> Result<()> {
        let arrays: Vec<ArrayRef> = cols.iter_mut().map(Col::finish).collect();
        w.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        Ok(())
    };
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let line = k + 2;
        for ((col, (name, _, nullable)), &i) in cols.iter_mut().zip(&PAYMENT_FIELDS).zip(&idx) {
            let v = rec.get(i).unwrap_or("");
            col.push(v, *nullable).with_context(|| {
                format!("{}:{line}: {name}: cannot parse {v:?}", csv_path.display())
            })?;
        }
        n += 1;
        if n.is_multiple_of(BATCH_ROWS) {
            flush(&mut cols, &mut w)?;
        }
    }
    if !n.is_multiple_of(BATCH_ROWS) || n == 0 {
        flush(&mut cols, &mut w)?;
    }
    w.close()?;
    std::fs::rename(&tmp, parquet_path).with_context(|| {
        format!(
            "cannot rename {} to {}",
            tmp.display(),
            parquet_path.display()
        )
    })?;
    Ok(())
}

/// Writes `summary.parquet`, `timeseries.parquet` and, for every run with a
/// `payments.csv`, `runs/<run>/payments.parquet` into `dir`.
pub fn write_parquet(
    dir: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
) -> Result<()> {
    summary_parquet(&dir.join("summary.parquet"), runs, sweep)?;
    timeseries_parquet(&dir.join("timeseries.parquet"), runs)?;
    for r in runs {
        let run_dir = dir.join("runs").join(&r.name);
        let csv = run_dir.join("payments.csv");
        if csv.is_file() {
            payments_parquet(&csv, &run_dir.join("payments.parquet"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::StoredWindow;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn rows(path: &Path) -> (i64, Vec<String>) {
        let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
        let md = r.metadata();
        let names = md
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        (md.file_metadata().num_rows(), names)
    }

    #[test]
    fn tables_and_payments_round_trip_their_shape() {
        let dir = tempfile::tempdir().unwrap();
        let w = StoredWindow {
            t_s: 60.0,
            attempted: 0,
            succeeded: 0,
            volume_attempted_msat: 0,
            volume_succeeded_msat: 0,
            depleted_share: 0.1,
            mean_abs_skew: 0.2,
            node_gini: 0.3,
            rebalance_fees_msat: 1500,
            pending_topup_msat: 0,
        };
        let runs: Vec<StoredRun> = (0..2)
            .map(|i| StoredRun {
                name: format!("p000-none-r{i:03}"),
                point: 0,
                strategy: "none".into(),
                replication: i,
                seed: 9,
                fingerprint: String::new(),
                probes: Vec::new(),
                metrics: vec![
                    ("success_ratio".into(), 0.5),
                    ("total_cost_sat".into(), 3.0),
                ],
                windows: vec![
                    w.clone(),
                    StoredWindow {
                        t_s: 120.0,
                        ..w.clone()
                    },
                ],
            })
            .collect();
        let sweep = vec![(
            "workload.one_way.share".to_string(),
            vec!["0.3".to_string()],
        )];
        let run_dir = dir.path().join("runs/p000-none-r000");
        std::fs::create_dir_all(&run_dir).unwrap();
        std::fs::write(
            run_dir.join("payments.csv"),
            "id,kind,created_s,finished_s,sender,receiver,amount_msat,success,reason,failed_hop,attempts,hops,fee_msat,infeasible,parts,failed_parts,complete_ms,flow\n\
             0,payment,0.1,0.5,1,2,1000,1,,,1,2,5,0,1,0,400,shop\n\
             1,payment,0.2,0.9,2,3,2000,0,no_balance,1,3,0,0,1,0,3,700,\n",
        )
        .unwrap();
        write_parquet(dir.path(), &runs, &sweep).unwrap();
        let (n, cols) = rows(&dir.path().join("summary.parquet"));
        assert_eq!(n, 2);
        assert_eq!(
            cols,
            [
                "run",
                "point",
                "workload.one_way.share",
                "strategy",
                "replication",
                "seed",
                "success_ratio",
                "total_cost_sat"
            ]
        );
        let (n, cols) = rows(&dir.path().join("timeseries.parquet"));
        assert_eq!((n, cols.len()), (4, 14));
        let (n, cols) = rows(&run_dir.join("payments.parquet"));
        assert_eq!((n, cols.len()), (2, 18));
        assert!(!dir
            .path()
            .join("runs/p000-none-r001/payments.parquet")
            .exists());
        // A field that does not parse is an error naming file, line and column.
        std::fs::write(run_dir.join("payments.csv"), "id,kind,created_s,finished_s,sender,receiver,amount_msat,success,reason,failed_hop,attempts,hops,fee_msat,infeasible,parts,failed_parts,complete_ms,flow\nx,payment,0.1,0.5,1,2,1000,1,,,1,2,5,0,1,0,400,\n").unwrap();
        let e = payments_parquet(&run_dir.join("payments.csv"), &run_dir.join("bad.parquet"))
            .unwrap_err();
        assert!(e.to_string().contains(":2: id"), "{e}");
    }
}
