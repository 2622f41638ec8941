#pragma once
// What an operator's regex costs to match, said at load (--check-config, start, reload).
//
// RE2 matches in time linear in the text, but the constant grows with the regex: a counted
// repetition such as .{0,500} is compiled into one copy of its operand per count, and on text
// that keeps starting a match without finishing it the DFA that runs the program needs more
// states than its memory holds, so it keeps discarding and rebuilding them, or gives up to the
// much slower NFA. One such rule costs milliseconds per text of 1 KiB where a plain one costs
// microseconds (docs/PERFORMANCE.md, "Regex cost").
//
// Which regexes are warned about depends on their compiled programs only, never on a clock:
// the same file always gets the same warnings. Measuring takes time, so only those regexes are
// measured, on a synthetic sample, and the measured cost is reported in the warning's text.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "nw/core/config.h"

namespace nw {

// A regex is warned about when its counted repetitions add more than this many instructions
// to its RE2 program (its size minus that of the same regex with each {m,n} made a *).
//
// Program size alone does not predict the cost: a case-insensitive alternation of a thousand
// words compiles to thousands of instructions, yet its DFA needs few states and it stays cheap.
// Counted repetitions are what blow the DFA up. A `.` repeated adds about 9 instructions per count
// (UTF-8), and on near misses the cost climbs steeply past 200 added:
// (create|merge|delete|set).{0,N}(detach|remove) adds 82 at N = 10, 172 at 20, 217 at 25, 442
// at 50 and 4,492 at 500, and costs about 3 ms, 20 ms, 0.2 s, 1 s and 3.4 s per 1,000 texts
// (bench/regex_bench.cpp; the same rule with .* costs about 3 ms).
inline constexpr int kCountedRepetitionLimit = 200;

// The sample: `count` texts of `length` bytes of query-like words, the same for every run.
// They are near misses for `regex`: its words (runs of three or more letters in its pattern)
// are mixed in, except the last ones, dropped as far as needed for a first text not to match:
// in (create|merge).{0,500}(detach|remove) the leading words appear and the tail does not, so
// each search reads the whole text, restarting at every leading word.
std::vector<std::string> near_miss_sample(const re2::RE2& regex, std::size_t count,
                                          std::size_t length);

struct RegexCost {
  std::string key;  // "rule.NAME.query_matches", "protect.NAME.query_matches", ...
  std::string pattern;
  int program_size = 0;          // the larger of RE2's forward and reverse program sizes
  int counted_instructions = 0;  // of them, what the counted repetitions add
  bool large = false;            // counted_instructions > kCountedRepetitionLimit
  double seconds_per_1000 = 0;   // measured on the sample; only when `large`
  std::size_t texts_measured = 0;
};

// The program of every regex of the policy (rules' query_matches and query_excludes, then
// protections' query_matches, in file order), and for those warned about, the time to search
// 1,000 texts of the sample. A measurement stops after `budget` (a few texts are searched
// whatever it is) and is extrapolated, so that loading stays quick.
std::vector<RegexCost> measure_regex_costs(
    const Policy& policy,
    std::chrono::steady_clock::duration budget = std::chrono::milliseconds(250));

// The warnings for the costs that are `large`, keyed like config_warnings so they print the
// same way: "costs about 1.7 s per 1,000 texts of 1 KiB (RE2 program size 4,542, 4,492 of it
// from counted repetitions; warned above 200): counted repetitions like .{0,500} ...".
std::vector<ConfigError> regex_cost_warnings(const std::vector<RegexCost>& costs);

// Both: what --check-config prints and the daemon logs (at start and at each reload), after
// config_warnings.
std::vector<ConfigError> regex_cost_warnings(const Policy& policy);

}  // namespace nw
