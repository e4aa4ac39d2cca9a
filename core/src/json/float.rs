//! Decimal text to `f64`, correctly rounded (round half to even), without the standard
//! library's parser: its Eisel-Lemire table of powers of five is 11 KB of data that gzip
//! cannot shrink, about 14 KB of the SDK's wasm (issue #24).
//!
//! Three paths, each exact:
//! - a significand up to 2^53 with a power of ten up to 22: one IEEE multiplication or
//!   division of two exact doubles (Clinger's fast path);
//! - up to 19 significant digits with a power of ten from -21 to 19: 128-bit integers;
//! - anything else: big integers (the digits times or divided by the power of ten), keeping 800
//!   significant digits, which is more than any halfway point between two doubles has (767),
//!   so a cut-off tail only ever counts as "a little more".
//!
//! The result is the same as `str::parse::<f64>` for every input (tested against it on random
//! and adversarial numbers).

/// Significant digits kept; the rest only mark the value as a little larger.
const MAX_DIGITS: usize = 800;

/// The bit length of 10^0 ..= 10^21.
const POW10_BITS: [u8; 22] = [
    1, 4, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, 44, 47, 50, 54, 57, 60, 64, 67, 70,
];

/// Exact doubles 10^0 ..= 10^22.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses JSON number text (already checked against the grammar). `None` when the value is
/// too large for an `f64`.
pub(crate) fn parse(text: &str) -> Option<f64> {
    parse_as(text, F64).map(f64::from_bits)
}

/// Parses JSON number text as an `f32`, rounded once (not through `f64`). `None` when the value
/// is too large for an `f32`.
pub(crate) fn parse_f32(text: &str) -> Option<f32> {
    parse_as(text, F32).map(|bits| f32::from_bits(bits as u32))
}

/// The bits of the value of `f` nearest `text`, with its sign.
fn parse_as(text: &str, f: Format) -> Option<u64> {
    // One pass without allocating: up to 19 significant digits in a u64 and the power of ten.
    // Longer numbers (rare) take the general path below.
    let bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let (mut d, mut count, mut exp10) = (0u64, 0u32, 0i64);
    let mut fraction = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'0'..=b'9' => {
                if d != 0 || b != b'0' {
                    if count == 19 {
                        return parse_general(text, f);
                    }
                    d = d * 10 + u64::from(b - b'0');
                    count += 1;
                }
                if fraction {
                    exp10 -= 1;
                }
            }
            b'.' => fraction = true,
            _ => break,
        }
        i += 1;
    }
    if i < bytes.len() {
        exp10 = exp10.saturating_add(exponent_of(&text[i + 1..]));
    }
    let sign = sign_bit(negative, f);
    if d == 0 {
        return Some(sign);
    }
    let value = if f.bits == 53 && d <= 1 << 53 && (-22..=22).contains(&exp10) {
        let p = POW10[exp10.unsigned_abs() as usize];
        Some(
            if exp10 >= 0 {
                d as f64 * p
            } else {
                d as f64 / p
            }
            .to_bits(),
        )
    } else if (-21..=19).contains(&exp10) {
        let d = u128::from(d);
        if exp10 >= 0 {
            assemble(d * 10u128.pow(exp10 as u32), 0, false, f)
        } else {
            let m = (-exp10) as u32;
            // q = d * 2^k / 10^m with 56 or 57 bits, exactly, and whether a remainder is left;
            // as d * 2^(k - m) / 5^m, a division by a u64 (in wasm a 128-bit division is a
            // slow library call, and so is 10^m's 128-bit multiplication).
            let k = 56 + i32::from(POW10_BITS[m as usize]) - bit_len128(d) as i32;
            if k >= m as i32 {
                let (q, r) = div_rem_small(d << (k - m as i32), 5u64.pow(m));
                assemble(q, -k, r != 0, f)
            } else {
                let p = 10u128.pow(m);
                let (x, p) = if k >= 0 { (d << k, p) } else { (d, p << -k) };
                assemble(x / p, -k, x % p != 0, f)
            }
        }
    } else {
        return parse_general(text, f);
    };
    value.map(|v| v | sign)
}

