#include "nw/io/time_zones.h"

#include <chrono>
#include <date/tz.h>
#include <exception>
#include <memory>

namespace nw {
namespace {

class TzdbZone final : public ZoneRules {
 public:
  explicit TzdbZone(const date::time_zone* zone) : zone_(zone) {}

  std::chrono::seconds offset_at(std::chrono::system_clock::time_point t) const override {
    return zone_->get_info(std::chrono::floor<std::chrono::seconds>(t)).offset;
  }

 private:
  // Owned by the library's database, which lives as long as the process; its reads are
  // guarded by the library, so windows on many threads may share one zone.
  const date::time_zone* zone_;
};

}  // namespace

ZoneLookup tz_database_zones() {
  return [](const std::string& name, std::string& error) -> std::shared_ptr<const ZoneRules> {
    try {
      return std::make_shared<TzdbZone>(date::locate_zone(name));
    } catch (const std::exception& e) {  // an unknown name, or no tz database at all
      error = e.what();
      return nullptr;
    }
  };
}

}  // namespace nw
