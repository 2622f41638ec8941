#include "nw/app/test_matching.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nw/core/decide.h"
#include "nw/io/status_json.h"

namespace nw {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> expand(const std::vector<std::string>& paths, std::ostream& err,
                                bool& ok) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".json")
          found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        err << path << ": no *.json files\n";
        ok = false;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

std::string describe(const Evaluation& e, const Policy& policy) {
  if (e.verdict != Verdict::act) return "none: " + e.reason;
  const Rule& rule = policy.rules[*e.rule_index];
  std::string action(to_string(rule.action));
  if (rule.action == RuleAction::cancel && (policy.dry_run || rule.dry_run)) action += " (dry run)";
  if (rule.action == RuleAction::cancel && rule.silent) action += " silently";
  return action + " by [rule." + rule.name + "]: " + e.reason;
}

}  // namespace

int run_test_matching(const WatchdogConfig& config, const std::vector<std::string>& paths,
                      std::chrono::system_clock::time_point now, std::ostream& out,
                      std::ostream& err) {
  bool ok = true;
  for (const auto& file : expand(paths, err, ok)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      err << file << ": cannot read the file\n";
      ok = false;
      continue;
    }
    std::stringstream body;
    body << in.rdbuf();
    const auto parsed = parse_status_body(body.str(), Language::opencypher);
    if (!parsed) {
      err << file << ": " << parsed.failure().message << "\n";
      ok = false;
      continue;
    }
    const StatusSnapshot& snapshot = parsed.value();
    if (snapshot.queries.empty() && snapshot.malformed.empty()) out << file << ": no queries\n";
    for (const auto& e : evaluate(snapshot, config.policy, now)) {
      const QueryStatus& q = snapshot.queries[e.query_index];
      out << file << ": " << q.id << ": " << describe(e, config.policy) << "\n";
    }
    // As the daemon skips them: named, so that a capture does not seem to lack the query.
    for (const MalformedEntry& m : snapshot.malformed)
      out << file << ": " << m.id << ": none: skipped, its entry is malformed (" << m.why << ")\n";
  }
  return ok ? 0 : 1;
}

}  // namespace nw
