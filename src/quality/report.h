// The data quality report for people (`sluice validate --html FILE`): one self-contained
// HTML5 document — inline CSS and SVG, no JavaScript, no external URL or font — with a
// summary, each delivery's rule results (examples in <details>) and the profile of its kept
// rows (one card per column with a histogram or top values drawn as inline SVG).
//
// Every string that comes from definitions or data is HTML-escaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quality/profile.h"
#include "quality/suite.h"
#include "sluice/types.h"

namespace sluice::quality {

// `checks`: the results of every delivery (each names its delivery); `delivery_names` and
// `profiles`: per delivery in order, its name and the profile of its kept rows (as
// offline::IngestResult holds them; a delivery may lack a profile). `generated_at`: the time
// printed in the header.
//
// Histograms of numeric columns (int64, float64, timestamp): 20 equal-width bins between the
// KLL sketch's min and max (one bar when they are equal); bin i counts
// n·(Rank(right edge) − Rank(left edge)), the first bin including min, rounded cumulatively
// so the bins add up to n. Each bar is a <rect class="bin" data-count="N">. Top values
// (string, bool, int64): up to 10 bars <rect class="top" data-count="N">. Every column card
// holds exactly one <svg>.
// `counts`: per delivery in order, (rows read, rows quarantined) when the caller knows them;
// without them the summary bounds the quarantined rows from the per-rule counts.
std::string HtmlReport(const std::string& title, const std::vector<CheckResult>& checks,
                       const std::vector<std::string>& delivery_names,
                       const std::vector<Profile>& profiles, Micros generated_at,
                       const std::vector<std::pair<int64_t, int64_t>>& counts = {});

// `text` with &, <, >, " and ' replaced by character references: safe in element content and
// in quoted attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace sluice::quality
