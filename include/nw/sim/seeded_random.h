#pragma once
// The simulator's only source of randomness. Everything "random" it does (arrivals,
// runtimes, query ids, fault shares) draws from one of these, so a given --seed replays
// the same run. The transforms (uniform, exponential, normal) are written out here
// rather than taken from <random>'s distributions, whose output the standard leaves to
// each library: a seed must mean the same workload wherever the simulator is built.
#include <cstdint>
#include <random>
#include <string>

namespace nw::sim {

// The seed of instance `index` when one process simulates several instances: instance 0
// keeps `seed` itself (so a single instance replays as it always did), the others get
// unrelated seeds that depend only on (seed, index).
std::uint64_t instance_seed(std::uint64_t seed, std::uint64_t index);

class SeededRandom {
 public:
  // `stream` separates independent sequences drawn from one seed (the workload, the
  // fault plan, request ids), so that consuming one never shifts another.
  explicit SeededRandom(std::uint64_t seed, std::uint64_t stream = 0);

  std::uint64_t next_u64();
  // Uniform in [0, 1), 53 random bits.
  double uniform();
  // Exponentially distributed with the given mean (> 0).
  double exponential(double mean);
  // Standard normal (Box-Muller).
  double standard_normal();
  // Uniform in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n);
  // A lower-case UUID version 4 string, e.g. "3f2b8c1e-9d4a-4e7b-a1c2-5d6e7f809a1b".
  std::string uuid_v4();

 private:
  std::mt19937_64 engine_;
};

}  // namespace nw::sim
