#pragma once
// --test-matching: rehearse a policy offline on captured status replies (the body of
// GET /opencypher/status, /gremlin/status or /sparql/status, or of one query's status). One
// line per query: what the watchdog would do, by which rule, and why, or why nothing applies.
// Queries are judged as the daemon judges them: evaluate() with a RuleMemo, all rules'
// filters in one pass. Budgets are not simulated: they depend on the minute.
#include <chrono>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nw/core/config.h"
#include "nw/core/query_status.h"

namespace nw {

struct TestMatchingOptions {
  // The instant at which time windows and protection expiries are judged.
  std::chrono::system_clock::time_point at;
  // Read every body as this language's; unset: SPARQL's when the body shows it
  // (nw/io/status_body_kind.h), else openCypher's.
  std::optional<Language> language;
  // What the path "-" reads; null: "-" is a file name like any other.
  std::istream* standard_input = nullptr;
  // After each query's line, "  fingerprint HEX: NORMALISED TEXT" (nw/core/fingerprint.h).
  bool fingerprints = false;
};

// Prints the evaluation of every query in `paths` (files, directories whose *.json files are
// read in name order, or "-" for standard input). Returns 0, or 1 when a file could not be
// read or parsed, or holds an error reply rather than a status (reported on `err`; the other
// files are still evaluated).
int run_test_matching(const WatchdogConfig& config, const std::vector<std::string>& paths,
                      const TestMatchingOptions& options, std::ostream& out, std::ostream& err);

}  // namespace nw
