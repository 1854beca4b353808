#include "quality/drift.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace sluice::quality {
namespace {

constexpr double kEmptyBin = 1e-4;

bool Numeric(const ColumnProfile& c) {
  return c.type == DataType::kInt64 || c.type == DataType::kFloat64 ||
         c.type == DataType::kTimestamp;
}

// Fractions of a column's non-null values per category: its top values, then "every other
// value" last. Values are the rendered ones of the profile's top list.
std::map<std::string, double> Categories(const ColumnProfile& c) {
  std::map<std::string, double> out;
  const double total = static_cast<double>(c.count - c.nulls);
  if (total <= 0) return out;
  for (const sketch::TopK::Item& item : c.top.Items()) out[item.value] = item.count / total;
  return out;
}

double PsiTerm(double expected, double actual) {
  expected = std::max(expected, kEmptyBin);
  actual = std::max(actual, kEmptyBin);
  return (actual - expected) * std::log(actual / expected);
}

}  // namespace

double Psi(const ColumnProfile& reference, const ColumnProfile& current) {
  if (Numeric(reference) && !reference.quantiles.empty()) {
    // Bin edges at the reference's deciles (repeated edges merge their bins).
    std::vector<double> edges;
    for (int i = 1; i <= 9; ++i) {
      const double e = reference.quantiles.Quantile(i / 10.0);
      if (edges.empty() || e > edges.back()) edges.push_back(e);
    }
    auto fractions = [&](const sketch::KllSketch& s) {
      std::vector<double> out;
      double below = 0;
      for (double e : edges) {
        const double at = s.empty() ? 0 : s.Rank(e);
        out.push_back(at - below);
        below = at;
      }
      out.push_back(s.empty() ? 0 : 1 - below);
      return out;
    };
    const std::vector<double> e = fractions(reference.quantiles), a = fractions(current.quantiles);
    double psi = 0;
    for (size_t i = 0; i < e.size(); ++i) psi += PsiTerm(e[i], a[i]);
    return psi;
  }
  const std::map<std::string, double> e = Categories(reference), a = Categories(current);
  double psi = 0, e_rest = 1, a_rest = 1;
  for (const auto& [value, fe] : e) {
    const auto it = a.find(value);
    const double fa = it == a.end() ? 0 : it->second;
    psi += PsiTerm(fe, fa);
    e_rest -= fe;
    a_rest -= fa;
  }
  return psi + PsiTerm(std::max(e_rest, 0.0), std::max(a_rest, 0.0));
}

double KolmogorovSmirnov(const ColumnProfile& reference, const ColumnProfile& current) {
  if (reference.quantiles.empty() || current.quantiles.empty()) return 0;
  // The CDFs are step functions that jump only at retained items: the largest gap is at one.
  double d = 0;
  for (const sketch::KllSketch* s : {&reference.quantiles, &current.quantiles}) {
    for (const auto& [x, weight] : s->WeightedItems()) {
      d = std::max(d, std::abs(reference.quantiles.Rank(x) - current.quantiles.Rank(x)));
    }
  }
  return d;
}

double JensenShannon(const ColumnProfile& reference, const ColumnProfile& current) {
  std::map<std::string, std::pair<double, double>> bins;  // value -> (p, q)
  double p_rest = 1, q_rest = 1;
  for (const auto& [value, f] : Categories(reference)) {
    bins[value].first = f;
    p_rest -= f;
  }
  for (const auto& [value, f] : Categories(current)) {
    bins[value].second = f;
    q_rest -= f;
  }
  if (reference.count == reference.nulls) p_rest = 0;
  if (current.count == current.nulls) q_rest = 0;
  bins["\x01other"] = {std::max(p_rest, 0.0), std::max(q_rest, 0.0)};
  double js = 0;
  for (const auto& [value, pq] : bins) {
    const auto [p, q] = pq;
    const double m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * std::log2(p / m);
    if (q > 0) js += 0.5 * q * std::log2(q / m);
  }
  return std::clamp(js, 0.0, 1.0);
}

}  // namespace sluice::quality
