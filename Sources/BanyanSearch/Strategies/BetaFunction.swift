import Foundation

/// The regularized incomplete beta function I_x(a, b): the probability that a Beta(a, b) variable is
/// below x. Evaluated by its continued fraction with the modified Lentz method (Numerical Recipes §6.4),
/// on whichever side of the mean converges quickly. Accurate to about 1e-14 for the small parameters the
/// adaptive vote uses (a, b ≤ a few hundred).
public enum BetaFunction {
    public static func regularized(_ x: Double, _ a: Double, _ b: Double) -> Double {
        precondition(a > 0 && b > 0, "Beta parameters must be positive")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logNormalizer: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * Foundation.log(x) + b * Foundation.log(1 - x)
        let logFront = logNormalizer + logPowers
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * continuedFraction(x, a, b) / a }
        return 1 - exp(logFront) * continuedFraction(1 - x, b, a) / b
    }

    private static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        func guarded(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var h = d
        for step in 1...400 {
            let m = Double(step), m2 = 2 * m
            let even = m * (b - m) * x / ((a - 1 + m2) * (a + m2))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
