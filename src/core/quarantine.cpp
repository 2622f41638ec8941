#include "nw/core/quarantine.h"

#include <algorithm>

#include "nw/core/audit_record.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rfc3339.h"

namespace nw {

bool QuarantineList::cancelled(const std::string& rule, std::uint64_t fingerprint,
                               std::string_view text, const std::string& endpoint,
                               std::chrono::system_clock::time_point time, Millis duration) {
  auto it = entries_.find(KeyView{fingerprint, rule});
  const bool starts = it == entries_.end() || it->second.until <= time;
  if (it == entries_.end()) it = entries_.emplace(Key{fingerprint, rule}, QuarantineEntry{}).first;
  QuarantineEntry& e = it->second;
  if (starts) {
    e = QuarantineEntry{};
    e.rule = rule;
    e.fingerprint = fingerprint;
    e.fingerprint_text = std::string(text.substr(0, kMaxFingerprintText));
    e.since = time;
  }
  e.last_cancel = std::max(e.last_cancel, time);
  e.until = std::max(e.until, time + duration);
  e.endpoint = endpoint;
  ++e.cancels;
  keep_within_bound();
  return starts;
}

const QuarantineEntry* QuarantineList::find(std::string_view rule, std::uint64_t fingerprint,
                                            std::chrono::system_clock::time_point now) const {
  const auto it = entries_.find(KeyView{fingerprint, rule});
  if (it == entries_.end() || it->second.until <= now) return nullptr;
  return &it->second;
}

std::size_t QuarantineList::expire(std::chrono::system_clock::time_point now) {
  std::size_t gone = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.until <= now) {
      it = entries_.erase(it);
      ++gone;
    } else {
      ++it;
    }
  }
  return gone;
}

void QuarantineList::restore(QuarantineEntry entry) {
  auto it = entries_.find(KeyView{entry.fingerprint, entry.rule});
  if (it != entries_.end() && it->second.until >= entry.until) return;
  Key key{entry.fingerprint, entry.rule};
  if (it != entries_.end())
    it->second = std::move(entry);
  else
    entries_.emplace(std::move(key), std::move(entry));
  keep_within_bound();
}

std::vector<QuarantineEntry> QuarantineList::entries() const {
  std::vector<QuarantineEntry> out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(entry);
  std::stable_sort(out.begin(), out.end(), [](const QuarantineEntry& a, const QuarantineEntry& b) {
    return a.until < b.until;
  });
  return out;
}

std::size_t QuarantineList::in_force(std::chrono::system_clock::time_point now) const {
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [now](const auto& kv) { return kv.second.until > now; }));
}

void QuarantineList::keep_within_bound() {
  while (entries_.size() > kMaxEntries) {
    const auto soonest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.until < b.second.until; });
    entries_.erase(soonest);
  }
}

std::string describe_quarantine(const QuarantineList& list,
                                std::chrono::system_clock::time_point now) {
  std::string out;
  std::size_t n = 0;
  for (const QuarantineEntry& e : list.entries()) {
    if (e.until <= now) continue;
    ++n;
    out += "#   [rule." + e.rule + "] " + fingerprint_hex(e.fingerprint) + " until " +
           format_rfc3339(e.until) + ", " + std::to_string(e.cancels) + " cancel(s), last on " +
           e.endpoint + ": " + printable(e.fingerprint_text, 120) + "\n";
  }
  if (n == 0) return "# quarantined: none\n";
  return "# quarantined: " + std::to_string(n) + " query shape(s)\n" + out;
}

std::string quarantine_reason(const QuarantineEntry& entry) {
  return "quarantined: fingerprint " + fingerprint_hex(entry.fingerprint) + " cancelled by [rule." +
         entry.rule + "] at " + format_rfc3339(entry.last_cancel);
}

}  // namespace nw
