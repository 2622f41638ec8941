#pragma once
// --digest: the audit log summed up by query shape, like pt-query-digest. The reader
// (nw/io/audit_reader.h) hands every decision record to a DigestAccumulator; the accumulator
// groups them by fingerprint, and the digest is ranked by cancels, then by the Neptune time the
// cancelled queries had burned, and printed as a table (format_digest_text) or one JSON document
// (format_digest_json). No I/O here: the time of "now" and every record come in as values.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nw/core/audit_record.h"
#include "nw/core/query_status.h"

namespace nw {

// One decision record as the digest reads it. The views point into the reader's buffers and
// are valid during DigestAccumulator::add() only.
struct DigestRecord {
  std::chrono::system_clock::time_point time;
  std::string_view endpoint;
  std::string_view rule;
  std::string_view query;
  Language language = Language::opencypher;
  AuditOutcome outcome = AuditOutcome::logged;
  std::int64_t elapsed_ms = 0;
  // The record's `fingerprint`; unset for records written before the field existed, whose
  // fingerprint is computed from `language` and `query` (which the audit cut to 512 characters:
  // a longer query's computed fingerprint can differ from the one the daemon gives it today).
  std::optional<std::uint64_t> fingerprint;
};

// The outcome of a name as to_string(AuditOutcome) writes it, else nullopt.
std::optional<AuditOutcome> audit_outcome_named(std::string_view name);

// A fingerprint as the audit writes it: exactly 16 hex digits (either case), else nullopt.
std::optional<std::uint64_t> parse_fingerprint_hex(std::string_view text);

// --since and --until: an RFC 3339 time ("2026-12-01T00:00:00Z") or a duration back from `now`
// ("90m", "36h", "7d": parse_duration's forms and whole days), else nullopt.
std::optional<std::chrono::system_clock::time_point> parse_digest_time(
    std::string_view text, std::chrono::system_clock::time_point now);

// The records counted: time in [since, until). Unset ends are open.
struct DigestRange {
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
};

// A name (endpoint or rule) and how many of a fingerprint's records carry it.
struct NameCount {
  std::string name;
  std::uint64_t records = 0;
};

inline constexpr std::size_t kAuditOutcomes = 10;  // the values of AuditOutcome

struct DigestEntry {
  std::uint64_t fingerprint = 0;
  // Some of its records had no `fingerprint` field: theirs was computed from the query text.
  bool computed = false;
  std::uint64_t records = 0;  // its decision records, `sending` ones excepted
  std::array<std::uint64_t, kAuditOutcomes> outcomes{};
  // The sum of elapsed_ms over its `cancelled` records: the Neptune time these queries had
  // used when they were cancelled.
  std::int64_t burned_ms = 0;
  std::chrono::system_clock::time_point first, last;
  std::string example;  // the query text of its earliest record
  // Most records first, then by name.
  std::vector<NameCount> endpoints;
  std::vector<NameCount> rules;

  std::uint64_t count(AuditOutcome outcome) const {
    return outcomes[static_cast<std::size_t>(outcome)];
  }
};

struct Digest {
  std::uint64_t records = 0;       // decision records counted (in the range, not `sending`)
  std::uint64_t out_of_range = 0;  // decision records outside --since/--until
  std::uint64_t sending = 0;  // write-ahead records: their outcome records are the ones counted
  std::optional<std::chrono::system_clock::time_point> first, last;  // of the records counted
  // Ranked: most cancels first, then most time burned, then most dry-run cancels, then most
  // records, then by fingerprint (so that equal entries always print in the same order).
  std::vector<DigestEntry> entries;
};

class DigestAccumulator {
 public:
  explicit DigestAccumulator(DigestRange range = {});

  void add(const DigestRecord& record);
  Digest finish() const;

 private:
  struct Slot {
    std::uint64_t fingerprint = 0;
    bool computed = false;
    std::uint64_t records = 0;
    std::array<std::uint64_t, kAuditOutcomes> outcomes{};
    std::int64_t burned_ms = 0;
    std::chrono::system_clock::time_point first, last;
    std::string example;
  };
  // Endpoint and rule names are stored once; a record's name is found by its view.
  std::uint32_t intern(std::string_view name);
  static std::uint64_t pair_key(std::size_t slot, std::uint32_t name) {
    return (static_cast<std::uint64_t>(slot) << 32) | name;
  }

  DigestRange range_;
  std::vector<Slot> slots_;
  std::unordered_map<std::uint64_t, std::size_t> slot_of_;  // fingerprint -> slots_ index
  std::deque<std::string> names_;  // a deque: the views in name_ids_ stay valid as it grows
  std::unordered_map<std::string_view, std::uint32_t> name_ids_;
  std::unordered_map<std::uint64_t, std::uint64_t> endpoint_records_;  // pair_key -> records
  std::unordered_map<std::uint64_t, std::uint64_t> rule_records_;
  std::uint64_t records_ = 0;
  std::uint64_t out_of_range_ = 0;
  std::uint64_t sending_ = 0;
  std::optional<std::chrono::system_clock::time_point> first_, last_;
};

// What the text header says about the input besides the digest itself.
struct DigestSources {
  std::size_t files = 0;
  DigestRange range;
};

enum class DigestFormat { text, json };
inline constexpr std::size_t kDefaultTextLimit = 20;

// A table that fits 100 columns: a header (records, files, time span, fingerprints), a column
// line, then per fingerprint a row of counts, and indented below it the first and last time
// with the record count, the endpoints and rules (the first three of each by records), and the
// example text on one line. Names and text are made terminal-safe; lines that would pass 100
// columns are cut with "...". At most `limit` fingerprints (0: all).
std::string format_digest_text(const Digest& digest, const DigestSources& sources,
                               std::size_t limit);

// One JSON array, one object per fingerprint in rank order (README.md "Digest" lists the
// fields): rank, fingerprint, fingerprint_computed, records, one count per outcome, burned_ms,
// endpoint_count, endpoints, rule_count, rules, first, last, example. At most `limit` (0: all).
std::string format_digest_json(const Digest& digest, std::size_t limit);

// "350ms", "12.4s", "12m05s", "93h12m": the width of a column of times burned.
std::string format_burned(std::int64_t ms);

}  // namespace nw
