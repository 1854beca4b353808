// Drift scores between a reference column profile and a current one (SPEC §7; the exact
// definitions are in docs/guide.md, "Drift"). Both are computed from the profiles' sketches,
// so they are exact while a column's profile is (KLL: up to 200 values; top values: up to 64
// distinct values) and approximate beyond.
#pragma once

#include "quality/profile.h"

namespace sluice::quality {

// Population stability index: Σ (a − e) · ln(a / e) over 10 bins. Numbers (and timestamps):
// the bins are cut at the reference's deciles; categories (strings, bools): one bin per
// reference top value plus one for every other value. Empty bins count as 0.0001.
double Psi(const ColumnProfile& reference, const ColumnProfile& current);

// Kolmogorov–Smirnov statistic: the largest distance between the two empirical CDFs.
double KolmogorovSmirnov(const ColumnProfile& reference, const ColumnProfile& current);

// Jensen–Shannon divergence (log base 2, in [0, 1]) of the two value distributions: one bin
// per top value of either side plus one for every other value.
double JensenShannon(const ColumnProfile& reference, const ColumnProfile& current);

}  // namespace sluice::quality
