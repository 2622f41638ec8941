#include "nw/app/live_board.h"

#include <algorithm>

namespace nw {

void LiveBoard::publish(const std::string& label, BoardEntry entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[label] = std::move(entry);
}

void LiveBoard::remove(const std::string& label) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(label);
}

std::vector<BoardEntry> LiveBoard::entries() const {
  std::vector<BoardEntry> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    out.reserve(entries_.size());
    for (const auto& [label, entry] : entries_) out.push_back(entry);
  }
  std::stable_sort(out.begin(), out.end(), [](const BoardEntry& a, const BoardEntry& b) {
    return a.endpoint != b.endpoint ? a.endpoint < b.endpoint : a.language < b.language;
  });
  return out;
}

}  // namespace nw
