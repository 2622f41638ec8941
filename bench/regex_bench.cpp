// Regex cost: matching 8,192 query texts of 1 KiB (Neptune's queue limit, each text as long as
// Neptune shows) through the daemon's RuleMatcher, against one plain rule and against the same
// rule with a counted repetition. The texts are near misses for both (nw/app/rule_cost.h): they
// hold the rule's leading words and never its tail, as a client that chooses its query texts
// can make them. Then, for the threshold of the load-time warning, 1,000 texts against the
// counted rule with smaller bounds. docs/PERFORMANCE.md quotes the medians.
#include <chrono>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "nw/app/rule_cost.h"
#include "nw/core/rule_matcher.h"

namespace {

const char* const kPatterns[] = {
    "(?i)(create|merge|delete|set).*(detach|remove)",
    "(?i)(create|merge|delete|set).{0,500}(detach|remove)",
};

std::shared_ptr<const re2::RE2> compiled(const char* pattern) {
  std::string error;
  return nw::compile_regex(pattern, error);
}

const std::vector<std::string>& texts() {
  static const std::vector<std::string> sample =
      nw::near_miss_sample(*compiled(kPatterns[1]), 8192, 1024);
  return sample;
}

void BM_Match8192(benchmark::State& state) {
  nw::Rule rule;
  rule.name = "r";
  rule.query_matches = compiled(kPatterns[state.range(0)]);
  const std::vector<nw::Rule> rules{rule};
  const nw::RuleMatcher matcher(rules);
  const auto& sample = texts();
  std::vector<std::uint32_t> selected;
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const std::string& text : sample) {
      matcher.selecting(text, selected);
      matched += selected.size();
    }
  }
  benchmark::DoNotOptimize(matched);
  state.SetLabel(kPatterns[state.range(0)]);
}
// One pass over 8,192 texts per iteration: the counted rule takes seconds for it.
BENCHMARK(BM_Match8192)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

// The threshold of the load-time warning (kCountedRepetitionLimit): what the warning measures,
// 1,000 texts of its near-miss sample searched with the rule's own regex, for bounds around
// it. The counters give the RE2 program size and what the counted repetition adds to it.
void BM_Sample1000(benchmark::State& state) {
  const std::string pattern =
      "(?i)(create|merge|delete|set).{0," + std::to_string(state.range(0)) + "}(detach|remove)";
  nw::Policy policy;
  nw::Rule rule;
  rule.name = "r";
  rule.query_matches = compiled(pattern.c_str());
  policy.rules.push_back(rule);
  const nw::RegexCost cost = nw::measure_regex_costs(policy, std::chrono::seconds(0)).at(0);
  const auto sample = nw::near_miss_sample(*rule.query_matches, 1000, 1024);
  std::size_t matched = 0;
  for (auto _ : state)
    for (const std::string& text : sample)
      matched += re2::RE2::PartialMatch(text, *rule.query_matches);
  benchmark::DoNotOptimize(matched);
  state.counters["program"] = cost.program_size;
  state.counters["counted"] = cost.counted_instructions;
  state.SetLabel(pattern);
}
BENCHMARK(BM_Sample1000)
    ->Arg(10)
    ->Arg(20)
    ->Arg(25)
    ->Arg(50)
    ->Arg(500)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
