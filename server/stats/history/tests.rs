//! History tests against a plain list of every sample recorded.

use super::*;

/// A Monday-ish week boundary, so tier and chunk boundaries are easy to read.
const T0: i64 = 1_700_000_000 - 1_700_000_000 % (7 * 86_400);
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn fp(n: u64) -> Fingerprint {
    Fingerprint(n)
}

fn sample(calls: u64, total_ms: f64, rows: u64, hit: u64, read: u64, temp: u64) -> IntervalSample {
    IntervalSample {
        calls,
        total_ms,
        rows,
        shared_blks_hit: hit,
        shared_blks_read: read,
        temp_blks_written: temp,
    }
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every sample as recorded, with its stamp: the truth windows must match.
#[derive(Default)]
struct Reference {
    samples: Vec<(i64, Fingerprint, Sums)>,
}

impl Reference {
    fn record(
        &mut self,
        history: &mut History,
        at: i64,
        interval: i64,
        samples: &[(Fingerprint, IntervalSample)],
    ) {
        history.record_poll(at, interval as f64, samples);
        for (fingerprint, sample) in samples {
            self.samples
                .push((at - interval, *fingerprint, Sums::from_sample(sample)));
        }
    }

    fn window(&self, fingerprint: Fingerprint, from: i64, to: i64) -> IntervalSample {
        let mut total = Sums::default();
        for (_, _, sums) in self
            .samples
            .iter()
            .filter(|(stamp, f, _)| *f == fingerprint && (from..to).contains(stamp))
        {
            total.add(sums);
        }
        total.to_sample()
    }
}

fn random_sample(rng: &mut Rng) -> IntervalSample {
    let calls = 1 + rng.below(300);
    sample(
        calls,
        (calls * (1 + rng.below(50_000))) as f64 / 1000.0,
        calls * rng.below(100),
        calls * rng.below(500),
        rng.below(40),
        if rng.below(20) == 0 {
            rng.below(1000)
        } else {
            0
        },
    )
}

#[test]
fn a_poll_is_stamped_at_the_start_of_its_interval() {
    let mut history = History::new();
    let one = sample(3, 1.5, 3, 10, 1, 0);
    history.record_poll(T0 + 10, 10.0, &[(fp(1), one)]);
    assert_eq!(history.window(fp(1), T0, T0 + 1), one);
    assert_eq!(
        history.window(fp(1), T0 + 1, T0 + 100),
        IntervalSample::default()
    );
    assert_eq!(history.first_seen(fp(1)), Some(T0));
    assert_eq!(history.last_seen(fp(1)), Some(T0));
    assert_eq!(history.first_seen(fp(2)), None);
    assert_eq!(history.fingerprints().collect::<Vec<_>>(), vec![fp(1)]);
}

#[test]
fn sums_across_tier_boundaries_are_exact_and_counted_once() {
    let mut history = History::new();
    let mut reference = Reference::default();
    let mut rng = Rng(7);
    // Three days of 10-second polls, one busy statement.
    let end = T0 + 3 * DAY;
    let mut at = T0 + 10;
    while at <= end {
        let polled = [(fp(1), random_sample(&mut rng))];
        reference.record(&mut history, at, 10, &polled);
        at += 10;
    }
    let bounds = history.boundaries();
    assert_eq!(bounds.fine_from, end - HOUR);
    assert_eq!(bounds.medium_from, end - DAY);
    assert!(bounds.fine_from - bounds.medium_from >= 23 * HOUR);

    // Whole history, and ranges that straddle one or both boundaries, each
    // end aligned to the resolution of the tier it falls in.
    let ranges = [
        (T0, end + 10),
        (bounds.medium_from - 4 * HOUR, bounds.fine_from + 25 * 60),
        (bounds.medium_from - 2 * HOUR, bounds.medium_from + 30 * 60),
        (bounds.fine_from - 20 * 60, bounds.fine_from + 70),
        (T0 + 2 * HOUR, end - 10),
        (bounds.fine_from + 10, bounds.fine_from + 20),
    ];
    for (from, to) in ranges {
        let got = history.window(fp(1), from, to);
        let want = reference.window(fp(1), from, to);
        assert_eq!(got, want, "window [{from}, {to})");
    }
    // Adjacent windows add up to the window over their union.
    let mut pieces = IntervalSample::default();
    let cuts = [T0, bounds.medium_from, bounds.fine_from, end + 10];
    for pair in cuts.windows(2) {
        pieces.add(&history.window(fp(1), pair[0], pair[1]));
    }
    assert_eq!(pieces, history.window(fp(1), T0, end + 10));
    assert_eq!(pieces, reference.window(fp(1), T0, end + 10));
}

#[test]
fn downsampling_makes_each_bucket_the_exact_sum_of_its_samples() {
    let mut history = History::new();
    let mut reference = Reference::default();
    let mut rng = Rng(11);
    let end = T0 + 30 * HOUR;
    let mut at = T0 + 10;
    while at <= end {
        // Two statements, one with gaps; an irregular interval now and then.
        let mut polled = vec![(fp(1), random_sample(&mut rng))];
        if rng.below(3) == 0 {
            polled.push((fp(2), random_sample(&mut rng)));
        }
        let interval = if rng.below(50) == 0 { 7 } else { 10 };
        reference.record(&mut history, at, interval, &polled);
        at += interval;
    }
    let bounds = history.boundaries();
    for statement in [fp(1), fp(2)] {
        // Coarse buckets, then medium buckets, then single seconds.
        let mut from = T0;
        while from < bounds.medium_from {
            let to = from + COARSE_BUCKET_SECONDS;
            assert_eq!(
                history.window(statement, from, to),
                reference.window(statement, from, to)
            );
            from = to;
        }
        while from < bounds.fine_from {
            let to = from + MEDIUM_BUCKET_SECONDS;
            assert_eq!(
                history.window(statement, from, to),
                reference.window(statement, from, to)
            );
            from = to;
        }
        while from <= end {
            assert_eq!(
                history.window(statement, from, from + 60),
                reference.window(statement, from, from + 60)
            );
            from += 60;
        }
        for from in end - 300..=end {
            assert_eq!(
                history.window(statement, from, from + 1),
                reference.window(statement, from, from + 1)
            );
        }
    }
    // Mid-bucket windows in a coarse tier count buckets by their start.
    let half = COARSE_BUCKET_SECONDS / 2;
    assert_eq!(
        history.window(fp(1), T0 + half, T0 + COARSE_BUCKET_SECONDS + half),
        reference.window(
            fp(1),
            T0 + COARSE_BUCKET_SECONDS,
            T0 + 2 * COARSE_BUCKET_SECONDS
        )
    );
}

#[test]
fn pruning_drops_old_data_and_forgotten_statements() {
    let mut history = History::new();
    let busy = sample(1, 1.0, 1, 1, 0, 0);
    for at in (T0 + 10..=T0 + HOUR).step_by(10) {
        history.record_poll(at, 10.0, &[(fp(1), busy), (fp(2), busy)]);
    }
    // Ten days later only the second statement runs again.
    let later = T0 + 10 * DAY;
    for at in (later + 10..=later + HOUR).step_by(10) {
        history.record_poll(at, 10.0, &[(fp(2), busy)]);
    }
    assert_eq!(history.window(fp(1), T0, T0 + HOUR).calls, 360);
    assert_eq!(history.window(fp(2), T0, later + HOUR).calls, 720);

    history.prune(T0 + 15 * DAY);
    assert_eq!(history.fingerprints().collect::<Vec<_>>(), vec![fp(2)]);
    assert_eq!(
        history.window(fp(1), T0, T0 + 20 * DAY),
        IntervalSample::default()
    );
    // Day 0 is past the retention; day 10 is not.
    assert_eq!(history.window(fp(2), T0, T0 + DAY).calls, 0);
    assert_eq!(history.window(fp(2), later, later + HOUR).calls, 360);
    assert_eq!(history.first_seen(fp(2)), Some(T0));

    history.prune(T0 + 30 * DAY);
    assert!(history.is_empty());
    assert!(history.dropped_since(0).unwrap().contains(&fp(1)));
}

#[test]
fn recording_alone_keeps_memory_bounded() {
    let mut history = History::new();
    let busy = sample(1, 1.0, 1, 1, 0, 0);
    history.record_poll(T0 + 10, 10.0, &[(fp(1), busy)]);
    // A poll 20 days later ages everything of the first statement out.
    history.record_poll(T0 + 20 * DAY, 10.0, &[(fp(2), busy)]);
    assert_eq!(history.fingerprints().collect::<Vec<_>>(), vec![fp(2)]);
}

#[test]
fn sparse_statements_cost_only_their_records() {
    let mut sparse = History::new();
    let mut dense = History::new();
    let one = sample(2, 3.0, 2, 8, 0, 0);
    let mut polls = 0;
    for at in (T0 + 10..=T0 + 2 * DAY).step_by(10) {
        polls += 1;
        dense.record_poll(at, 10.0, &[(fp(1), one)]);
        // Active once an hour.
        let polled: &[(Fingerprint, IntervalSample)] = if polls % 360 == 0 {
            &[(fp(1), one)]
        } else {
            &[]
        };
        sparse.record_poll(at, 10.0, polled);
    }
    assert_eq!(sparse.window(fp(1), T0, T0 + 3 * DAY).calls, 2 * 48);
    let (sparse_bytes, dense_bytes) = (
        sparse.statements[&fp(1)].heap_bytes(),
        dense.statements[&fp(1)].heap_bytes(),
    );
    assert!(
        sparse_bytes * 4 < dense_bytes,
        "sparse {sparse_bytes} bytes vs dense {dense_bytes}"
    );
    // Hours without a call are None in a series of hourly buckets over the
    // fine tier's hour: exactly one bucket of six has the sample.
    let bounds = sparse.boundaries();
    let series = sparse.series(fp(1), bounds.fine_from, bounds.fine_from + HOUR, 6);
    assert_eq!(series.iter().filter(|part| part.is_some()).count(), 1);
}

#[test]
fn series_buckets_are_evenly_spaced_from_the_start() {
    let mut history = History::new();
    // One poll every 10 s for 10 minutes, calls = poll number.
    for n in 1..=60u64 {
        history.record_poll(
            T0 + 10 * n as i64,
            10.0,
            &[(fp(1), sample(n, 0.0, 0, 0, 0, 0))],
        );
    }
    // Stamps are T0, T0+10, …, T0+590 with calls 1..=60: six buckets of 100 s.
    let series = history.series(fp(1), T0, T0 + 600, 6);
    let calls: Vec<u64> = series.iter().map(|part| part.unwrap().calls).collect();
    let expected: Vec<u64> = (0..6u64)
        .map(|b| (b * 10 + 1..=b * 10 + 10).sum())
        .collect();
    assert_eq!(calls, expected);

    // Uneven: 100 s in 3 parts; stamp offsets 0..=90 land at floor(off*3/100).
    let series = history.series(fp(1), T0, T0 + 100, 3);
    let calls: Vec<u64> = series.iter().map(|part| part.unwrap().calls).collect();
    // offsets 0,10,20,30 → 0; 40,50,60 → 1; 70,80,90 → 2
    assert_eq!(calls, vec![1 + 2 + 3 + 4, 5 + 6 + 7, 8 + 9 + 10]);

    // Starting before the data leaves leading None; past it, trailing None.
    let series = history.series(fp(1), T0 - 300, T0 + 900, 4);
    assert_eq!(
        series.iter().map(Option::is_some).collect::<Vec<_>>(),
        vec![false, true, true, false]
    );
    let total: u64 = series.iter().flatten().map(|part| part.calls).sum();
    assert_eq!(total, (1..=60).sum::<u64>());

    assert!(history.series(fp(1), T0, T0 + 600, 0).is_empty());
    assert_eq!(history.series(fp(1), T0 + 600, T0, 3), vec![None; 3]);
    assert_eq!(history.series(fp(9), T0, T0 + 600, 2), vec![None; 2]);
    assert_eq!(
        history.series(fp(1), T0, T0 + 600, usize::MAX).len(),
        MAX_SERIES_BUCKETS
    );
}

#[test]
fn time_going_backwards_keeps_order_and_totals() {
    let mut history = History::new();
    let one = sample(1, 1.0, 0, 0, 0, 0);
    history.record_poll(T0 + 1000, 10.0, &[(fp(1), one)]);
    history.record_poll(T0 + 500, 10.0, &[(fp(1), one)]);
    history.record_poll(T0 + 1010, 10.0, &[(fp(1), one)]);
    assert_eq!(history.window(fp(1), T0, T0 + 2000).calls, 3);
    // The late poll is stamped at the newest stamp, not in the past.
    assert_eq!(history.window(fp(1), T0 + 990, T0 + 991).calls, 2);
    assert_eq!(history.last_seen(fp(1)), Some(T0 + 1000));
}

#[test]
fn odd_input_never_panics() {
    let mut history = History::new();
    let huge = sample(u64::MAX, f64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX);
    let nan = sample(1, f64::NAN, 0, 0, 0, 0);
    let negative = sample(1, -5.0, 0, 0, 0, 0);
    history.record_poll(T0 + 10, f64::NAN, &[(fp(1), huge), (fp(1), huge)]);
    history.record_poll(T0 + 20, -3.0, &[(fp(1), nan), (fp(2), negative)]);
    history.record_poll(T0 + 30, f64::INFINITY, &[(fp(1), huge)]);
    history.record_poll(-1, 10.0, &[(fp(3), huge)]);
    history.record_poll(i64::MAX, 10.0, &[(fp(3), huge)]);
    history.record_poll(i64::MIN, 10.0, &[(fp(3), huge)]);
    history.record_poll(T0 + 40, 10.0, &[(fp(4), IntervalSample::default())]);
    history.prune(i64::MIN);
    history.prune(-1);
    assert_eq!(history.first_seen(fp(3)), None);
    assert_eq!(
        history.first_seen(fp(4)),
        None,
        "an all-zero sample is not stored"
    );
    let total = history.window(fp(1), i64::MIN, i64::MAX);
    assert_eq!(total.calls, u64::MAX);
    assert!(total.total_ms.is_finite());
    assert_eq!(history.window(fp(2), T0, T0 + 100).total_ms, 0.0);
    assert_eq!(history.window(fp(1), T0 + 100, T0).calls, 0);
    let series = history.series(fp(1), i64::MIN, i64::MAX, 7);
    assert_eq!(series.len(), 7);
    let _ = history.series(fp(1), i64::MAX - 1, i64::MAX, 1000);
    // The latest possible time still works, and everything ages out after it.
    history.record_poll(
        i64::from(u32::MAX),
        10.0,
        &[(fp(5), sample(1, 1.0, 0, 0, 0, 0))],
    );
    assert_eq!(history.fingerprints().collect::<Vec<_>>(), vec![fp(5)]);
    assert_eq!(history.window(fp(5), 0, i64::MAX).calls, 1);
}

#[test]
fn a_busy_statement_stays_compact_for_fourteen_days() {
    let mut history = History::new();
    let mut rng = Rng(3);
    let mut at = T0 + 10;
    while at <= T0 + 14 * DAY {
        history.record_poll(at, 10.0, &[(fp(1), random_sample(&mut rng))]);
        at += 10;
    }
    let statement = &history.statements[&fp(1)];
    // Full tiers: ~390 polls, ~140 ten-minute and ~160 two-hour buckets.
    // With this profile's large numbers (up to 300 calls and 15 s of
    // execution per poll) records take 11–22 bytes; about 12 KB in all.
    let records_bytes = statement.heap_bytes();
    assert!(
        records_bytes < 13_000,
        "{records_bytes} bytes for one statement"
    );
    assert!(!statement.coarse.is_empty() && !statement.medium.is_empty());
    assert!(statement.fine.encoded_len() > 0);
}
