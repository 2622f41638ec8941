#include "nw/app/ha_report.h"

#include <map>
#include <ostream>
#include <set>

#include "nw/app/replica_group.h"
#include "nw/core/audit_record.h"

namespace nw {

int print_ha_group(std::ostream& out, std::ostream& err, EtcdClient& etcd, const std::string& group,
                   const std::vector<std::string>& units) {
  const auto read = etcd.range(group_prefix(group));
  if (!read) {
    err << "neptune-watchdog: cannot read replica group " << group
        << " from etcd: " << read.failure().describe() << "\n";
    return 1;
  }
  std::map<std::string, EtcdKeyValue> members, owners;
  for (const auto& kv : read.value().kvs) {
    const GroupKey k = parse_group_key(group, kv.key);
    if (k.kind == GroupKey::Kind::member) members[k.name] = kv;
    if (k.kind == GroupKey::Kind::owner) owners[k.name] = kv;
  }
  out << "group " << group << " (etcd revision " << read.value().revision << ")\n";
  out << "members (" << members.size() << "):\n";
  std::map<std::string, std::size_t> owned;
  for (const auto& [unit, kv] : owners) ++owned[kv.value];
  for (const auto& [name, kv] : members)
    out << "  " << printable(name) << "  " << describe_member(kv.value) << "; owns " << owned[name]
        << (kv.lease == 0 ? "; NO LEASE: not a live replica" : "") << "\n";
  std::set<std::string> all(units.begin(), units.end());
  for (const auto& [unit, kv] : owners) all.insert(unit);
  out << "units (" << all.size() << "):\n";
  const std::set<std::string> configured(units.begin(), units.end());
  for (const auto& unit : all) {
    out << "  " << printable(unit) << "  ";
    const auto o = owners.find(unit);
    if (o == owners.end())
      out << "unowned";
    else
      out << printable(o->second.value) << " (owner revision " << o->second.create_revision << ")";
    if (!configured.count(unit)) out << "  (not in this configuration)";
    out << "\n";
  }
  return 0;
}

}  // namespace nw
