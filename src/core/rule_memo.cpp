#include "nw/core/rule_memo.h"

#include "nw/core/fingerprint.h"

namespace nw {

void RuleMemo::begin(const Policy& policy, Language language) {
  if (!matcher_ || !matcher_->built_for(policy.rules)) {
    clear();
    if (policy.matcher && policy.matcher->built_for(policy.rules))
      matcher_ = policy.matcher;
    else
      matcher_ = std::make_shared<const RuleMatcher>(policy.rules);
  }
  current_ = &tables_[static_cast<std::size_t>(language)];
  language_ = language;
  ++snapshot_;
  kept_ = 0;
}

const std::vector<std::uint32_t>& RuleMemo::selecting(const std::string& id,
                                                      std::string_view text) {
  auto it = current_->find(id);
  if (it != current_->end()) {
    Entry& entry = it->second;
    if (entry.seen != snapshot_) ++kept_;
    entry.seen = snapshot_;
    if (entry.text == text) {
      ++hits_;
      return entry.rules;
    }
    // The id now names another text: match it afresh.
    ++misses_;
    entry.text.assign(text.data(), text.size());
    entry.fingerprinted = false;
    matcher_->selecting(text, entry.rules);
    return entry.rules;
  }
  ++misses_;
  if (size() >= max_entries_) {
    matcher_->selecting(text, scratch_);
    return scratch_;
  }
  Entry& entry = (*current_)[id];
  entry.text.assign(text.data(), text.size());
  entry.seen = snapshot_;
  ++kept_;
  matcher_->selecting(text, entry.rules);
  return entry.rules;
}

std::uint64_t RuleMemo::fingerprint(const std::string& id, std::string_view text) {
  const auto it = current_ ? current_->find(id) : Table::iterator{};
  if (!current_ || it == current_->end() || it->second.text != text)
    return fingerprint_query(language_, text).hash;
  Entry& entry = it->second;
  if (!entry.fingerprinted) {
    entry.fingerprint = fingerprint_query(language_, text).hash;
    entry.fingerprinted = true;
  }
  return entry.fingerprint;
}

void RuleMemo::end() {
  if (!current_) return;
  // Every remembered id was looked up (the steady state): nothing to forget, no sweep.
  if (kept_ != current_->size())
    for (auto it = current_->begin(); it != current_->end();)
      it = it->second.seen == snapshot_ ? std::next(it) : current_->erase(it);
  current_ = nullptr;
}

void RuleMemo::clear() {
  for (auto& table : tables_) table.clear();
}

std::size_t RuleMemo::size() const {
  std::size_t n = 0;
  for (const auto& table : tables_) n += table.size();
  return n;
}

}  // namespace nw
