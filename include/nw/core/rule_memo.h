#pragma once
// Remembers, per query id, which rules' text filters select the query's text, so that a
// query is matched once rather than on every poll.
//
// A query's text does not change while its id lives, so the answer for (language, id) holds
// from one poll to the next. Only the text part is remembered: a rule's language is fixed by
// the configuration, but its active window depends on the time, so evaluate() applies both
// to the remembered list on every poll. The memo still compares the text on every lookup,
// because clients may choose their own query ids and reuse one for another text.
//
// Bounded three ways: everything is forgotten when the policy's rules change (a
// configuration reload brings newly compiled regexes); each snapshot forgets the ids of its
// language it did not look up, so ended queries leave with the next poll; and no more than
// `max_entries` ids are held (beyond that, texts are matched without being remembered).
//
// One memo per poll loop: it is not safe for concurrent use. Pure: no I/O, no clock.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nw/core/policy.h"
#include "nw/core/query_status.h"
#include "nw/core/rule_matcher.h"

namespace nw {

class RuleMemo {
 public:
  // Neptune queues at most 8,192 queries per instance, plus the running ones.
  static constexpr std::size_t kDefaultMaxEntries = 16384;

  explicit RuleMemo(std::size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}

  // Starts the evaluation of one snapshot of `language` under `policy`. When the policy's
  // rules are not the ones the memo was filled under, it forgets everything and compiles a
  // RuleMatcher for the new rules, or takes the policy's (once per configuration).
  void begin(const Policy& policy, Language language);

  // The indices, ascending, of the rules whose text filters select `text` (as
  // Rule::selects), for query `id` of the language begun. The reference stays valid until
  // the next call.
  const std::vector<std::uint32_t>& selecting(const std::string& id, std::string_view text);

  // The fingerprint (nw/core/fingerprint.h) of query `id`'s `text`, computed once per id while
  // it is remembered: only the rules with per-shape guards or a quarantine ask for it.
  std::uint64_t fingerprint(const std::string& id, std::string_view text);

  // Ends the snapshot begun: forgets the ids of its language that it did not look up.
  void end();

  void clear();
  std::size_t size() const;
  // Lookups answered from memory, and lookups that had to match the text.
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  // The matcher in use (the policy's own, when it has one).
  const RuleMatcher* matcher() const { return matcher_.get(); }

 private:
  struct Entry {
    std::string text;
    std::vector<std::uint32_t> rules;
    std::uint64_t seen = 0;  // the snapshot that last looked it up
    std::uint64_t fingerprint = 0;
    bool fingerprinted = false;
  };
  using Table = std::unordered_map<std::string, Entry>;  // by query id

  std::size_t max_entries_;
  std::shared_ptr<const RuleMatcher> matcher_;  // the policy's own when it has one
  std::array<Table, 3> tables_;                 // one per Language
  Table* current_ = nullptr;                    // the table of the language begun
  Language language_ = Language::opencypher;    // the language begun
  std::uint64_t snapshot_ = 0;
  std::size_t kept_ = 0;                // entries of the current table looked up since begin()
  std::vector<std::uint32_t> scratch_;  // the answer when nothing is remembered
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace nw
