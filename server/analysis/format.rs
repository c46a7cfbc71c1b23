//! Number formatting for messages, hovers and lenses.

/// `0.42 ms`, `12.3 ms`, `1.25 s`, `2.1 min`.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return "?".into();
    }
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1_000.0)
    } else {
        format!("{:.1} min", ms / 60_000.0)
    }
}

/// `950`, `1.2k`, `34k`, `1.2M`.
pub fn count(value: f64) -> String {
    if !value.is_finite() {
        return "?".into();
    }
    let magnitude = value.abs();
    if magnitude < 1_000.0 {
        if value.fract() == 0.0 || magnitude >= 100.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.1}")
        }
    } else if magnitude < 10_000.0 {
        format!("{:.1}k", value / 1_000.0)
    } else if magnitude < 1_000_000.0 {
        format!("{:.0}k", value / 1_000.0)
    } else {
        format!("{:.1}M", value / 1_000_000.0)
    }
}

/// `8.0 kB`, `1.5 MB`, `2.3 GB` from bytes.
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = value.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `▲18%`, `▼5%`, `±0%`.
pub fn trend(percent: f64) -> String {
    let rounded = percent.round();
    if rounded > 0.0 {
        format!("▲{rounded:.0}%")
    } else if rounded < 0.0 {
        format!("▼{:.0}%", -rounded)
    } else {
        "±0%".into()
    }
}

/// A sparkline of the values (None: no data, shown as a space).
pub fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let present: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let (Some(min), Some(max)) = (
        present.iter().copied().reduce(f64::min),
        present.iter().copied().reduce(f64::max),
    ) else {
        return String::new();
    };
    values
        .iter()
        .map(|value| match value {
            Some(v) if v.is_finite() => {
                let level = if max > min {
                    (v - min) / (max - min)
                } else {
                    0.5
                };
                BARS[((level * 7.0).round() as usize).min(7)]
            }
            _ => ' ',
        })
        .collect()
}

/// `1,234,567`.
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_naturally() {
        assert_eq!(duration_ms(0.123), "0.12 ms");
        assert_eq!(duration_ms(12.34), "12.3 ms");
        assert_eq!(duration_ms(1234.0), "1.23 s");
        assert_eq!(count(950.0), "950");
        assert_eq!(count(1234.0), "1.2k");
        assert_eq!(count(2.5), "2.5");
        assert_eq!(bytes(1536.0), "1.5 kB");
        assert_eq!(trend(17.6), "▲18%");
        assert_eq!(trend(-4.6), "▼5%");
        assert_eq!(grouped(1234567), "1,234,567");
    }

    #[test]
    fn sparkline_scales_between_min_and_max() {
        assert_eq!(sparkline(&[Some(1.0), Some(8.0), None, Some(4.5)]), "▁█ ▅");
        assert_eq!(sparkline(&[None, None]), "");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)]), "▅▅");
    }
}
