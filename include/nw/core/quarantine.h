#pragma once
// The query shapes in quarantine: once a rule with `quarantine = D` has cancelled a query, new
// queries of the same fingerprint (nw/core/fingerprint.h) that the rule governs are cancelled
// as soon as a poll shows them, for D after the rule's last cancel of that shape. This is
// TiDB's runaway-query WATCH for Neptune: the application that sent the runaway query sends
// it again, and each copy need not burn its full limit first.
//
// An entry is per rule and fingerprint: another rule's cancel of the same shape starts a
// quarantine of its own, with its own duration. Protections, the cancel budget and everything
// else that holds a cancel back still apply to a quarantined query.
//
// A value type, no I/O and no lock: the daemon shares it as an immutable snapshot
// (nw/app/quarantine_book.h), and the io layer reads and writes it (nw/io/quarantine_state.h).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nw/core/duration.h"

namespace nw {

struct QuarantineEntry {
  std::string rule;  // the NAME of [rule.NAME]
  std::uint64_t fingerprint = 0;
  std::string fingerprint_text;  // the normalised text, cut to kMaxFingerprintText bytes
  std::chrono::system_clock::time_point since;        // the cancel that started it
  std::chrono::system_clock::time_point last_cancel;  // the rule's last cancel of the shape
  std::chrono::system_clock::time_point until;        // last_cancel + the rule's quarantine
  std::string endpoint;                               // of the last cancel
  std::uint64_t cancels = 0;                          // cancels of the shape since it started
};

class QuarantineList {
 public:
  static constexpr std::size_t kMaxFingerprintText = 512;
  // A bound on memory whatever the workload: beyond it the entries that end soonest go first.
  static constexpr std::size_t kMaxEntries = 10000;

  // A cancel by `rule` (quarantine `duration`) at `time` of a query of `fingerprint`: starts
  // the shape's quarantine, or extends it to `time + duration`. True when it started one.
  bool cancelled(const std::string& rule, std::uint64_t fingerprint, std::string_view text,
                 const std::string& endpoint, std::chrono::system_clock::time_point time,
                 Millis duration);

  // The quarantine of `fingerprint` by `rule` in force at `now`, or nullptr.
  const QuarantineEntry* find(std::string_view rule, std::uint64_t fingerprint,
                              std::chrono::system_clock::time_point now) const;

  // Forgets the quarantines over at `now`; returns how many.
  std::size_t expire(std::chrono::system_clock::time_point now);

  // Adds an entry as it was kept (a state file): the later `until` wins over one it already has.
  void restore(QuarantineEntry entry);

  // Every entry, the soonest to end first.
  std::vector<QuarantineEntry> entries() const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // How many are in force at `now`.
  std::size_t in_force(std::chrono::system_clock::time_point now) const;

 private:
  // By fingerprint, then rule: looked up with a string_view, without building a key.
  struct Key {
    std::uint64_t fingerprint;
    std::string rule;
  };
  struct KeyView {
    std::uint64_t fingerprint;
    std::string_view rule;
  };
  struct Before {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.fingerprint != b.fingerprint) return a.fingerprint < b.fingerprint;
      return std::string_view(a.rule) < std::string_view(b.rule);
    }
  };
  void keep_within_bound();
  std::map<Key, QuarantineEntry, Before> entries_;
};

// The audit reason of a query cancelled on sight: "quarantined: fingerprint 3f2a9c0e1b2d4f60
// cancelled by [rule.X] at 2026-12-05T02:14:07Z".
std::string quarantine_reason(const QuarantineEntry& entry);

// The entries in force at `now`, for --check-config: "# quarantined: N query shapes" and one
// comment line per entry (rule, fingerprint, until, cancels, the normalised text made safe for
// a terminal and cut), or "# quarantined: none".
std::string describe_quarantine(const QuarantineList& list,
                                std::chrono::system_clock::time_point now);

}  // namespace nw