/// The sign bit of `f`, set when `negative`.
fn sign_bit(negative: bool, f: Format) -> u64 {
    u64::from(negative) << (f.width - 1)
}

/// Any number, through its digit string.
fn parse_general(text: &str, f: Format) -> Option<u64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], exponent_of(&text[i + 1..])),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The significant digits, without leading or trailing zeros.
    let all = int.bytes().chain(frac.bytes());
    let mut digits: Vec<u8> = all.skip_while(|&b| b == b'0').map(|b| b - b'0').collect();
    // value = 0.digits * 10^point
    let point = exponent.saturating_add(int.trim_start_matches('0').len() as i64);
    let point = if int.trim_start_matches('0').is_empty() {
        let zeros = frac.len() - frac.trim_start_matches('0').len();
        exponent.saturating_sub(zeros as i64)
    } else {
        point
    };
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let sign = sign_bit(negative, f);
    if digits.is_empty() || point < -330 {
        return Some(sign);
    }
    if point > 310 {
        return None;
    }
    let truncated = digits.len() > MAX_DIGITS;
    digits.truncate(MAX_DIGITS);
    // value = D * 10^exp10, D the digits as an integer.
    let exp10 = point - digits.len() as i64;
    big(&digits, exp10, truncated, f).map(|v| v | sign)
}

/// The exponent after `e`, saturated far beyond any double's range.
fn exponent_of(text: &str) -> i64 {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits.bytes().fold(0i64, |n, b| {
        n.saturating_mul(10)
            .saturating_add(i64::from(b - b'0'))
            .min(1 << 40)
    });
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// `y / g` and `y % g` for a divisor below 2^49, by long division in 15-bit steps of native
/// 64-bit divisions.
fn div_rem_small(y: u128, g: u64) -> (u128, u64) {
    let (mut q, mut r) = (0u128, 0u64);
    let mut i = bit_len128(y);
    while i > 0 {
        let take = i.min(15);
        i -= take;
        let current = (r << take) | ((y >> i) as u64 & ((1 << take) - 1));
        q = (q << take) | u128::from(current / g);
        r = current % g;
    }
    (q, r)
}

fn bit_len128(x: u128) -> u32 {
    128 - x.leading_zeros()
}

/// An IEEE binary format: significand bits (with the hidden one) and the normal exponents.
#[derive(Clone, Copy)]
pub(crate) struct Format {
    width: u32,
    bits: i32,
    min_exp: i32,
    max_exp: i32,
}

/// `f64`.
pub(crate) const F64: Format = Format {
    width: 64,
    bits: 53,
    min_exp: -1022,
    max_exp: 1023,
};

/// `f32`.
pub(crate) const F32: Format = Format {
    width: 32,
    bits: 24,
    min_exp: -126,
    max_exp: 127,
};

/// Rounds `q * 2^exp2` (plus a little more when `sticky`) to the nearest value of `f`, ties
/// to even; returns its bits. `q` must carry at least two bits below `f`'s precision whenever
/// `sticky` is set.
fn assemble(q: u128, exp2: i32, sticky: bool, f: Format) -> Option<u64> {
    if q == 0 {
        return Some(0);
    }
    let bits = bit_len128(q) as i32;
    // The exponent of the leading bit, and how many bits the format keeps from it.
    let lead = exp2 + bits - 1;
    let keep = if lead >= f.min_exp {
        f.bits
    } else {
        f.bits - (f.min_exp - lead)
    };
    let drop = bits - keep;
    let (mut m, mut e) = (q, exp2);
    if drop > 0 {
        if drop > 128 {
            return Some(0);
        }
        let rest = if drop == 128 {
            q
        } else {
            q & ((1u128 << drop) - 1)
        };
        let half = 1u128 << (drop - 1);
        m = if drop == 128 { 0 } else { q >> drop };
        e += drop;
        if rest > half || (rest == half && (sticky || m & 1 == 1)) {
            m += 1;
        }
        if m == 0 {
            return Some(0);
        }
    }
    // value = m * 2^e exactly, m at most 2^bits.
    let mut bits = bit_len128(m) as i32;
    if bits > f.bits {
        m >>= 1;
        e += 1;
        bits = f.bits;
    }
    let lead = e + bits - 1;
    if lead > f.max_exp {
        return None;
    }
    let m = m as u64;
    let fraction = f.bits - 1;
    Some(if lead >= f.min_exp {
        let full = m << (f.bits - bits);
        (((lead + f.max_exp) as u64) << fraction) | (full & ((1 << fraction) - 1))
    } else {
        // Subnormal: the field holds m * 2^(e - lowest), an integer by the choice of `keep`.
        m << (e - (f.min_exp - fraction))
    })
}

/// A non-negative big integer, little-endian base 2^32.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn mul_add(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_add(1_000_000_000, 0);
            n -= 9;
        }
        self.mul_add(10u32.pow(n), 0);
    }

    fn bit_len(&self) -> u32 {
        match self.0.iter().rposition(|&l| l != 0) {
            Some(i) => i as u32 * 32 + 32 - self.0[i].leading_zeros(),
            None => 0,
        }
    }

    fn bit(&self, i: u32) -> bool {
        self.0
            .get((i / 32) as usize)
            .is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    fn shl(&mut self, n: u32) {
        let (limbs, bits) = ((n / 32) as usize, n % 32);
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let v = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = v;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn shr1(&mut self) {
        let mut carry = 0;
        for limb in self.0.iter_mut().rev() {
            let v = (*limb >> 1) | carry;
            carry = *limb << 31;
            *limb = v;
        }
    }

    fn ge(&self, other: &Big) -> bool {
        let len = self.0.len().max(other.0.len());
        for i in (0..len).rev() {
            let (a, b) = (
                self.0.get(i).copied().unwrap_or(0),
                other.0.get(i).copied().unwrap_or(0),
            );
            if a != b {
                return a > b;
            }
        }
        true
    }

    /// `self -= other`, for `self >= other`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            *limb = v.rem_euclid(1 << 32) as u32;
        }
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }
}

