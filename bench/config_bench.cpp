// Config parsing cost against the file's size: N endpoints and N rules (each rule with a regex
// of its own, a language, and an unknown key, so that every section also reports an error),
// then the load-time warnings over the same rules. Google Benchmark fits the complexity: both
// must come out linear or N log N (lookups in sets and maps), never N squared, since a 10 MB
// file once took 48 s when each header, key and url check scanned what came before. Run:
// build/config_bench (16,384 of each, 2.8 MB, parse in about 0.2 s).
#include <string>

#include <benchmark/benchmark.h>

#include "nw/core/config.h"

namespace {

std::string config_text(int sections) {
  std::string text = "[watchdog]\npoll_interval = 5s\n";
  for (int i = 0; i < sections; ++i) {
    const std::string n = std::to_string(i);
    text += "[endpoint.e" + n + "]\nurl = https://db-" + n + ":8182\nrequest_timeout = 5s\n";
    text += "[rule.r" + n + "]\nmax_elapsed = 5m\nquery_matches = ^MATCH " + n +
            "\nlanguages = gremlin\nnot_a_key = 1\n";
  }
  return text;
}

void BM_ParseConfig(benchmark::State& state) {
  const std::string text = config_text(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(nw::parse_config(text, "bench.ini"));
  state.SetComplexityN(state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseConfig)
    ->RangeMultiplier(4)
    ->Range(256, 16384)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

void BM_ConfigWarnings(benchmark::State& state) {
  const nw::ConfigResult parsed =
      nw::parse_config(config_text(static_cast<int>(state.range(0))), "bench.ini");
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(nw::config_warnings(parsed.config, now));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ConfigWarnings)
    ->RangeMultiplier(4)
    ->Range(256, 16384)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
