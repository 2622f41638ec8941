#pragma once
// A UTC instant from its calendar fields, for tests that judge times of day and zones.
#include <chrono>
#include <ctime>

namespace nw::test {

inline std::chrono::system_clock::time_point utc(int year, int month, int day, int hour,
                                                 int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace nw::test
