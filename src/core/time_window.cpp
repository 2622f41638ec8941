#include "nw/core/time_window.h"

#include <array>
#include <cctype>
#include <ctime>
#include <sstream>
#include <vector>

namespace nw {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::optional<int> day_index(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < kDays.size(); ++i)
    if (lower == kDays[i]) return static_cast<int>(i);
  return std::nullopt;
}

std::optional<int> minute_of_day(std::string_view hhmm) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return std::nullopt;
  for (std::size_t i : {0, 1, 3, 4})
    if (!std::isdigit(static_cast<unsigned char>(hhmm[i]))) return std::nullopt;
  const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
  const int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

bool parse_days(std::string_view spec, std::bitset<7>& days) {
  std::string lower;
  for (char c : spec) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "daily") {
    days.set();
    return true;
  }
  if (!spec.empty() && spec.back() == ',') return false;  // getline would drop the empty entry
  std::stringstream parts{std::string(spec)};
  for (std::string part; std::getline(parts, part, ',');) {
    const auto dash = part.find('-');
    const auto first = day_index(std::string_view(part).substr(0, dash));
    if (!first) return false;
    if (dash == std::string::npos) {
      days.set(static_cast<std::size_t>(*first));
      continue;
    }
    const auto last = day_index(std::string_view(part).substr(dash + 1));
    if (!last) return false;
    for (int d = *first;; d = (d + 1) % 7) {  // Fri-Mon wraps over the weekend
      days.set(static_cast<std::size_t>(d));
      if (d == *last) break;
    }
  }
  return days.any();
}

// Empty when `zone` is good, else the error.
std::string parse_zone(std::string_view zone, TimeWindow& w, const ZoneLookup& zones) {
  const std::string bad = "bad time zone '" + std::string(zone) +
                          "' (use UTC, an offset such as +02:00, local, or a tz database name "
                          "such as Europe/Berlin)";
  if (zone.empty() || zone == "UTC" || zone == "utc" || zone == "Z") return {};
  if (zone == "local") {
    w.zone = TimeWindow::Zone::local;
    return {};
  }
  // What starts like an offset is read as one: "UTC+5" is a bad offset, not a zone name.
  const bool offset_like = zone.rfind("UTC", 0) == 0 || zone[0] == '+' || zone[0] == '-' ||
                           std::isdigit(static_cast<unsigned char>(zone[0]));
  if (offset_like) {
    if (zone.rfind("UTC", 0) == 0) zone.remove_prefix(3);
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-')) return bad;
    const auto hm = minute_of_day(zone.substr(1));
    if (!hm || *hm > 14 * 60) return bad;
    w.zone = TimeWindow::Zone::fixed_offset;
    w.offset_minutes = zone[0] == '-' ? -*hm : *hm;
    return {};
  }
  if (!zones)
    return "bad time zone '" + std::string(zone) +
           "': tz database names are looked up only when the file is loaded";
  std::string why;
  w.named_zone = zones(std::string(zone), why);
  if (!w.named_zone) return bad;
  w.zone = TimeWindow::Zone::named;
  return {};
}

}  // namespace

std::optional<TimeWindow> parse_time_window(std::string_view text, std::string& error,
                                            const ZoneLookup& zones) {
  std::vector<std::string> words;
  std::stringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  TimeWindow window;
  window.text = std::string(text);
  if (words.size() < 2 || words.size() > 3) {
    error = "expected 'DAYS HH:MM-HH:MM [ZONE]', e.g. 'Mon-Fri 08:00-18:00 UTC'";
    return std::nullopt;
  }
  if (!parse_days(words[0], window.days)) {
    error = "bad days '" + words[0] +
            "' (use Mon..Sun, ranges like Mon-Fri, lists like Sat,Sun, or daily)";
    return std::nullopt;
  }
  const auto dash = words[1].find('-');
  const auto start = dash == std::string::npos
                         ? std::nullopt
                         : minute_of_day(std::string_view(words[1]).substr(0, dash));
  const auto end = dash == std::string::npos
                       ? std::nullopt
                       : minute_of_day(std::string_view(words[1]).substr(dash + 1));
  if (!start || !end || *start == 24 * 60) {
    error = "bad hours '" + words[1] + "' (use HH:MM-HH:MM, e.g. 08:00-18:00 or 22:00-06:00)";
    return std::nullopt;
  }
  window.start_minute = *start;
  window.end_minute = *end;
  if (words.size() == 3) {
    if (auto problem = parse_zone(words[2], window, zones); !problem.empty()) {
      error = std::move(problem);
      return std::nullopt;
    }
  }
  return window;
}

bool TimeWindow::contains(std::chrono::system_clock::time_point t) const {
  using namespace std::chrono;
  std::time_t secs = system_clock::to_time_t(t);
  std::tm tm{};
  if (zone == Zone::local) {
    localtime_r(&secs, &tm);
  } else if (zone == Zone::named && named_zone) {
    // The offset in force at `t`: across a daylight-saving change the same wall-clock window
    // moves by an hour in UTC, as the operator who wrote it in local time means.
    secs += static_cast<std::time_t>(named_zone->offset_at(t).count());
    gmtime_r(&secs, &tm);
  } else {
    secs += static_cast<std::time_t>(offset_minutes) * 60;
    gmtime_r(&secs, &tm);
  }
  const int day = (tm.tm_wday + 6) % 7;  // tm counts from Sunday; we count from Monday
  const int yesterday = (day + 6) % 7;
  const int minute = tm.tm_hour * 60 + tm.tm_min;
  if (start_minute < end_minute)
    return days.test(static_cast<std::size_t>(day)) && minute >= start_minute &&
           minute < end_minute;
  // The window runs past midnight: its evening belongs to `day`, its morning to `yesterday`.
  return (days.test(static_cast<std::size_t>(day)) && minute >= start_minute) ||
         (days.test(static_cast<std::size_t>(yesterday)) && minute < end_minute);
}

}  // namespace nw