/// `D * 10^exp10` for any size, through big integers.
fn big(digits: &[u8], exp10: i64, truncated: bool, f: Format) -> Option<u64> {
    let mut d = Big(vec![0]);
    for chunk in digits.chunks(9) {
        let v = chunk.iter().fold(0u32, |n, &x| n * 10 + u32::from(x));
        d.mul_add(10u32.pow(chunk.len() as u32), v);
    }
    if exp10 >= 0 {
        d.pow10(exp10 as u32);
        // The top 64 bits, and whether anything below them is set.
        let len = d.bit_len();
        let low = len.saturating_sub(64);
        let q = (low..len)
            .rev()
            .fold(0u128, |q, i| q << 1 | u128::from(d.bit(i)));
        let sticky = truncated || (0..low).any(|i| d.bit(i));
        return assemble(q, low as i32, sticky, f);
    }
    let mut p = Big(vec![1]);
    p.pow10((-exp10) as u32);
    // q = D * 2^k / P with 64 or 65 bits, by restoring division.
    let k = 64 + p.bit_len() as i32 - d.bit_len() as i32;
    if k >= 0 {
        d.shl(k as u32);
    } else {
        p.shl((-k) as u32);
    }
    p.shl(64);
    let mut q = 0u128;
    for _ in 0..=64 {
        q <<= 1;
        if d.ge(&p) {
            d.sub(&p);
            q |= 1;
        }
        p.shr1();
    }
    assemble(q, -k, truncated || !d.is_zero(), f)
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn check(text: &str) {
        let ours = parse(text);
        let std = text.parse::<f64>().ok().filter(|f| f.is_finite());
        assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "{text}");
        let ours = super::parse_f32(text);
        let std = text.parse::<f32>().ok().filter(|f| f.is_finite());
        assert_eq!(ours.map(f32::to_bits), std.map(f32::to_bits), "f32 {text}");
    }

    #[test]
    fn edges_read_as_the_standard_library_reads_them() {
        for text in [
            "0",
            "-0",
            "0.0",
            "1",
            "-1",
            "0.1",
            "0.5",
            "1e22",
            "1e23",
            "9007199254740993",
            "9007199254740992.5",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "0.30000000000000004",
            "0.1e-21",
            "1e-21",
            "1e-22",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "5e-324",
            "3e-324",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e308",
            "1e309",
            "1e-400",
            "0.000000000000000000000000000000000001",
            "1764123456789.25",
            "0.14285714285714285",
            "1e-5",
            "123.456e-7",
            "7e-10",
            "100000000000000000000000000000000000000000000000000000000000000000000",
            "0.00000000000000000000000000000000000000000000000000000000000000000001e400",
            "1e99999999999999999999999",
            "1e-99999999999999999999999",
            "8.841073694222204e-309",
            "2.225073858507201136057409796709131975934819546351645648e-308",
            "179769313486231580793728971405301e276",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "3.4028235e38",
            "3.4028236e38",
            "3.40282357e38",
            "1.00000005960464477539062500001",
            "7.006492321624086e-46",
            "1e-45",
            "1.4e-45",
            "0.1",
            "16777217",
            "16777216.5",
        ] {
            check(text);
        }
        // A halfway point between two doubles, written out to 767 digits, then nudged by a
        // digit far past the 800 kept.
        let half = format!("{}", 2f64.powi(-1074) * 1.5);
        check(&half);
        let long = format!(
            "{}{}1",
            "1.00000000000000011102230246251565404236316680908203125",
            "0".repeat(900)
        );
        check(&long);
        check(&format!("{}e-800", "9".repeat(1000)));
        check(&format!("0.{}5e-300", "0".repeat(20)));
    }

    #[test]
    fn power_of_ten_bit_lengths() {
        for (m, &bits) in super::POW10_BITS.iter().enumerate() {
            assert_eq!(
                u32::from(bits),
                super::bit_len128(10u128.pow(m as u32)),
                "10^{m}"
            );
        }
    }

    #[test]
    fn long_division_by_a_power_of_five_is_exact() {
        let mut next = crate::json::xorshift(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..100_000 {
            let p = 10u128.pow((next() % 22) as u32) << (next() % 40);
            let x = ((u128::from(next()) << 64 | u128::from(next())) >> 2) >> (next() % 64);
            let g = 5u64.pow((next() % 22) as u32);
            assert_eq!(
                super::div_rem_small(x, g),
                (x / u128::from(g), (x % u128::from(g)) as u64),
                "{x} / {g}"
            );
            let _ = p;
        }
    }

    #[test]
    fn random_numbers_read_as_the_standard_library_reads_them() {
        let mut next = crate::json::xorshift(0x853c_49e6_748f_ea9bu64);
        // Fewer unoptimised (the checks are the same; `cargo test --release` runs them all).
        let rounds = if cfg!(debug_assertions) {
            40_000
        } else {
            200_000
        };
        for i in 0..rounds {
            let f = f64::from_bits(next());
            if !f.is_finite() {
                continue;
            }
            check(&format!("{f}"));
            check(&format!("{f:e}"));
            // Random digit strings and exponents around every path's edges.
            let n = (next() % 40) as usize + 1;
            let digits: String = (0..n)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let e = (next() % 700) as i64 - 350;
            check(&format!("{digits}e{e}"));
            let cut = (next() as usize) % n;
            check(&format!("{}.{}e{}", &digits[..cut], &digits[cut..], e / 10));
            if i % 1000 == 0 {
                let n = (next() % 1200) as usize + 1;
                let long: String = (0..n)
                    .map(|_| char::from(b'0' + (next() % 10) as u8))
                    .collect();
                check(&format!("{long}e{}", (next() % 1400) as i64 - 1000));
            }
        }
    }
}
