#include "nw/app/test_matching.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "nw/core/audit_record.h"
#include "nw/core/decide.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rule_memo.h"
#include "nw/io/file_view.h"
#include "nw/io/status_body_kind.h"
#include "nw/io/status_json.h"

namespace nw {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStdin = "-";

std::vector<std::string> expand(const std::vector<std::string>& paths, bool has_stdin,
                                std::ostream& err, bool& ok) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!(has_stdin && path == kStdin) && fs::is_directory(path, ec)) {
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

// A capture of 8,192 queries is megabytes: a file of known size is read in one piece; a pipe
// (standard input, a process substitution) as it comes.
std::string read_all(std::istream& in) {
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.good() ? static_cast<std::streamoff>(in.tellg()) : -1;
  if (size >= 0) {
    in.seekg(0, std::ios::beg);
    text.resize(static_cast<std::size_t>(size));
    in.read(text.data(), size);
    text.resize(static_cast<std::size_t>(in.gcount()));
    // A file that grew while read: the rest as it comes.
    if (in) text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return text;
  }
  in.clear();
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return text;
}

std::string describe(const Evaluation& e, const Policy& policy) {
  if (e.verdict != Verdict::act) return "none: " + e.reason;
  const Rule& rule = policy.rules[*e.rule_index];
  std::string action(to_string(rule.action));
  if (rule.action == RuleAction::cancel && (policy.dry_run || rule.dry_run)) action += " (dry run)";
  if (rule.action == RuleAction::cancel && rule.silent) action += " silently";
  return action + " by [rule." + rule.name + "]: " + e.reason;
}

// Whether some rule would judge a query differently as openCypher than as Gremlin: then a
// body that does not say which it is (their syntax is the same) needs --language.
bool tells_opencypher_from_gremlin(const Policy& policy) {
  return std::any_of(policy.rules.begin(), policy.rules.end(), [](const Rule& r) {
    return r.covers(Language::opencypher) != r.covers(Language::gremlin);
  });
}

std::string language_name(Language language) {
  switch (language) {
    case Language::opencypher:
      return "openCypher";
    case Language::gremlin:
      return "Gremlin";
    case Language::sparql:
      return "SPARQL";
  }
  return "openCypher";
}

}  // namespace

int run_test_matching(const WatchdogConfig& config, const std::vector<std::string>& paths,
                      const TestMatchingOptions& options, std::ostream& out, std::ostream& err) {
  const Policy& policy = config.policy;
  // A memo as the daemon's poll loops have one: every rule's filters in one pass per query text
  // (nw/core/rule_memo.h). It remembers nothing (at most 0 entries): a capture is judged once,
  // so storing each query's text and rules would only cost a copy and an allocation per query.
  RuleMemo memo(0);
  const bool has_stdin = options.standard_input != nullptr;
  bool stdin_read = false;
  bool ok = true;
  // A capture does not say which endpoint it came from: the snapshots name none, and a rule or
  // protection limited to endpoints is judged as if it applied to the capture's.
  const bool limited = std::any_of(policy.rules.begin(), policy.rules.end(),
                                   [](const Rule& r) { return !r.endpoints.empty(); }) ||
                       std::any_of(policy.protections.begin(), policy.protections.end(),
                                   [](const Protection& p) { return !p.endpoints.empty(); });
  if (limited && !paths.empty())
    err << "note: rules and protections limited to endpoints (endpoints = ...) are judged as if "
           "they applied to every capture\n";
  for (const auto& file : expand(paths, has_stdin, err, ok)) {
    std::string read;                  // a capture read as a stream
    std::unique_ptr<FileView> mapped;  // or mapped where it is
    if (has_stdin && file == kStdin) {
      if (stdin_read) {
        err << file << ": standard input was already read\n";
        ok = false;
        continue;
      }
      stdin_read = true;
      read = read_all(*options.standard_input);
    } else if (!(mapped = FileView::map(file))) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        err << file << ": cannot read the file\n";
        ok = false;
        continue;
      }
      read = read_all(in);
    }
    const std::string_view text = mapped ? mapped->text() : std::string_view(read);

    const StatusBodyKind kind = classify_status_body(text);
    if (kind.shape == StatusBodyShape::error) {
      // A 429 or an AccessDenied captured by mistake is no empty list: it says nothing of the
      // queries that were running.
      if (const auto error = parse_error_body(text)) {
        err << file << ": an error reply, not a status: " << error->code
            << (error->message.empty() ? "" : ": " + error->message) << "\n";
        ok = false;
        continue;
      }
    }
    Language language = options.language.value_or(Language::opencypher);
    if (kind.sparql) {
      if (options.language && *options.language != Language::sparql) {
        err << file << ": a SPARQL status (queryEvalStats has subqueries and no waited), not "
            << language_name(*options.language) << "'s\n";
        ok = false;
        continue;
      }
      language = Language::sparql;
    }
    // One query's status (GET .../status/{id}) is read as the one entry of a list: the same
    // reading as the daemon's of a list entry.
    const auto parsed =
        kind.shape == StatusBodyShape::single_query
            ? parse_status_body("{\"queries\":[" + std::string(text) + "]}", language)
            : parse_status_body(text, language);
    if (!parsed) {
      err << file << ": " << parsed.failure().message << "\n";
      ok = false;
      continue;
    }
    const StatusSnapshot& snapshot = parsed.value();
    if (!options.language && !kind.sparql && !snapshot.queries.empty() &&
        tells_opencypher_from_gremlin(policy))
      err << file
          << ": read as openCypher's status; a Gremlin status looks the same and the "
             "rules judge the two differently: for a Gremlin capture give "
             "--language gremlin\n";
    if (snapshot.queries.empty() && snapshot.malformed.empty()) out << file << ": no queries\n";
    for (const auto& e : evaluate(snapshot, policy, options.at, &memo)) {
      const QueryStatus& q = snapshot.queries[e.query_index];
      out << file << ": " << q.id << ": " << describe(e, policy) << "\n";
      if (options.fingerprints) {
        const Fingerprint shape = fingerprint_query(snapshot.language, q.text);
        out << "  fingerprint " << fingerprint_hex(shape.hash) << ": " << terminal_safe(shape.text)
            << "\n";
      }
    }
    // As the daemon skips them: named, so that a capture does not seem to lack the query.
    for (const MalformedEntry& m : snapshot.malformed)
      out << file << ": " << m.id << ": none: skipped, its entry is malformed (" << m.why << ")\n";
  }
  return ok ? 0 : 1;
}

}  // namespace nw
